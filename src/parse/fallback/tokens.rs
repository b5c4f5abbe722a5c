//! The fallback's tokens: sqlparser's tokenizer, with byte ranges and bracket depths.
//!
//! Owns turning one statement's text into [`Tok`]s and the [`Cursor`] that reads them.
//! Comments and whitespace are dropped; MySQL `/*! … */` executable comments are read as
//! the SQL they contain (sqlparser's tokenizer does that). One notion of a token, a quote and
//! a comment for the whole crate: sqlparser's.

use std::borrow::Cow;

use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::classify::op::Name;
use crate::dialect::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A keyword or an unquoted identifier.
    Word,
    /// A quoted identifier (`"x"` in PostgreSQL, `` `x` `` in MySQL); the value is unquoted.
    Quoted,
    /// A string literal; the value has its quotes removed and escapes resolved.
    Str,
    /// A PostgreSQL dollar-quoted body; the value is the body.
    Dollar,
    Number,
    /// `(`, `)`, `[`, `]`, `,`, `.`, `=`, `::`, `:=`, `$1` and every other operator.
    Punct,
}

#[derive(Debug, Clone)]
pub(super) struct Tok<'a> {
    pub(super) kind: Kind,
    pub(super) value: Cow<'a, str>,
    /// Byte range in the statement text.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Bracket depth the token sits at; an opening bracket and its closer share the depth
    /// outside them.
    pub(super) depth: i32,
}

impl Tok<'_> {
    pub(super) fn is_kw(&self, kw: &str) -> bool {
        self.kind == Kind::Word && self.value.eq_ignore_ascii_case(kw)
    }

    pub(super) fn is_any_kw(&self, kws: &[&str]) -> bool {
        self.kind == Kind::Word && kws.iter().any(|kw| self.value.eq_ignore_ascii_case(kw))
    }

    pub(super) fn is_punct(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.value == p
    }

    pub(super) fn is_ident(&self) -> bool {
        matches!(self.kind, Kind::Word | Kind::Quoted)
    }

    pub(super) fn is_open(&self) -> bool {
        self.is_punct("(") || self.is_punct("[")
    }

    pub(super) fn is_close(&self) -> bool {
        self.is_punct(")") || self.is_punct("]")
    }

    pub(super) fn lower(&self) -> String {
        self.value.to_lowercase()
    }
}

/// Cuts `src` with sqlparser's tokenizer. `None` when the tokenizer rejects the text (an
/// unterminated quote or comment): such text is not a statement the fallback can recognise.
pub(super) fn tokenize(src: &str, dialect: Dialect) -> Option<Vec<Tok<'_>>> {
    let spanned = match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, src).tokenize_with_location(),
        Dialect::Mysql => Tokenizer::new(&MySqlDialect {}, src).tokenize_with_location(),
    }
    .ok()?;
    let hints = dialect == Dialect::Mysql && src.contains("/*!");
    let mut offsets = Offsets::new(src, hints);
    let mut toks = Vec::with_capacity(spanned.len() / 2 + 1);
    let mut depth = 0i32;
    for TokenWithSpan { token, span } in spanned {
        if hints {
            // The first token of an executable comment (often a space) marks where it is.
            offsets.at(span.start);
        }
        let (kind, value): (Kind, Option<String>) = match token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::Word(w) => match w.quote_style {
                None => (Kind::Word, None),
                Some(_) => (Kind::Quoted, Some(w.value)),
            },
            Token::Number(_, _) => (Kind::Number, None),
            Token::DollarQuotedString(d) => (Kind::Dollar, Some(d.value)),
            Token::SingleQuotedString(s)
            | Token::DoubleQuotedString(s)
            | Token::NationalStringLiteral(s)
            | Token::EscapedStringLiteral(s)
            | Token::UnicodeStringLiteral(s)
            | Token::HexStringLiteral(s)
            | Token::SingleQuotedByteStringLiteral(s)
            | Token::DoubleQuotedByteStringLiteral(s)
            | Token::TripleSingleQuotedString(s)
            | Token::TripleDoubleQuotedString(s) => (Kind::Str, Some(s)),
            other => (Kind::Punct, Some(other.to_string())),
        };
        let start = offsets.at(span.start);
        let end = offsets.at(span.end).max(start);
        let raw = src.get(start..end).unwrap_or("");
        let value = match value {
            // Operators and unquoted words are read from the text itself.
            Some(v) if kind == Kind::Punct && v == raw => Cow::Borrowed(raw),
            Some(v) => Cow::Owned(v),
            None => Cow::Borrowed(raw),
        };
        let tok_depth = match value.as_ref() {
            "(" | "[" if kind == Kind::Punct => {
                depth += 1;
                depth - 1
            }
            ")" | "]" if kind == Kind::Punct => {
                depth -= 1;
                depth
            }
            _ => depth,
        };
        toks.push(Tok {
            kind,
            value,
            start,
            end,
            depth: tok_depth,
        });
    }
    Some(toks)
}

