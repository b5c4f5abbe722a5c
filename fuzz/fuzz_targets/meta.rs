//! `migration.toml` from any text: never a panic; an error's span lies inside the text.

#![no_main]

use bellows::catalog::MigrationMeta;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = MigrationMeta::parse(Path::new("migration.toml"), &text) {
        if let Some(span) = e.span {
            assert!(span.offset() + span.len() <= text.len().max(1), "span {span:?} outside the text");
        }
    }
});
