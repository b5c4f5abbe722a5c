//! Statement splitting with exact byte ranges.
//!
//! Owns cutting a file into statements at top-level terminators. Understands quotes,
//! dollar-quoted bodies, comments, psql meta-commands and MySQL `DELIMITER`. Does not parse.

use crate::dialect::Dialect;
use std::ops::Range;

/// What kind of text a raw statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    /// SQL text to hand to the parser.
    Sql,
    /// A psql meta-command line such as `\set ON_ERROR_STOP on` or `\i file.sql`.
    PsqlMeta,
    /// A MySQL client `DELIMITER $$` line; it changes the terminator for what follows.
    Delimiter,
}

/// What was left open at the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unclosed {
    SingleQuote,
    DoubleQuote,
    Backtick,
    DollarQuote,
    BlockComment,
}

/// One statement as cut from the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement {
    /// The statement's text: from its first non-blank, non-comment byte to the byte before
    /// its terminator (`;` or the current DELIMITER), trailing whitespace trimmed. Comments
    /// inside the statement are part of it.
    pub span: Range<usize>,
    /// The terminator's byte range, or `None` when the statement ends at end of file.
    pub terminator: Option<Range<usize>>,
    pub kind: RawKind,
    /// Set when the statement runs into end of file inside a quote, dollar body or block
    /// comment: what was open and the byte offset where it opened.
    pub unclosed: Option<(Unclosed, usize)>,
}

/// A comment outside any statement (before, between or after statements).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The whole comment including its `--`, `#` or `/* */` markers.
    pub span: Range<usize>,
}

/// The result of splitting one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub statements: Vec<RawStatement>,
    pub comments: Vec<Comment>,
}