/// Maps sqlparser's 1-based line and character column to byte offsets, walking forward
/// from the last answer (tokens come in order, so the walk is linear in the text).
///
/// sqlparser reports the tokens of a MySQL `/*!50001 … */` comment on the comment's first
/// line as if the text started where `/*` is; those are moved past the `/*!nnnnn` prefix.
struct Offsets<'a> {
    src: &'a str,
    line: u64,
    column: u64,
    byte: usize,
    /// An executable comment's first line: its line, the column of its `/*`, the column its
    /// content ends at as reported, and how many characters its prefix has.
    hint: Option<(u64, u64, u64, u64)>,
    /// Whether executable comments exist (MySQL only).
    hints: bool,
}

impl<'a> Offsets<'a> {
    fn new(src: &'a str, hints: bool) -> Self {
        Offsets {
            src,
            hints,
            line: 1,
            column: 1,
            byte: 0,
            hint: None,
        }
    }

    fn at(&mut self, loc: Location) -> usize {
        let mut loc = loc;
        if let Some((line, from, to, shift)) = self.hint {
            if loc.line == line && (from..=to).contains(&loc.column) {
                loc.column += shift;
            } else {
                self.hint = None;
            }
        }
        let byte = self.walk(loc);
        if self.hints
            && self.hint.is_none()
            && self.src.get(byte..).is_some_and(|r| r.starts_with("/*!"))
        {
            let rest = &self.src[byte + 3..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let content = &rest[digits..];
            let first_line_end = [content.find('\n'), content.find("*/")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(content.len());
            let first_line = &content[..first_line_end];
            let shift = 3 + digits as u64;
            let len = first_line.chars().count() as u64;
            self.hint = Some((loc.line, loc.column, loc.column + len, shift));
            loc.column += shift;
            return self.walk(loc);
        }
        byte
    }

    /// The byte offset of `loc`, walking from the last position (or from the start when
    /// `loc` lies before it).
    fn walk(&mut self, loc: Location) -> usize {
        if (loc.line, loc.column) < (self.line, self.column) {
            self.line = 1;
            self.column = 1;
            self.byte = 0;
        }
        let bytes = self.src.as_bytes();
        while self.line < loc.line && self.byte < bytes.len() {
            match bytes[self.byte..].iter().position(|&b| b == b'\n') {
                Some(k) => {
                    self.byte += k + 1;
                    self.line += 1;
                    self.column = 1;
                }
                None => self.byte = bytes.len(),
            }
        }
        while self.column < loc.column {
            match self.src.get(self.byte..).and_then(|r| r.chars().next()) {
                Some(ch) if ch != '\n' => {
                    self.byte += ch.len_utf8();
                    self.column += 1;
                }
                _ => break,
            }
        }
        self.byte
    }
}

// ---------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------
// Cursor
// ---------------------------------------------------------------------------------------

/// A read position over a run of tokens. "Top level" means the depth of the run's first
/// token: a cursor over the inside of `( … )` sees that inside as its top level.
#[derive(Clone, Copy)]
pub(super) struct Cursor<'t, 'a> {
    pub(super) toks: &'t [Tok<'a>],
    pub(super) pos: usize,
    pub(super) base: i32,
    pub(super) src: &'a str,
    pub(super) dialect: Dialect,
}

impl<'t, 'a> Cursor<'t, 'a> {
    pub(super) fn new(toks: &'t [Tok<'a>], src: &'a str, dialect: Dialect) -> Self {
        let base = toks.first().map_or(0, |t| t.depth);
        Cursor {
            toks,
            pos: 0,
            base,
            src,
            dialect,
        }
    }

    /// A new cursor over tokens `from..to` of this one.
    pub(super) fn slice(&self, from: usize, to: usize) -> Self {
        let to = to.min(self.toks.len());
        let from = from.min(to);
        Cursor::new(&self.toks[from..to], self.src, self.dialect)
    }

    /// A new cursor over what is left.
    pub(super) fn rest(&self) -> Self {
        self.slice(self.pos, self.toks.len())
    }

    pub(super) fn pg(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub(super) fn tok(&self, n: usize) -> Option<&'t Tok<'a>> {
        let toks: &'t [Tok<'a>] = self.toks;
        toks.get(self.pos + n)
    }

    pub(super) fn peek(&self) -> Option<&'t Tok<'a>> {
        self.tok(0)
    }

