//! The statement splitter on any text, in both dialects: it must never panic, and its
//! output must be well formed:
//! - statement spans are non-empty, in order, inside the text, on char boundaries, and
//!   start and end on non-blank bytes;
//! - a terminator follows its statement with only blanks between;
//! - comments are in order, and no statement, terminator or comment overlaps another;
//! - in PostgreSQL (where the terminator is always `;`) no byte other than blanks, a
//!   leading BOM and the `;` of empty statements is left out of every range.

#![no_main]

use bellows::dialect::Dialect;
use bellows::parse::split::split;
use libfuzzer_sys::fuzz_target;
use std::ops::Range;

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn check(text: &str, dialect: Dialect) {
    let out = split(text, dialect);
    let bytes = text.as_bytes();
    let mut ranges: Vec<(Range<usize>, &str)> = Vec::new();
    let mut prev_end = 0;
    for s in &out.statements {
        let r = &s.span;
        assert!(r.start < r.end, "empty statement span {r:?}");
        assert!(r.end <= bytes.len(), "statement span {r:?} past the end");
        assert!(
            r.start >= prev_end,
            "statement {r:?} starts before the previous one ended ({prev_end})"
        );
        assert!(
            text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
            "statement {r:?} not on char boundaries"
        );
        assert!(
            !is_blank(bytes[r.start]) && !is_blank(bytes[r.end - 1]),
            "statement {r:?} not trimmed"
        );
        prev_end = r.end;
        ranges.push((r.clone(), "statement"));
        if let Some(t) = &s.terminator {
            assert!(
                t.start >= r.end && t.start < t.end && t.end <= bytes.len(),
                "terminator {t:?} of {r:?}"
            );
            assert!(
                text.is_char_boundary(t.start) && text.is_char_boundary(t.end),
                "terminator {t:?} not on char boundaries"
            );
            assert!(
                bytes[r.end..t.start].iter().all(|&b| is_blank(b)),
                "non-blank bytes between {r:?} and its terminator {t:?}"
            );
            prev_end = t.end;
            ranges.push((t.clone(), "terminator"));
        }
    }
    let mut prev_end = 0;
    for c in &out.comments {
        let r = &c.span;
        assert!(
            r.start < r.end && r.end <= bytes.len(),
            "comment span {r:?}"
        );
        assert!(r.start >= prev_end, "comment {r:?} out of order");
        assert!(
            text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
            "comment {r:?} not on char boundaries"
        );
        prev_end = r.end;
        ranges.push((r.clone(), "comment"));
    }
    ranges.sort_by_key(|(r, _)| (r.start, r.end));
    let mut covered = vec![false; bytes.len()];
    let mut prev_end = 0;
    for (r, what) in &ranges {
        assert!(
            r.start >= prev_end,
            "{what} {r:?} overlaps the range before it"
        );
        prev_end = r.end;
        covered[r.clone()].iter_mut().for_each(|c| *c = true);
    }
    if dialect == Dialect::Postgres {
        let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        for (i, &b) in bytes.iter().enumerate().skip(bom) {
            assert!(
                covered[i] || is_blank(b) || b == b';',
                "byte {i} ({b:#04x}) is in no statement, terminator or comment"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(&text, Dialect::Postgres);
    check(&text, Dialect::Mysql);
});