/// Splits `text` into statements for `dialect`.
///
/// A single linear pass over the bytes; never panics. Every span boundary is a char
/// boundary of `text`. A leading UTF-8 byte-order mark is skipped. The terminators of empty
/// statements (a `;` with nothing before it) are skipped and appear nowhere in the result.
pub fn split(text: &str, dialect: Dialect) -> Split {
    Splitter::new(text, dialect).run()
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Blank bytes: ASCII whitespace, as trimmed around statements.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Bytes that may continue an identifier (PostgreSQL rules: letters, digits, `_`, `$` and
/// any non-ASCII byte). Used to tell `E'..'` and `$tag$` apart from identifier tails.
fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// Bytes that may start a dollar-quote tag (no digits, no `$`).
fn is_tag_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// Bytes that may continue a dollar-quote tag.
fn is_tag_cont(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

struct Splitter<'a> {
    bytes: &'a [u8],
    dialect: Dialect,
    /// The current terminator: `;`, or the argument of the last MySQL `DELIMITER` line.
    /// Always a non-empty slice of the input that starts and ends on char boundaries.
    delim: &'a [u8],
    /// Bytes that need a closer look inside a statement; everything else is skipped fast.
    special: [bool; 256],
    out: Split,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, dialect: Dialect) -> Self {
        let mut splitter = Splitter {
            bytes: text.as_bytes(),
            dialect,
            delim: b";",
            special: [false; 256],
            out: Split::default(),
        };
        splitter.build_special();
        splitter
    }

    fn mysql(&self) -> bool {
        self.dialect == Dialect::Mysql
    }

    fn build_special(&mut self) {
        let mut table = [false; 256];
        for &b in b"'\"-/" {
            table[b as usize] = true;
        }
        match self.dialect {
            Dialect::Postgres => table[b'$' as usize] = true,
            Dialect::Mysql => {
                table[b'`' as usize] = true;
                table[b'#' as usize] = true;
            }
        }
        if let Some(&first) = self.delim.first() {
            table[first as usize] = true;
        }
        self.special = table;
    }

    fn run(mut self) -> Split {
        let len = self.bytes.len();
        let mut pos = if self.bytes.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        while pos < len {
            let b = self.bytes[pos];
            if is_blank(b) {
                pos += 1;
                continue;
            }
            // A DELIMITER line wins over everything else at statement start, so that one can
            // always switch back whatever the current delimiter is.
            if self.mysql() {
                if let Some((end, new_delim)) = self.delimiter_command_at(pos) {
                    self.push(RawKind::Delimiter, pos, end, None, None);
                    if let Some(d) = new_delim {
                        self.delim = d;
                        self.build_special();
                    }
                    pos = end;
                    continue;
                }
            }
            if self.at_delim(pos) {
                // An empty statement: nothing to report.
                pos += self.delim.len();
                continue;
            }
            if let Some(end) = self.line_comment_at(pos) {
                self.out.comments.push(Comment { span: pos..end });
                pos = end;
                continue;
            }
            if self.block_comment_at(pos) {
                match self.skip_block_comment(pos) {
                    Some(end) => {
                        self.out.comments.push(Comment { span: pos..end });
                        pos = end;
                    }
                    None => {
                        self.push(
                            RawKind::Sql,
                            pos,
                            len,
                            None,
                            Some((Unclosed::BlockComment, pos)),
                        );
                        pos = len;
                    }
                }
                continue;
            }
            if b == b'\\' && self.dialect == Dialect::Postgres {
                let end = self.line_end(pos);
                self.push(RawKind::PsqlMeta, pos, end, None, None);
                pos = end;
                continue;
            }
            pos = self.statement(pos);
        }
        self.out
    }

    /// Records a statement, trimming trailing blanks off `start..end`.
    fn push(
        &mut self,
        kind: RawKind,
        start: usize,
        end: usize,
        terminator: Option<Range<usize>>,
        unclosed: Option<(Unclosed, usize)>,
    ) {
        let mut end = end;
        while end > start && is_blank(self.bytes[end - 1]) {
            end -= 1;
        }
        self.out.statements.push(RawStatement {
            span: start..end,
            terminator,
            kind,
            unclosed,
        });
    }

    /// Scans one SQL statement starting at `start` (a non-blank byte) and returns the
    /// position just past its terminator, or the end of the input.
    fn statement(&mut self, start: usize) -> usize {
        let bytes = self.bytes;
        let len = bytes.len();
        let mysql = self.mysql();
        let mut pos = start;
        loop {
            while pos < len && !self.special[bytes[pos] as usize] {
                pos += 1;
            }
            if pos >= len {
                self.push(RawKind::Sql, start, len, None, None);
                return len;
            }
            if self.at_delim(pos) {
                let after = pos + self.delim.len();
                self.push(RawKind::Sql, start, pos, Some(pos..after), None);
                return after;
            }
            let b = bytes[pos];
            let open = match b {
                b'\'' => {
                    let backslash = mysql || self.is_e_string(start, pos);
                    self.skip_quoted(pos, b'\'', backslash)
                        .ok_or(Unclosed::SingleQuote)
                }
                b'"' => self
                    .skip_quoted(pos, b'"', mysql)
                    .ok_or(Unclosed::DoubleQuote),
                b'`' if mysql => self.skip_quoted(pos, b'`', false).ok_or(Unclosed::Backtick),
                b'$' if !mysql => match self.dollar_tag_len(start, pos) {
                    Some(tag_len) => self
                        .skip_dollar_body(pos, tag_len)
                        .ok_or(Unclosed::DollarQuote),
                    None => Ok(pos + 1),
                },
                b'-' | b'#' => Ok(self.line_comment_at(pos).unwrap_or(pos + 1)),
                b'/' if self.block_comment_at(pos) => {
                    self.skip_block_comment(pos).ok_or(Unclosed::BlockComment)
                }
                _ => Ok(pos + 1),
            };
            match open {
                Ok(next) => pos = next,
                Err(what) => {
                    self.push(RawKind::Sql, start, len, None, Some((what, pos)));
                    return len;
                }
            }
        }
    }

    fn at_delim(&self, pos: usize) -> bool {
        self.bytes[pos..].starts_with(self.delim)
    }

    /// The end of the line containing `pos`: the first `\n` or `\r` at or after it.
    fn line_end(&self, pos: usize) -> usize {
        self.bytes[pos..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(self.bytes.len(), |i| pos + i)
    }

    /// If a line comment starts at `pos`, where it ends (before the line break).
    fn line_comment_at(&self, pos: usize) -> Option<usize> {
        let bytes = self.bytes;
        match bytes[pos] {
            b'-' if bytes.get(pos + 1) == Some(&b'-') => {
                // MySQL wants whitespace or a control character after `--`.
                if self.mysql() && bytes.get(pos + 2).is_some_and(|&c| c > b' ') {
                    return None;
                }
                Some(self.line_end(pos + 2))
            }
            b'#' if self.mysql() => Some(self.line_end(pos + 1)),
            _ => None,
        }
    }

    fn block_comment_at(&self, pos: usize) -> bool {
        self.bytes[pos] == b'/' && self.bytes.get(pos + 1) == Some(&b'*')
    }

    /// Skips a block comment opening at `pos`; `None` when it is never closed. Nested in
    /// PostgreSQL, not in MySQL.
    fn skip_block_comment(&self, pos: usize) -> Option<usize> {
        let bytes = self.bytes;
        let nested = !self.mysql();
        let mut depth = 1usize;
        let mut i = pos + 2;
        while i < bytes.len() {
            match bytes[i] {
                b'*' if bytes.get(i + 1) == Some(&b'/') => {
                    i += 2;
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                b'/' if nested && bytes.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    depth += 1;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// Skips a quoted string or identifier opening at `pos` with quote byte `quote`;
    /// a doubled quote stands for itself and, when `backslash`, `\` escapes the next byte.
    /// Returns the position after the closing quote, `None` when never closed.
    fn skip_quoted(&self, pos: usize, quote: u8, backslash: bool) -> Option<usize> {
        let bytes = self.bytes;
        let mut i = pos + 1;
        loop {
            let rest = bytes.get(i..)?;
            let found = if backslash {
                rest.iter().position(|&b| b == quote || b == b'\\')
            } else {
                rest.iter().position(|&b| b == quote)
            };
            i += found?;
            // A backslash escape, or a doubled quote standing for itself: skip both bytes.
            if bytes[i] == b'\\' || bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return Some(i + 1);
            }
        }
    }

    /// True when the `'` at `pos` opens a PostgreSQL `E'...'` string: it follows an `E`
    /// or `e` that is not itself the tail of an identifier.
    fn is_e_string(&self, start: usize, pos: usize) -> bool {
        let bytes = self.bytes;
        pos > start
            && (bytes[pos - 1] | 0x20) == b'e'
            && (pos - 1 == start || !is_ident_byte(bytes[pos - 2]))
    }

    /// If a PostgreSQL dollar quote (`$$` or `$tag$`) opens at `pos`, its length.
    /// `$1` (a parameter) and a `$` inside an identifier (`a$b`) are not dollar quotes.
    fn dollar_tag_len(&self, start: usize, pos: usize) -> Option<usize> {
        let bytes = self.bytes;
        if pos > start && is_ident_byte(bytes[pos - 1]) {
            return None;
        }
        let mut j = pos + 1;
        if bytes.get(j).copied().is_some_and(is_tag_start) {
            j += 1;
            while bytes.get(j).copied().is_some_and(is_tag_cont) {
                j += 1;
            }
        }
        (bytes.get(j) == Some(&b'$')).then_some(j + 1 - pos)
    }

    /// Skips a dollar-quoted body whose opening delimiter is `pos..pos + tag_len`. Returns
    /// the position after the matching closing delimiter, `None` when never closed.
    fn skip_dollar_body(&self, pos: usize, tag_len: usize) -> Option<usize> {
        let bytes = self.bytes;
        let tag = &bytes[pos..pos + tag_len];
        let mut i = pos + tag_len;
        while let Some(off) = bytes[i..].iter().position(|&b| b == b'$') {
            let at = i + off;
            if bytes[at..].starts_with(tag) {
                return Some(at + tag_len);
            }
            i = at + 1;
        }
        None
    }

    /// Recognises a MySQL client `DELIMITER xx` line at `pos` (case-insensitive keyword
    /// followed by blanks or the end of the line). Returns the end of the line and the new
    /// delimiter, if one was given. A quoted argument (`'xx'`, `"xx"`, `` `xx` ``) is
    /// unquoted; otherwise the argument is the first blank-separated word.
    fn delimiter_command_at(&self, pos: usize) -> Option<(usize, Option<&'a [u8]>)> {
        const KEYWORD: &[u8] = b"delimiter";
        let bytes = self.bytes;
        let after = pos + KEYWORD.len();
        if !bytes
            .get(pos..after)
            .is_some_and(|w| w.eq_ignore_ascii_case(KEYWORD))
        {
            return None;
        }
        let eol = self.line_end(pos);
        if after < eol && !matches!(bytes[after], b' ' | b'\t' | 0x0b | 0x0c) {
            return None;
        }
        let mut a = after;
        while a < eol && is_blank(bytes[a]) {
            a += 1;
        }
        if a >= eol {
            return Some((eol, None));
        }
        let q = bytes[a];
        if matches!(q, b'\'' | b'"' | b'`') {
            if let Some(k) = bytes[a + 1..eol].iter().position(|&b| b == q) {
                if k > 0 {
                    return Some((eol, Some(&bytes[a + 1..a + 1 + k])));
                }
            }
        }
        let word_end = bytes[a..eol]
            .iter()
            .position(|&b| is_blank(b))
            .map_or(eol, |i| a + i);
        Some((eol, Some(&bytes[a..word_end])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PG: Dialect = Dialect::Postgres;
    const MY: Dialect = Dialect::Mysql;

    /// The statement texts.
    fn stmts(text: &str, dialect: Dialect) -> Vec<&str> {
        split(text, dialect)
            .statements
            .iter()
            .map(|s| &text[s.span.clone()])
            .collect()
    }

    /// The between-statement comment texts.
    fn comments(text: &str, dialect: Dialect) -> Vec<&str> {
        split(text, dialect)
            .comments
            .iter()
            .map(|c| &text[c.span.clone()])
            .collect()
    }

    fn kinds(text: &str, dialect: Dialect) -> Vec<RawKind> {
        split(text, dialect)
            .statements
            .iter()
            .map(|s| s.kind)
            .collect()
    }

    #[test]
    fn empty_and_blank_input() {
        for d in [PG, MY] {
            assert_eq!(split("", d), Split::default());
            assert_eq!(split(" \n\t\r\n ", d), Split::default());
            assert_eq!(split(";;\n ; ;", d), Split::default());
        }
    }

    #[test]
    fn cuts_at_semicolons_with_exact_ranges() {
        let text = "  SELECT 1 ;\nSELECT 2;;\n\n ;SELECT 3  \n";
        let out = split(text, PG);
        assert_eq!(
            out.statements,
            vec![
                RawStatement {
                    span: 2..10,
                    terminator: Some(11..12),
                    kind: RawKind::Sql,
                    unclosed: None,
                },
                RawStatement {
                    span: 13..21,
                    terminator: Some(21..22),
                    kind: RawKind::Sql,
                    unclosed: None,
                },
                RawStatement {
                    span: 27..35,
                    terminator: None,
                    kind: RawKind::Sql,
                    unclosed: None,
                },
            ]
        );
        assert_eq!(&text[27..35], "SELECT 3");
        assert!(out.comments.is_empty());
    }

    #[test]
    fn comments_between_and_inside_statements() {
        let text =
            "-- head; not a cut\nSELECT 1; /* mid; */ SELECT 2 -- in; side\n, 3 /* ; */;\n-- tail";
        for d in [PG, MY] {
            assert_eq!(
                stmts(text, d),
                vec!["SELECT 1", "SELECT 2 -- in; side\n, 3 /* ; */"]
            );
            assert_eq!(
                comments(text, d),
                vec!["-- head; not a cut", "/* mid; */", "-- tail"]
            );
        }
        // A trailing comment with no terminator after it belongs to the statement.
        assert_eq!(stmts("SELECT 1 -- x\n", PG), vec!["SELECT 1 -- x"]);
    }

    #[test]
    fn crlf_line_ends() {
        let text = "-- c\r\nSELECT 1;\r\n\\set x 1\r\nSELECT 2 -- t;\r\n;\r\n";
        let out = split(text, PG);
        assert_eq!(comments(text, PG), vec!["-- c"]);
        assert_eq!(
            stmts(text, PG),
            vec!["SELECT 1", "\\set x 1", "SELECT 2 -- t;"]
        );
        assert_eq!(out.statements[1].kind, RawKind::PsqlMeta);
        let my = "# c\r\nDELIMITER //\r\nSELECT 1; SELECT 2//\r\nDELIMITER ;\r\nSELECT 3;\r\n";
        assert_eq!(comments(my, MY), vec!["# c"]);
        assert_eq!(
            stmts(my, MY),
            vec![
                "DELIMITER //",
                "SELECT 1; SELECT 2",
                "DELIMITER ;",
                "SELECT 3"
            ]
        );
    }

    #[test]
    fn multibyte_text() {
        let text =
            "SELECT 'héllo; 日本' AS «x»;\nSELECT \"naïve;\" FROM 😀t; -- ça;\n/* ü; */ SELECT é";
        assert_eq!(
            stmts(text, PG),
            vec![
                "SELECT 'héllo; 日本' AS «x»",
                "SELECT \"naïve;\" FROM 😀t",
                "SELECT é"
            ]
        );
        assert_eq!(comments(text, PG), vec!["-- ça;", "/* ü; */"]);
        assert_eq!(stmts(text, MY).len(), 3);
        // Non-ASCII bytes right after a backslash escape or before a quote.
        assert_eq!(
            stmts("SELECT E'\\é'; SELECT 2", PG),
            vec!["SELECT E'\\é'", "SELECT 2"]
        );
        assert_eq!(
            stmts("SELECT '\\日;'; SELECT 2", MY),
            vec!["SELECT '\\日;'", "SELECT 2"]
        );
    }

    #[test]
    fn single_quotes_with_doubling() {
        for d in [PG, MY] {
            assert_eq!(
                stmts("SELECT 'it''s; fine'; SELECT ''';'", d),
                vec!["SELECT 'it''s; fine'", "SELECT ''';'"]
            );
        }
    }

    #[test]
    fn postgres_e_strings_honour_backslashes() {
        assert_eq!(
            stmts("SELECT E'a\\';b'; SELECT e'\\\\'; SELECT 3", PG),
            vec!["SELECT E'a\\';b'", "SELECT e'\\\\'", "SELECT 3"]
        );
        // Standard strings do not: the backslash is an ordinary char.
        assert_eq!(
            stmts("SELECT 'a\\'; SELECT 2", PG),
            vec!["SELECT 'a\\'", "SELECT 2"]
        );
        // `name'..'` where the identifier merely ends in e is not an E-string.
        assert_eq!(
            stmts("SELECT some'a\\'; SELECT 2", PG),
            vec!["SELECT some'a\\'", "SELECT 2"]
        );
        // An E-string at the very start of a statement.
        assert_eq!(stmts("E'\\';'", PG), vec!["E'\\';'"]);
    }

    #[test]
    fn mysql_backslash_escapes_in_both_quotes() {
        assert_eq!(
            stmts("SELECT 'a\\';b'; SELECT \"c\\\";d\"; SELECT 3", MY),
            vec!["SELECT 'a\\';b'", "SELECT \"c\\\";d\"", "SELECT 3"]
        );
        assert_eq!(
            stmts("SELECT \"x\"\";\"; SELECT 2", MY),
            vec!["SELECT \"x\"\";\"", "SELECT 2"]
        );
    }

    #[test]
    fn identifiers() {
        // PostgreSQL double-quoted identifiers: doubling, no backslash escapes.
        assert_eq!(
            stmts("SELECT \"a;\"\"b\"; SELECT \"a\\\"; SELECT 3", PG),
            vec!["SELECT \"a;\"\"b\"", "SELECT \"a\\\"", "SELECT 3"]
        );
        // MySQL backticks with doubling.
        assert_eq!(
            stmts("SELECT `a;``b`; SELECT `\\`; SELECT 3", MY),
            vec!["SELECT `a;``b`", "SELECT `\\`", "SELECT 3"]
        );
        // Backticks mean nothing in PostgreSQL.
        assert_eq!(stmts("SELECT `a;b`", PG), vec!["SELECT `a", "b`"]);
    }

    #[test]
    fn dollar_quoting() {
        let text = "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
                    DO $body$ BEGIN PERFORM '$$;'; $inner$ ; $inner$; END $body$;\n\
                    SELECT $ü$ ; $ü$, $_x1$;$_x1$;";
        assert_eq!(
            stmts(text, PG),
            vec![
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
                "DO $body$ BEGIN PERFORM '$$;'; $inner$ ; $inner$; END $body$",
                "SELECT $ü$ ; $ü$, $_x1$;$_x1$",
            ]
        );
        // Parameters and identifiers containing `$` are not dollar quotes.
        assert_eq!(
            stmts(
                "PREPARE p AS SELECT $1; SELECT $2$; SELECT a$b$; SELECT 4",
                PG
            ),
            vec![
                "PREPARE p AS SELECT $1",
                "SELECT $2$",
                "SELECT a$b$",
                "SELECT 4"
            ]
        );
        // `$1x$` is not a tag either (tags cannot start with a digit).
        assert_eq!(stmts("SELECT $1x$; $1x$", PG), vec!["SELECT $1x$", "$1x$"]);
        // A closing delimiter must match the opening tag exactly.
        assert_eq!(
            stmts("SELECT $a$ $A$; $ab$; $$; $a$; SELECT 2", PG),
            vec!["SELECT $a$ $A$; $ab$; $$; $a$", "SELECT 2"]
        );
        assert_eq!(
            stmts("SELECT $$$$; SELECT 2", PG),
            vec!["SELECT $$$$", "SELECT 2"]
        );
        // MySQL has no dollar quoting.
        assert_eq!(stmts("SELECT $$; $$", MY), vec!["SELECT $$", "$$"]);
    }

    #[test]
    fn block_comments_nest_in_postgres_only() {
        let text = "/* a /* b; */ ; */ SELECT 1; SELECT /* x /* y */ ; */ 2;";
        assert_eq!(comments(text, PG), vec!["/* a /* b; */ ; */"]);
        assert_eq!(
            stmts(text, PG),
            vec!["SELECT 1", "SELECT /* x /* y */ ; */ 2"]
        );
        assert_eq!(comments(text, MY), vec!["/* a /* b; */"]);
        assert_eq!(
            stmts(text, MY),
            vec!["*/ SELECT 1", "SELECT /* x /* y */", "*/ 2"]
        );
        // `/*/` does not close itself.
        assert_eq!(comments("/*/ x */", PG), vec!["/*/ x */"]);
        assert_eq!(comments("/**/", MY), vec!["/**/"]);
    }

    #[test]
    fn mysql_dash_comments_need_whitespace() {
        assert_eq!(
            stmts("SELECT 1--2;\nSELECT 3 -- c;\n;", MY),
            vec!["SELECT 1--2", "SELECT 3 -- c;"]
        );
        assert_eq!(
            comments("--\nSELECT 1; --\tx\n--", MY),
            vec!["--", "--\tx", "--"]
        );
        assert_eq!(stmts("--x;\nSELECT 1", MY), vec!["--x", "SELECT 1"]);
        // PostgreSQL: `--` always starts a comment.
        assert_eq!(
            stmts("SELECT 1--2;\nSELECT 3", PG),
            vec!["SELECT 1--2;\nSELECT 3"]
        );
    }

    #[test]
    fn hash_comments_in_mysql_only() {
        let text = "# top; x\nSELECT 1 # in;\n; # tail";
        assert_eq!(comments(text, MY), vec!["# top; x", "# tail"]);
        assert_eq!(stmts(text, MY), vec!["SELECT 1 # in;"]);
        assert_eq!(
            stmts("SELECT 1 # 2; SELECT 3", PG),
            vec!["SELECT 1 # 2", "SELECT 3"]
        );
    }

    #[test]
    fn psql_meta_commands() {
        let text = "\\set ON_ERROR_STOP on\nSELECT 1;\n  \\i file.sql  \r\nSELECT '\\\\'; \\echo a;b\nSELECT 2\n\\g\n;";
        let out = split(text, PG);
        assert_eq!(
            stmts(text, PG),
            vec![
                "\\set ON_ERROR_STOP on",
                "SELECT 1",
                "\\i file.sql",
                "SELECT '\\\\'",
                "\\echo a;b",
                "SELECT 2\n\\g",
            ]
        );
        assert_eq!(
            kinds(text, PG),
            vec![
                RawKind::PsqlMeta,
                RawKind::Sql,
                RawKind::PsqlMeta,
                RawKind::Sql,
                RawKind::PsqlMeta,
                RawKind::Sql
            ]
        );
        assert!(out.statements[0].terminator.is_none());
        assert!(out.statements[2].terminator.is_none());
        // MySQL does not know psql meta-commands.
        assert_eq!(kinds("\\x\n;", MY), vec![RawKind::Sql]);
    }

    #[test]
    fn mysql_delimiter_with_trigger_body() {
        let text = "DELIMITER $$\n\
                    CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW\n\
                    BEGIN\n  SET NEW.a = 1;\n  SET NEW.b = 'x;y$$';\nEND$$\n\
                    DELIMITER ;\n\
                    SELECT 1;\n\
                    delimiter //\nSELECT 2; SELECT 3 //\n//\nSELECT 4";
        let out = split(text, MY);
        assert_eq!(
            stmts(text, MY),
            vec![
                "DELIMITER $$",
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\n  SET NEW.b = 'x;y$$';\nEND",
                "DELIMITER ;",
                "SELECT 1",
                "delimiter //",
                "SELECT 2; SELECT 3",
                "SELECT 4",
            ]
        );
        assert_eq!(
            kinds(text, MY),
            vec![
                RawKind::Delimiter,
                RawKind::Sql,
                RawKind::Delimiter,
                RawKind::Sql,
                RawKind::Delimiter,
                RawKind::Sql,
                RawKind::Sql
            ]
        );
        let trig = &out.statements[1];
        assert_eq!(&text[trig.terminator.clone().unwrap()], "$$");
        assert_eq!(&text[out.statements[3].terminator.clone().unwrap()], ";");
        assert_eq!(&text[out.statements[5].terminator.clone().unwrap()], "//");
        assert_eq!(out.statements[6].terminator, None);
    }

    #[test]
    fn delimiter_edge_cases() {
        // Quoted argument, multibyte delimiter, words that only look like DELIMITER.
        assert_eq!(
            stmts(
                "DELIMITER '§§'\nSELECT 1; 2§§ DELIMITER ;\nDELIMITERS x;",
                MY
            ),
            vec![
                "DELIMITER '§§'",
                "SELECT 1; 2",
                "DELIMITER ;",
                "DELIMITERS x"
            ]
        );
        // No argument: still a DELIMITER line, the terminator is unchanged.
        let text = "DELIMITER\nSELECT 1;";
        assert_eq!(kinds(text, MY), vec![RawKind::Delimiter, RawKind::Sql]);
        assert_eq!(stmts(text, MY), vec!["DELIMITER", "SELECT 1"]);
        // Only at statement start.
        assert_eq!(
            stmts("SELECT DELIMITER $$;", MY),
            vec!["SELECT DELIMITER $$"]
        );
        // A DELIMITER line is recognised whatever the current delimiter.
        assert_eq!(
            stmts(
                "DELIMITER DELIMITER\nSELECT 1 DELIMITER\nDELIMITER ;\nSELECT 2;",
                MY
            ),
            vec!["DELIMITER DELIMITER", "SELECT 1", "DELIMITER ;", "SELECT 2"]
        );
        // PostgreSQL knows no DELIMITER.
        assert_eq!(kinds("DELIMITER $$\nSELECT 1;", PG), vec![RawKind::Sql]);
        // Unclosed DELIMITER region at EOF.
        let text = "DELIMITER $$\nSELECT 1;";
        let out = split(text, MY);
        assert_eq!(stmts(text, MY), vec!["DELIMITER $$", "SELECT 1;"]);
        assert_eq!(out.statements[1].terminator, None);
    }

    #[test]
    fn unterminated_constructs_run_to_eof() {
        let text = "SELECT 1; SELECT 'abc;\nSELECT 2;\n";
        let out = split(text, PG);
        assert_eq!(stmts(text, PG), vec!["SELECT 1", "SELECT 'abc;\nSELECT 2;"]);
        assert_eq!(
            out.statements[1].unclosed,
            Some((Unclosed::SingleQuote, 17))
        );
        assert_eq!(out.statements[1].terminator, None);
        assert_eq!(out.statements[0].unclosed, None);

        let cases: [(&str, Dialect, Unclosed, usize); 8] = [
            ("SELECT 'it''s", PG, Unclosed::SingleQuote, 7),
            ("SELECT E'\\'", PG, Unclosed::SingleQuote, 8),
            ("SELECT \"a;", PG, Unclosed::DoubleQuote, 7),
            ("SELECT \"a\\\"", MY, Unclosed::DoubleQuote, 7),
            ("SELECT `a;", MY, Unclosed::Backtick, 7),
            ("DO $f$ x; $$ ; $g$", PG, Unclosed::DollarQuote, 3),
            ("SELECT /* /* */ ;", PG, Unclosed::BlockComment, 7),
            ("SELECT 1 /* é", MY, Unclosed::BlockComment, 9),
        ];
        for (text, d, what, at) in cases {
            let out = split(text, d);
            assert_eq!(out.statements.len(), 1, "{text}");
            let s = &out.statements[0];
            assert_eq!(s.span, 0..text.len(), "{text}");
            assert_eq!(s.unclosed, Some((what, at)), "{text}");
        }
    }

    #[test]
    fn unclosed_block_comment_between_statements_is_reported() {
        let text = "SELECT 1;\n/* never ; closed\n";
        let out = split(text, PG);
        assert_eq!(stmts(text, PG), vec!["SELECT 1", "/* never ; closed"]);
        assert_eq!(out.statements[1].kind, RawKind::Sql);
        assert_eq!(
            out.statements[1].unclosed,
            Some((Unclosed::BlockComment, 10))
        );
        assert!(out.comments.is_empty());
    }

    #[test]
    fn leading_bom_is_skipped() {
        let text = "\u{feff}SELECT 1;";
        assert_eq!(stmts(text, PG), vec!["SELECT 1"]);
        assert_eq!(split(text, PG).statements[0].span.start, 3);
    }

    // ---- property-style checks -------------------------------------------------------

    /// A tiny deterministic pseudo-random generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Checks the invariants of a split. `skippable` lists the bytes that may be left
    /// uncovered besides whitespace (the terminators of skipped empty statements).
    fn check(text: &str, dialect: Dialect, skippable: &[u8]) {
        let out = split(text, dialect);
        let bytes = text.as_bytes();
        let mut ranges: Vec<(Range<usize>, &str)> = Vec::new();
        let mut prev_end = 0;
        for s in &out.statements {
            assert!(
                s.span.start < s.span.end,
                "empty statement span in {text:?}"
            );
            assert!(
                s.span.start >= prev_end,
                "statements out of order in {text:?}"
            );
            assert!(!is_blank(bytes[s.span.start]) && !is_blank(bytes[s.span.end - 1]));
            prev_end = s.span.end;
            ranges.push((s.span.clone(), "statement"));
            if let Some(t) = &s.terminator {
                assert!(t.start >= s.span.end && t.start < t.end, "{text:?}");
                assert!(bytes[s.span.end..t.start].iter().all(|&b| is_blank(b)));
                prev_end = t.end;
                ranges.push((t.clone(), "terminator"));
            }
            if s.unclosed.is_some() {
                assert!(s.terminator.is_none());
                assert!(bytes[s.span.end..].iter().all(|&b| is_blank(b)));
            }
        }
        let mut prev_end = 0;
        for c in &out.comments {
            assert!(
                c.span.start >= prev_end && c.span.start < c.span.end,
                "{text:?}"
            );
            prev_end = c.span.end;
            ranges.push((c.span.clone(), "comment"));
        }
        ranges.sort_by_key(|(r, _)| (r.start, r.end));
        let mut covered = vec![false; bytes.len()];
        let mut prev_end = 0;
        for (r, what) in &ranges {
            assert!(
                r.start >= prev_end,
                "overlapping {what} {r:?} in {text:?}: {out:?}"
            );
            assert!(r.end <= bytes.len());
            assert!(
                text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
                "{what} {r:?} not on char boundaries in {text:?}"
            );
            prev_end = r.end;
            covered[r.clone()].iter_mut().for_each(|c| *c = true);
        }
        let bom = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
        for (i, &b) in bytes.iter().enumerate() {
            if !covered[i] && i >= bom {
                assert!(
                    is_blank(b) || skippable.contains(&b),
                    "byte {i} ({:?}) lost in {text:?}: {out:?}",
                    b as char
                );
            }
        }
    }

    const HAND_MADE: &[&str] = &[
        "",
        ";",
        "'",
        "\"",
        "`",
        "$",
        "$$",
        "$a",
        "$a$",
        "-",
        "--",
        "-- ",
        "#",
        "/",
        "/*",
        "/*/",
        "*/",
        "\\",
        "\\\n",
        "E'",
        "E'\\",
        "e",
        "é",
        "\u{feff}",
        "\u{feff};",
        "DELIMITER",
        "DELIMITER ",
        "DELIMITER \n",
        "delimiter $$\n$$$",
        "DELIMITER 'x",
        "DELIMITER ''",
        "DELIMITER ;;\nSELECT 1;;",
        "SELECT 1; SELECT 'a;b' -- c;\n; $x$ ; $x$ /* ; */",
        "\r\n\r\n;\r\n",
        "\u{1F600};\u{1F600}",
        "SELECT '😀\\",
        "$😀$ x $😀$;",
        "😀$$;$$",
    ];

    #[test]
    fn hand_made_inputs_keep_invariants() {
        for text in HAND_MADE {
            for d in [PG, MY] {
                check(text, d, b";$x");
            }
        }
    }

    const FRAGMENTS: &[&str] = &[
        "SELECT 'a;b'",
        "-- c;\n",
        "--",
        "$x$ ; $x$",
        "$$",
        "$1",
        "/* ; */",
        "/* /*",
        "*/",
        "\n",
        "\r\n",
        " ",
        ";",
        "'",
        "\"",
        "`",
        "E'\\'",
        "\\",
        "\\set x 1",
        "# h;",
        "é",
        "日本",
        "😀",
        "x",
        "$",
        "-",
        "/",
        "*",
        "a$b",
    ];

    const MYSQL_FRAGMENTS: &[&str] = &["DELIMITER $$\n", "DELIMITER //\n", "DELIMITER ;\n", "//"];

    #[test]
    fn generated_inputs_keep_invariants() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut text = String::new();
        for round in 0..4000 {
            text.clear();
            let pieces = 1 + rng.below(24);
            let mysql = round % 2 == 1;
            for _ in 0..pieces {
                if mysql && rng.below(6) == 0 {
                    text.push_str(MYSQL_FRAGMENTS[rng.below(MYSQL_FRAGMENTS.len())]);
                } else {
                    text.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
                }
            }
            if mysql {
                check(&text, MY, b";$/");
            } else {
                check(&text, PG, b";");
            }
        }
    }

    #[test]
    fn random_chars_keep_invariants() {
        let alphabet: Vec<char> = "';\"`$-#/*\\\n\r Eea1_é日😀\u{feff}\t".chars().collect();
        let mut rng = Rng(42);
        let mut text = String::new();
        for _ in 0..4000 {
            text.clear();
            for _ in 0..rng.below(40) {
                text.push(alphabet[rng.below(alphabet.len())]);
            }
            check(&text, PG, b";");
            check(&text, MY, b";");
        }
    }

    #[test]
    fn splits_large_input_linearly() {
        // Deeply repetitive input with many `$` inside a dollar body, and an unclosed one.
        let mut text = String::from("SELECT $t$");
        text.push_str(&"$ $x$ ;".repeat(20_000));
        text.push_str("$t$; SELECT 2;");
        assert_eq!(stmts(&text, PG).len(), 2);
        let big = "SELECT 'a;b', \"c\" -- d;\n FROM t /* ; */;\n".repeat(50_000);
        assert_eq!(split(&big, PG).statements.len(), 50_000);
        assert_eq!(split(&big, MY).statements.len(), 50_000);
    }
}