    pub(super) fn bump(&mut self) -> Option<&'t Tok<'a>> {
        let t = self.peek()?;
        self.pos += 1;
        Some(t)
    }

    pub(super) fn kw_at(&self, n: usize, kw: &str) -> bool {
        self.tok(n).is_some_and(|t| t.is_kw(kw))
    }

    pub(super) fn punct_at(&self, n: usize, p: &str) -> bool {
        self.tok(n).is_some_and(|t| t.is_punct(p))
    }

    pub(super) fn peek_kw(&self, kw: &str) -> bool {
        self.kw_at(0, kw)
    }

    pub(super) fn peek_any(&self, kws: &[&str]) -> bool {
        self.peek().is_some_and(|t| t.is_any_kw(kws))
    }

    pub(super) fn eat_kw(&mut self, kw: &str) -> bool {
        self.eat_kws(&[kw])
    }

    /// Eats the whole keyword sequence, or nothing.
    pub(super) fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let all = kws.iter().enumerate().all(|(n, kw)| self.kw_at(n, kw));
        if all {
            self.pos += kws.len();
        }
        all
    }

    /// Eats one of `kws` and says which.
    pub(super) fn eat_one_of(&mut self, kws: &[&'static str]) -> Option<&'static str> {
        let t = self.peek()?;
        let kw = kws.iter().copied().find(|kw| t.is_kw(kw))?;
        self.pos += 1;
        Some(kw)
    }

    pub(super) fn eat_punct(&mut self, p: &str) -> bool {
        let hit = self.punct_at(0, p);
        if hit {
            self.pos += 1;
        }
        hit
    }

    pub(super) fn eat_if_exists(&mut self) -> bool {
        self.eat_kws(&["IF", "EXISTS"])
    }

    pub(super) fn eat_if_not_exists(&mut self) -> bool {
        self.eat_kws(&["IF", "NOT", "EXISTS"])
    }

    /// An identifier as written: its text without quotes, and whether it was quoted.
    pub(super) fn ident(&mut self) -> Option<(&'t str, bool)> {
        let t = self.peek().filter(|t| t.is_ident())?;
        self.pos += 1;
        Some((t.value.as_ref(), t.kind == Kind::Quoted))
    }

    /// A one-part name (a column, an index, a constraint).
    pub(super) fn column(&mut self) -> Option<Name> {
        let part = self.ident()?;
        Some(Name::from_parts([part], self.dialect))
    }

    /// A possibly qualified name: `a`, `s.a`, `"S"."A"`.
    pub(super) fn name(&mut self) -> Option<Name> {
        let mut parts = vec![self.ident()?];
        while self.punct_at(0, ".") && self.tok(1).is_some_and(Tok::is_ident) {
            self.pos += 1;
            parts.extend(self.ident());
        }
        Some(Name::from_parts(parts, self.dialect))
    }

    /// Comma-separated items read by `item`; stops (before the comma) at the first item
    /// that does not read.
    pub(super) fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Vec<T> {
        let mut out: Vec<T> = item(self).into_iter().collect();
        while !out.is_empty() {
            let save = self.pos;
            if !self.eat_punct(",") {
                break;
            }
            match item(self) {
                Some(x) => out.push(x),
                None => {
                    self.pos = save;
                    break;
                }
            }
        }
        out
    }

    /// When at `(` or `[`: a cursor over the inside, and the position moves past the closer.
    /// `None` (and nothing read) when the bracket is not closed by its own kind.
    pub(super) fn group(&mut self) -> Option<Self> {
        let open = self.peek().filter(|t| t.is_open())?;
        let start = self.pos + 1;
        let mut end = start;
        while self.toks.get(end).is_some_and(|t| t.depth > open.depth) {
            end += 1;
        }
        let closer = if open.is_punct("(") { ")" } else { "]" };
        self.toks.get(end).filter(|t| t.is_punct(closer))?;
        let inner = self.slice(start, end);
        self.pos = end + 1;
        Some(inner)
    }

    pub(super) fn is_top(&self, t: &Tok) -> bool {
        t.depth == self.base
    }

    /// The tokens up to the next top-level comma (or a stray closer), as a cursor; the
    /// position moves to that comma.
    pub(super) fn take_until_comma(&mut self) -> Self {
        let start = self.pos;
        while let Some(t) = self.peek() {
            if t.depth < self.base || (self.is_top(t) && t.is_punct(",")) {
                break;
            }
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }

    /// The top-level comma-separated items of what is left.
    pub(super) fn items(mut self) -> Vec<Self> {
        let mut out = Vec::new();
        while !self.at_end() {
            let item = self.take_until_comma();
            if !item.at_end() {
                out.push(item);
            }
            self.bump();
        }
        out
    }

    pub(super) fn top_index(&self, pred: impl Fn(&Tok) -> bool) -> Option<usize> {
        (self.pos..self.toks.len()).find(|&i| self.is_top(&self.toks[i]) && pred(&self.toks[i]))
    }

    /// The source text of tokens `from..to`.
    pub(super) fn text_range(&self, from: usize, to: usize) -> &'a str {
        if from >= to || to > self.toks.len() {
            return "";
        }
        self.src
            .get(self.toks[from].start..self.toks[to - 1].end)
            .unwrap_or("")
    }

    /// The source text of what is left.
    pub(super) fn text(&self) -> &'a str {
        self.text_range(self.pos, self.toks.len())
    }

    /// Whether the keyword sequence comes next.
    pub(super) fn peek_kws(&self, kws: &[&str]) -> bool {
        kws.iter().enumerate().all(|(n, kw)| self.kw_at(n, kw))
    }

    /// Where the keyword sequence first starts at top level in what is left.
    pub(super) fn top_index_seq(&self, kws: &[&str]) -> Option<usize> {
        (self.pos..self.toks.len()).find(|&i| {
            kws.iter().enumerate().all(|(k, kw)| {
                self.toks
                    .get(i + k)
                    .is_some_and(|t| self.is_top(t) && t.is_kw(kw))
            })
        })
    }

    /// A MySQL-style option value, `[=] value`: one word, name, string or number.
    pub(super) fn option_word(&mut self) -> Option<String> {
        self.eat_punct("=");
        let t = self
            .peek()
            .filter(|t| matches!(t.kind, Kind::Word | Kind::Quoted | Kind::Str | Kind::Number))?;
        self.pos += 1;
        Some(t.value.to_string())
    }

    /// One number token.
    pub(super) fn number(&mut self) -> Option<()> {
        self.peek().filter(|t| t.kind == Kind::Number)?;
        self.pos += 1;
        Some(())
    }

    /// A number with an optional sign.
    pub(super) fn signed_number(&mut self) -> Option<()> {
        let _ = self.eat_punct("-") || self.eat_punct("+");
        self.number()
    }

    /// A MySQL account, `user[@host]` or `CURRENT_USER[()]`, each part a name or a string.
    pub(super) fn account(&mut self) -> Option<()> {
        if self.eat_kw("CURRENT_USER") {
            if self.punct_at(0, "(") {
                self.group().filter(|g| g.at_end())?;
            }
            return Some(());
        }
        let part = |c: &mut Self| -> Option<()> {
            c.peek()
                .filter(|t| matches!(t.kind, Kind::Word | Kind::Quoted | Kind::Str))?;
            c.pos += 1;
            Some(())
        };
        part(self)?;
        if self.eat_punct("@") {
            part(self)?;
        }
        Some(())
    }

    /// `DEFINER = account` (the keyword already eaten).
    pub(super) fn skip_definer(&mut self) -> bool {
        self.eat_punct("=") && self.account().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of each token (slicing panics unless the ranges fall on characters).
    fn texts(src: &str, dialect: Dialect) -> Vec<&str> {
        tokenize(src, dialect)
            .unwrap_or_default()
            .iter()
            .map(|t| &src[t.start..t.end])
            .collect()
    }

    #[test]
    fn byte_ranges_follow_multibyte_text_and_lines() {
        assert_eq!(
            texts(
                "SELECT 'é' AS \"ü\"\n  , $t$ x $t$ -- c\n FROM é",
                Dialect::Postgres
            ),
            [
                "SELECT",
                "'é'",
                "AS",
                "\"ü\"",
                ",",
                "$t$ x $t$",
                "FROM",
                "é"
            ]
        );
    }

    #[test]
    fn executable_comments_are_read_as_sql() {
        assert_eq!(
            texts("/*!40101 SET x = 1 */ , y /*!50001 z*/", Dialect::Mysql),
            ["SET", "x", "=", "1", ",", "y", "z"]
        );
        let toks = tokenize("/*!50001 DROP\n TABLE t */", Dialect::Mysql).unwrap_or_default();
        let kinds: Vec<&str> = toks.iter().map(|t| t.value.as_ref()).collect();
        assert_eq!(kinds, ["DROP", "TABLE", "t"]);
    }

    #[test]
    fn depth_counts_brackets() {
        let toks = tokenize("f((a), [b])", Dialect::Postgres).unwrap_or_default();
        let depths: Vec<i32> = toks.iter().map(|t| t.depth).collect();
        assert_eq!(depths, [0, 0, 1, 2, 1, 1, 1, 2, 1, 0]);
    }

    #[test]
    fn unterminated_text_is_not_tokens() {
        assert!(tokenize("SELECT 'abc", Dialect::Postgres).is_none());
    }
}
