//! Reading what a bellows process printed, for assertions and their failure messages.

use std::process::Output;

/// Exit code, standard output and standard error, for an assertion's message.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Standard error with miette's line wrapping and frame undone: one line, single spaces.
pub fn flat_stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr)
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The process exited 0; otherwise fails showing what it printed.
pub fn ok(o: &Output) {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
}
