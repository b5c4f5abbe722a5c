//! Database URLs from any text: never a panic, and a password never survives redaction.

#![no_main]

use bellows::runner::url::{forget_secrets, redact, DbUrl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Each input stands alone: secrets of earlier inputs would slow redaction down.
    forget_secrets();
    let text = String::from_utf8_lossy(data);
    match DbUrl::parse(&text) {
        Ok(url) => {
            let shown = url.redacted();
            if let Some(pw) = url.password().filter(|p| p.len() >= 3 && !p.contains('*')) {
                assert!(!redact(&shown).contains(&pw), "{shown} shows the password");
                assert!(!redact(&format!("error: {pw}")).contains(&pw));
            }
            let _ = url.with_database("bellows_verify_1").redacted();
        }
        Err(e) => {
            let message = e.to_string();
            let _ = redact(&message);
        }
    }
});
