//! `-- bellows:` directives in comments: per-statement and per-file suppressions and the
//! `no-transaction` opt-out.

use std::ops::Range;

/// One directive found in a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `-- bellows: ignore a, b` — the next statement.
    Ignore(Vec<RuleRef>),
    /// `-- bellows: ignore-file a, b` — the whole file.
    IgnoreFile(Vec<RuleRef>),
    /// `-- bellows: no-transaction` — the runner does not wrap this file in a transaction.
    NoTransaction,
    /// `-- bellows: <something else>`.
    Unknown(String),
}

/// A rule name as written in a directive, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub name: String,
    pub span: Range<usize>,
}

/// Reads the directive in one comment (`comment` is the comment's text, starting at byte
/// `offset` of the file), if it holds one.
pub fn parse_directive(comment: &str, offset: usize) -> Option<(Directive, Range<usize>)> {
    let body_start = if comment.starts_with("--") || comment.starts_with("/*") {
        2
    } else if comment.starts_with('#') {
        1
    } else {
        return None;
    };
    let body_end = if comment.starts_with("/*") && comment.ends_with("*/") && comment.len() >= 4 {
        comment.len() - 2
    } else {
        comment.len()
    };
    let body = &comment[body_start..body_end.max(body_start)];
    let trimmed_start = body.len() - body.trim_start().len();
    let rest = body.trim_start();
    let rest = rest.strip_prefix("bellows:")?;
    let mut pos = body_start + trimmed_start + "bellows:".len();
    let lead = rest.len() - rest.trim_start().len();
    pos += lead;
    let rest = rest.trim_start();
    let (word, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let args_offset = pos + word.len();
    let span = offset..offset + comment.len();
    let directive = match word.to_ascii_lowercase().as_str() {
        "ignore" => Directive::Ignore(rule_list(args, offset + args_offset)),
        "ignore-file" => Directive::IgnoreFile(rule_list(args, offset + args_offset)),
        "no-transaction" => Directive::NoTransaction,
        other => Directive::Unknown(other.to_owned()),
    };
    Some((directive, span))
}

fn rule_list(args: &str, offset: usize) -> Vec<RuleRef> {
    let mut out = Vec::new();
    let mut start = 0;
    for part in args.split(',') {
        let lead = part.len() - part.trim_start().len();
        let name = part.trim();
        // Everything after the first word of a part is an explanation: `ignore x -- why`.
        let name = name.split_whitespace().next().unwrap_or("");
        if !name.is_empty() {
            let at = offset + start + lead;
            out.push(RuleRef {
                name: name.to_owned(),
                span: at..at + name.len(),
            });
        }
        start += part.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_directives() {
        let (d, _) = parse_directive("-- bellows: ignore drop-column, rename-table", 10).unwrap();
        let Directive::Ignore(refs) = d else { panic!() };
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[1].name, "rename-table");
        let text = "-- bellows: ignore drop-column, rename-table";
        assert_eq!(
            &text[refs[1].span.start - 10..refs[1].span.end - 10],
            "rename-table"
        );
        assert_eq!(
            parse_directive("/* bellows: no-transaction */", 0)
                .unwrap()
                .0,
            Directive::NoTransaction
        );
        assert!(parse_directive("-- just a comment", 0).is_none());
    }
}
