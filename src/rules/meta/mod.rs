pub mod invalid_directive;
pub mod syntax_error;
pub mod unused_suppression;
