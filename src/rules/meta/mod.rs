pub mod invalid_directive;
pub mod migration_edited;
pub mod phase_mismatch;
pub mod syntax_error;
pub mod unused_suppression;
