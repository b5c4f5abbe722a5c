//! Any bytes, linted as a PostgreSQL file and as a MySQL file: must never panic.
//!
//! Besides not panicking, every statement span and every finding's position must lie in
//! the text (reports slice the text with them).

#![no_main]

use bellows::dialect::Dialect;
use bellows::lint::{lint_source, LintSettings};
use bellows::rules::RuleSet;
use bellows::source::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for dialect in [Dialect::Postgres, Dialect::Mysql] {
        let source = SourceFile::from_bytes("fuzz.sql", data);
        let len = source.text.len();
        // Every rule, the opt-in ones too.
        let mut settings = LintSettings::new(dialect);
        let mut rules = RuleSet::default_rules();
        rules
            .select_only(&["all".to_owned()])
            .expect("`all` is always a valid selection");
        settings.rules = rules;
        let result = lint_source(source, &settings);
        let text = &result.source.text;
        for s in &result.statements {
            assert!(
                s.span.start <= s.span.end && s.span.end <= len,
                "statement span {:?} outside the text ({len} bytes)",
                s.span
            );
            assert!(
                text.is_char_boundary(s.span.start) && text.is_char_boundary(s.span.end),
                "statement span {:?} not on char boundaries",
                s.span
            );
        }
    }
});
