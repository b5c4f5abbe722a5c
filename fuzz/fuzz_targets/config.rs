//! `bellows.toml` from any text: never a panic; an error's span lies inside the text.

#![no_main]

use bellows::config::{Config, ConfigError};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Config::parse(Path::new("bellows.toml"), &text) {
        Ok(config) => {
            // Durations given in [runner] either read or are refused; never a panic.
            if let Some(t) = &config.runner.lock_timeout {
                let _ = bellows::config::parse_duration_ms(t);
            }
        }
        Err(ConfigError::Invalid { span: Some(span), .. }) => {
            assert!(span.offset() + span.len() <= text.len().max(1), "span {span:?} outside the text");
        }
        Err(_) => {}
    }
});
