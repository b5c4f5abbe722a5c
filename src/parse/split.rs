//! Statement splitting with exact byte ranges.
//!
//! Owns cutting a file into statements at top-level terminators. Understands quotes,
//! dollar-quoted bodies, comments, psql meta-commands, MySQL `DELIMITER`, compound
//! statements whose bodies hold `;` (MySQL/MariaDB stored programs and `BEGIN NOT ATOMIC`,
//! PostgreSQL `BEGIN ATOMIC`) and goose's `StatementBegin`/`StatementEnd` annotations.
//! Does not parse: compound bodies are followed word by word only far enough to find
//! their `END`.

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
    /// The rows after a PostgreSQL `COPY … FROM STDIN`, up to and including the `\.` line.
    CopyData,
}

/// What was left open at the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unclosed {
    SingleQuote,
    DoubleQuote,
    Backtick,
    DollarQuote,
    BlockComment,
    /// A compound statement's block with no matching `END`.
    Block(Block),
    /// A goose `-- +goose StatementBegin` with no `-- +goose StatementEnd` after it.
    GooseStatement,
    /// `COPY … FROM STDIN` rows with no `\.` line after them.
    CopyData,
}

/// A block of a compound statement, as reported when it is never closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Begin,
    If,
    Case,
    Loop,
    While,
    Repeat,
}

impl Unclosed {
    /// What was left open, as the subject of a message ("this string literal").
    pub fn describe(self) -> &'static str {
        match self {
            Unclosed::SingleQuote => "this string literal",
            Unclosed::DoubleQuote => "this quoted identifier",
            Unclosed::Backtick => "this backtick-quoted identifier",
            Unclosed::DollarQuote => "this dollar-quoted body",
            Unclosed::BlockComment => "this block comment",
            Unclosed::Block(Block::Begin) => "this BEGIN … END block",
            Unclosed::Block(Block::If) => "this IF … END IF block",
            Unclosed::Block(Block::Case) => "this CASE … END block",
            Unclosed::Block(Block::Loop) => "this LOOP … END LOOP block",
            Unclosed::Block(Block::While) => "this WHILE … END WHILE block",
            Unclosed::Block(Block::Repeat) => "this REPEAT … END REPEAT block",
            Unclosed::CopyData => "this `COPY … FROM STDIN` data (no `\\.` line ends it)",
            Unclosed::GooseStatement => {
                "this `-- +goose StatementBegin` block (no `-- +goose StatementEnd`)"
            }
        }
    }
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
    /// Set when the statement runs into end of file inside a quote, dollar body, block
    /// comment, compound block or goose statement block: what was open and the byte offset
    /// where it opened (for a compound statement, the innermost block left open).
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
    /// Inside a goose `StatementBegin` … `StatementEnd` block: where its closing annotation
    /// line starts. Whatever starts before it is one statement.
    goose_end: Option<usize>,
    out: Split,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, dialect: Dialect) -> Self {
        let mut splitter = Splitter {
            bytes: text.as_bytes(),
            dialect,
            delim: b";",
            special: [false; 256],
            goose_end: None,
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
            Dialect::Postgres => {
                table[b'$' as usize] = true;
                // A psql meta-command (`\gset`, `\g`) ends the query before it.
                table[b'\\' as usize] = true;
            }
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
            if self.goose_end.is_some_and(|end| pos >= end) {
                self.goose_end = None;
            }
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
                if self.is_goose_annotation(pos, end, b"statementbegin") {
                    let Some(block_end) = self.goose_statement_end(end) else {
                        self.push(
                            RawKind::Sql,
                            pos,
                            len,
                            None,
                            Some((Unclosed::GooseStatement, pos)),
                        );
                        return self.out;
                    };
                    self.goose_end = Some(block_end);
                }
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
            pos = match self.goose_end {
                Some(end) => self.goose_statement(pos, end),
                None => self.statement(pos),
            };
            if self.copies_from_stdin() {
                pos = self.copy_data(pos);
            }
        }
        self.out
    }

    /// Whether the statement just cut is a PostgreSQL `COPY … FROM STDIN`, whose rows follow
    /// it in the script.
    fn copies_from_stdin(&self) -> bool {
        if self.dialect != Dialect::Postgres {
            return false;
        }
        let Some(last) = self.out.statements.last() else {
            return false;
        };
        if last.kind != RawKind::Sql || last.unclosed.is_some() {
            return false;
        }
        let Some((first, mut pos)) = self.token_at(last.span.start) else {
            return false;
        };
        if !first.is(b"copy") {
            return false;
        }
        let mut after_from = false;
        while let Some((token, end)) = self.token_at(pos) {
            if end > last.span.end {
                break;
            }
            if after_from && token.is(b"stdin") {
                return true;
            }
            after_from = token.is(b"from");
            pos = end;
        }
        false
    }

    /// Records the rows that start on the line after `pos`, through the `\.` line that ends
    /// them; returns the position after it.
    fn copy_data(&mut self, pos: usize) -> usize {
        let len = self.bytes.len();
        let mut line = self.line_end(pos);
        // The rows start on the next line.
        line = self.next_line(line);
        let start = line;
        while line < len {
            let end = self.line_end(line);
            if &self.bytes[line..end] == b"\\." {
                self.push(RawKind::CopyData, start, end, None, None);
                return end;
            }
            line = self.next_line(end);
        }
        self.push(
            RawKind::CopyData,
            start,
            len,
            None,
            Some((Unclosed::CopyData, start)),
        );
        len
    }

    /// The start of the line after the line break at `pos` (or `pos` at the end).
    fn next_line(&self, pos: usize) -> usize {
        match self.bytes.get(pos) {
            Some(b'\r') if self.bytes.get(pos + 1) == Some(&b'\n') => pos + 2,
            Some(b'\r' | b'\n') => pos + 1,
            _ => pos,
        }
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
        // With a DELIMITER in force the file says where statements end; without one, a
        // compound statement ends at the `;` after its outermost END.
        if self.delim == b";" {
            if let Some(head) = self.compound_head(start) {
                return self.compound_statement(start, Blocks::new(head));
            }
        }
        let bytes = self.bytes;
        let len = bytes.len();
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
            if bytes[pos] == b'\\' && self.dialect == Dialect::Postgres {
                // `SELECT … \gset`: the meta-command sends the query; it is read next.
                self.push(RawKind::Sql, start, pos, None, None);
                return pos;
            }
            match self.skip_at(start, pos) {
                Ok(next) => pos = next,
                Err(what) => {
                    self.push(RawKind::Sql, start, len, None, Some((what, pos)));
                    return len;
                }
            }
        }
    }

    /// Skips what starts at `pos` inside the statement that starts at `start`: a quoted
    /// string or identifier, a dollar-quoted body, a comment, or else one byte. Returns
    /// where it ends, or what is never closed.
    fn skip_at(&self, start: usize, pos: usize) -> Result<usize, Unclosed> {
        let mysql = self.mysql();
        match self.bytes[pos] {
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
        }
    }

    /// The end of the word starting at `pos`.
    fn word_end(&self, pos: usize) -> usize {
        self.bytes[pos..]
            .iter()
            .position(|&c| !is_ident_byte(c))
            .map_or(self.bytes.len(), |i| pos + i)
    }

    /// True when a comment (line or block) starts at `pos`.
    fn comment_at(&self, pos: usize) -> bool {
        self.line_comment_at(pos).is_some() || self.block_comment_at(pos)
    }

    /// Scans a compound statement starting at `start` word by word, following its blocks;
    /// it ends at the first `;` outside every block. Returns the position past it.
    fn compound_statement(&mut self, start: usize, mut blocks: Blocks) -> usize {
        let bytes = self.bytes;
        let len = bytes.len();
        let mut pos = start;
        loop {
            while pos < len && is_blank(bytes[pos]) {
                pos += 1;
            }
            if pos >= len {
                blocks.flush();
                let open = blocks.innermost().map(|(b, at)| (Unclosed::Block(b), at));
                self.push(RawKind::Sql, start, len, None, open);
                return len;
            }
            let b = bytes[pos];
            if is_word_start(b) {
                let end = self.word_end(pos);
                blocks.word(&bytes[pos..end], pos);
                pos = end;
                continue;
            }
            let comment = self.comment_at(pos);
            if !comment {
                blocks.flush();
                if !blocks.holds() && self.at_delim(pos) {
                    let after = pos + self.delim.len();
                    self.push(RawKind::Sql, start, pos, Some(pos..after), None);
                    return after;
                }
            }
            match self.skip_at(start, pos) {
                Ok(next) => {
                    if !comment {
                        if next == pos + 1 {
                            blocks.punct(b);
                        } else {
                            blocks.quoted();
                        }
                    }
                    pos = next;
                }
                Err(what) => {
                    self.push(RawKind::Sql, start, len, None, Some((what, pos)));
                    return len;
                }
            }
        }
    }

    /// If the statement starting at `start` is one that may hold a compound body, which.
    /// Reads at most a dozen leading tokens.
    fn compound_head(&self, start: usize) -> Option<Head> {
        let mut pos = start;
        let next = |pos: &mut usize| {
            let (token, end) = self.token_at(*pos)?;
            *pos = end;
            Some(token)
        };
        let first = next(&mut pos)?;
        if self.dialect == Dialect::Postgres {
            if !first.is(b"create") {
                return None;
            }
            let mut t = next(&mut pos)?;
            if t.is(b"or") && next(&mut pos)?.is(b"replace") {
                t = next(&mut pos)?;
            }
            if t.is(b"rule") {
                return Some(Head::PgRule);
            }
            return (t.is(b"function") || t.is(b"procedure")).then_some(Head::PgRoutine);
        }
        let create = first.is(b"create");
        if create || first.is(b"alter") {
            for _ in 0..12 {
                let t = next(&mut pos)?;
                if t.is(b"or") || t.is(b"replace") || t.is(b"aggregate") {
                    continue;
                }
                if t.is(b"definer") {
                    // DEFINER [=] user [@ host] [()]
                    let mut t = next(&mut pos)?;
                    if t == Token::Punct(b'=') {
                        t = next(&mut pos)?;
                    }
                    if !matches!(t, Token::Word(_) | Token::Quoted) {
                        return None;
                    }
                    match self.token_at(pos) {
                        Some((Token::Punct(b'@'), after)) => {
                            pos = after;
                            next(&mut pos)?;
                        }
                        Some((Token::Punct(b'('), after)) => {
                            pos = after;
                            if next(&mut pos)? != Token::Punct(b')') {
                                return None;
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                return if create && (t.is(b"procedure") || t.is(b"function")) {
                    Some(Head::Routine)
                } else if create && t.is(b"trigger") {
                    Some(Head::Trigger)
                } else if t.is(b"event") {
                    Some(Head::Event)
                } else {
                    None
                };
            }
            return None;
        }
        if first.is(b"begin") {
            return (next(&mut pos)?.is(b"not") && next(&mut pos)?.is(b"atomic"))
                .then_some(Head::Anonymous);
        }
        if [&b"if"[..], b"case", b"loop", b"while", b"repeat"]
            .iter()
            .any(|k| first.is(k))
        {
            return Some(Head::Anonymous);
        }
        // A labelled block: `label: BEGIN` (MariaDB), `label: LOOP`, …
        if matches!(first, Token::Word(_)) && next(&mut pos)? == Token::Punct(b':') {
            let t = next(&mut pos)?;
            return [&b"begin"[..], b"loop", b"while", b"repeat"]
                .iter()
                .any(|k| t.is(k))
                .then_some(Head::Anonymous);
        }
        None
    }

    /// The token at or after `pos` (blanks and comments skipped) and where it ends; `None`
    /// at the end of the input or at a quote that is never closed.
    fn token_at(&self, pos: usize) -> Option<(Token<'a>, usize)> {
        let bytes = self.bytes;
        let mut pos = pos;
        loop {
            while pos < bytes.len() && is_blank(bytes[pos]) {
                pos += 1;
            }
            let &b = bytes.get(pos)?;
            if is_word_start(b) {
                let end = self.word_end(pos);
                return Some((Token::Word(&bytes[pos..end]), end));
            }
            let comment = self.comment_at(pos);
            let next = self.skip_at(pos, pos).ok()?;
            if !comment {
                let token = if next == pos + 1 {
                    Token::Punct(b)
                } else {
                    Token::Quoted
                };
                return Some((token, next));
            }
            pos = next;
        }
    }

    /// Whether the line comment `pos..end` is the goose annotation `-- +goose <word>`
    /// (`word` in lower case; goose's own matching ignores case and surrounding blanks).
    fn is_goose_annotation(&self, pos: usize, end: usize, word: &[u8]) -> bool {
        let text = &self.bytes[pos..end];
        let Some(rest) = text.strip_prefix(b"--") else {
            return false;
        };
        let rest = rest.trim_ascii();
        rest.len() > 6
            && rest[..6].eq_ignore_ascii_case(b"+goose")
            && rest[6..].trim_ascii().eq_ignore_ascii_case(word)
    }

    /// Where the `-- +goose StatementEnd` line after `from` starts (at its `--`), looking
    /// line by line as goose does (quotes are not looked at); `None` when there is none.
    fn goose_statement_end(&self, from: usize) -> Option<usize> {
        let bytes = self.bytes;
        let mut pos = from;
        while pos < bytes.len() {
            // `pos` is at a line break: step over it and the line's leading blanks.
            pos += 1;
            while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t') {
                pos += 1;
            }
            if pos >= bytes.len() {
                return None;
            }
            let eol = self.line_end(pos);
            if self.line_comment_at(pos).is_some()
                && self.is_goose_annotation(pos, eol, b"statementend")
            {
                return Some(pos);
            }
            pos = eol;
        }
        None
    }

    /// Scans the statement of a goose `StatementBegin` block: everything from `start` up to
    /// the `StatementEnd` line at `block_end` is one statement, `;` or not. Its last `;`, if
    /// only blanks and comments follow it, is its terminator.
    fn goose_statement(&mut self, start: usize, block_end: usize) -> usize {
        let len = self.bytes.len();
        let mut pos = start;
        let mut last_delim = None;
        let mut text_after_delim = false;
        while pos < block_end {
            if is_blank(self.bytes[pos]) {
                pos += 1;
                continue;
            }
            if self.at_delim(pos) {
                last_delim = Some(pos);
                text_after_delim = false;
                pos += self.delim.len();
                continue;
            }
            text_after_delim |= !self.comment_at(pos);
            match self.skip_at(start, pos) {
                Ok(next) => pos = next,
                Err(what) => {
                    self.push(RawKind::Sql, start, len, None, Some((what, pos)));
                    return len;
                }
            }
        }
        match last_delim {
            Some(at) if !text_after_delim => {
                let after = at + self.delim.len();
                self.push(RawKind::Sql, start, at, Some(at..after), None);
                after
            }
            _ => {
                self.push(RawKind::Sql, start, pos, None, None);
                pos
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

/// Bytes that may start a word in a compound statement: letters, digits, `_` and any
/// non-ASCII byte (numbers are words too, so that `HANDLER FOR 1062` reads as one).
fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// One token of a statement head, as [`Splitter::token_at`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Word(&'a [u8]),
    /// A quoted string or identifier, or a dollar-quoted body.
    Quoted,
    /// Any other single byte.
    Punct(u8),
}

impl Token<'_> {
    /// Is this the keyword `kw` (given in lower case)?
    fn is(&self, kw: &[u8]) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

/// What kind of statement a compound scan reads, which says where its body starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// MySQL `CREATE PROCEDURE|FUNCTION`: the body follows the parameter list, the return
    /// type and the characteristics.
    Routine,
    /// MySQL `CREATE TRIGGER`: the body follows `FOR EACH ROW [FOLLOWS|PRECEDES t]`.
    Trigger,
    /// MySQL `CREATE|ALTER EVENT`: the body follows `DO`.
    Event,
    /// A MariaDB compound statement outside a stored program (`BEGIN NOT ATOMIC`, `IF`, a
    /// labelled `LOOP`, …): the body is the statement itself.
    Anonymous,
    /// PostgreSQL `CREATE FUNCTION|PROCEDURE`: a `BEGIN ATOMIC` body may follow the
    /// parameter list.
    PgRoutine,
    /// PostgreSQL `CREATE RULE … DO [ALSO|INSTEAD] (a; b)`: the semicolons inside the
    /// parenthesised action list do not end the statement.
    PgRule,
}

/// An open block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Begin,
    If,
    /// A CASE statement, closed by `END CASE`.
    CaseStatement,
    /// A CASE expression, closed by a plain `END`.
    CaseExpression,
    Loop,
    While,
    Repeat,
}

impl Open {
    fn block(self) -> Block {
        match self {
            Open::Begin => Block::Begin,
            Open::If => Block::If,
            Open::CaseStatement | Open::CaseExpression => Block::Case,
            Open::Loop => Block::Loop,
            Open::While => Block::While,
            Open::Repeat => Block::Repeat,
        }
    }
}

/// The words a compound scan acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kw {
    Begin,
    End,
    If,
    Case,
    Loop,
    While,
    Repeat,
    Then,
    Else,
    Do,
    Not,
    Atomic,
    Handler,
    For,
    Sqlstate,
    Value,
    Row,
    Follows,
    Precedes,
    Procedure,
    Function,
    Character,
    Set,
    /// A word that starts a statement, which, right after a routine's head, makes the body a
    /// single statement.
    Starter,
    Other,
}

impl Kw {
    fn of(word: &[u8]) -> Kw {
        const WORDS: &[(&[u8], Kw)] = &[
            (b"begin", Kw::Begin),
            (b"end", Kw::End),
            (b"if", Kw::If),
            (b"case", Kw::Case),
            (b"loop", Kw::Loop),
            (b"while", Kw::While),
            (b"repeat", Kw::Repeat),
            (b"then", Kw::Then),
            (b"else", Kw::Else),
            (b"do", Kw::Do),
            (b"not", Kw::Not),
            (b"atomic", Kw::Atomic),
            (b"handler", Kw::Handler),
            (b"for", Kw::For),
            (b"sqlstate", Kw::Sqlstate),
            (b"value", Kw::Value),
            (b"row", Kw::Row),
            (b"follows", Kw::Follows),
            (b"precedes", Kw::Precedes),
            (b"procedure", Kw::Procedure),
            (b"function", Kw::Function),
            (b"character", Kw::Character),
            (b"char", Kw::Character),
            (b"set", Kw::Set),
        ];
        const STARTERS: &[&[u8]] = &[
            b"return",
            b"select",
            b"insert",
            b"update",
            b"delete",
            b"replace",
            b"call",
            b"with",
            b"values",
            b"signal",
            b"resignal",
            b"declare",
            b"leave",
            b"iterate",
            b"open",
            b"close",
            b"fetch",
            b"alter",
            b"create",
            b"drop",
            b"truncate",
            b"rename",
            b"start",
            b"commit",
            b"rollback",
            b"savepoint",
            b"release",
            b"prepare",
            b"execute",
            b"deallocate",
            b"lock",
            b"unlock",
            b"grant",
            b"revoke",
            b"show",
            b"flush",
            b"kill",
            b"analyze",
            b"optimize",
            b"repair",
            b"load",
            b"get",
            b"purge",
            b"reset",
            b"use",
            b"explain",
        ];
        if word.len() > 10 {
            return Kw::Other;
        }
        if let Some(&(_, kw)) = WORDS.iter().find(|(w, _)| word.eq_ignore_ascii_case(w)) {
            return kw;
        }
        if STARTERS.iter().any(|w| word.eq_ignore_ascii_case(w)) {
            return Kw::Starter;
        }
        Kw::Other
    }

    /// The block an `END <word>` closes.
    fn closes(self) -> Option<Open> {
        match self {
            Kw::If => Some(Open::If),
            Kw::Case => Some(Open::CaseStatement),
            Kw::Loop => Some(Open::Loop),
            Kw::While => Some(Open::While),
            Kw::Repeat => Some(Open::Repeat),
            _ => None,
        }
    }
}

/// Where a `DECLARE … HANDLER FOR cond[, cond] body` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HandlerState {
    /// After `HANDLER`, expecting `FOR`.
    ExpectFor,
    /// Reading the condition values; `need` while one is still expected (after `FOR`, a
    /// comma, `NOT` or `SQLSTATE [VALUE]`), `sqlstate` inside `SQLSTATE [VALUE] '…'`.
    Conditions { need: bool, sqlstate: bool },
}

/// How the body of a `DECLARE … HANDLER` continues after a token.
enum HandlerStep {
    /// The token belongs to the handler's head.
    Consumed,
    /// The token starts the handler's body.
    Body,
    /// Not inside a handler head.
    None,
}

/// Follows the blocks of one compound statement, token by token.
///
/// Block openers count only where a statement may start (after `;`, `BEGIN`, `THEN`,
/// `ELSE`, `DO`, `LOOP`, `REPEAT`, a label or the end of the head), so that the functions
/// `IF()` and `REPEAT()` and a column named `begin` open nothing. `CASE` opens a block
/// anywhere: as a statement it ends with `END CASE`, as an expression with a plain `END`.
/// A plain `END` closes a `BEGIN` block only where a statement may start (a column named
/// `end` elsewhere closes nothing); `END IF`, `END LOOP`, … close only their own kind.
/// Words after `.` or `@` (`NEW.end`, `@begin`) are names, never keywords.
#[derive(Debug)]
struct Blocks {
    head: Head,
    /// Past the head: reading the body.
    in_body: bool,
    /// The routine's PROCEDURE or FUNCTION keyword has been read.
    kind_seen: bool,
    /// The routine's parameter list has been read.
    params_seen: bool,
    /// Parenthesis depth in the head.
    paren: usize,
    /// The open blocks and the offsets of their opening words.
    stack: Vec<(Open, usize)>,
    /// The next token is where a statement may start.
    at_start: bool,
    /// The last token was a word at a statement start: a `:` after it makes it a label.
    label_candidate: bool,
    /// The last tokens were `BEGIN` or `BEGIN NOT`: `NOT ATOMIC` keeps the statement start.
    after_begin: bool,
    /// The last token was `.` or `@`: the next word is a name.
    qualified: bool,
    /// The last word was CHARACTER or CHAR: a SET after it is part of a type.
    after_character: bool,
    /// An `END` waiting for the next word (`IF`, `LOOP`, … or anything else) to say which
    /// block it closes; whether it stood where a statement may start.
    pending_end: Option<bool>,
    handler: Option<HandlerState>,
    /// After a trigger's `FOLLOWS`/`PRECEDES`: the next token is the other trigger's name.
    trigger_order: bool,
}

impl Blocks {
    fn new(head: Head) -> Blocks {
        Blocks {
            head,
            in_body: head == Head::Anonymous,
            kind_seen: false,
            params_seen: false,
            paren: 0,
            stack: Vec::new(),
            at_start: head == Head::Anonymous,
            label_candidate: false,
            after_begin: false,
            qualified: false,
            after_character: false,
            pending_end: None,
            handler: None,
            trigger_order: false,
        }
    }

    /// Whether a delimiter here is inside the statement (an open block, or a rule's action
    /// list) rather than its end.
    fn holds(&self) -> bool {
        !self.stack.is_empty() || (self.head == Head::PgRule && self.paren > 0)
    }

    /// The innermost block still open, and where it opened.
    fn innermost(&self) -> Option<(Block, usize)> {
        self.stack.last().map(|&(open, at)| (open.block(), at))
    }

    fn top(&self) -> Option<Open> {
        self.stack.last().map(|&(open, _)| open)
    }

    /// Settles an `END` that no qualifying word followed. The scan calls it before every
    /// token that is not a word ([`Blocks::punct`], [`Blocks::quoted`]) and at the end.
    fn flush(&mut self) {
        if let Some(at_start) = self.pending_end.take() {
            match self.top() {
                Some(Open::Begin) if at_start => {
                    self.stack.pop();
                }
                Some(Open::CaseExpression) => {
                    self.stack.pop();
                }
                _ => {}
            }
        }
    }

    /// Reads a word at offset `at`.
    fn word(&mut self, word: &[u8], at: usize) {
        let qualified = std::mem::take(&mut self.qualified);
        let at_start = std::mem::take(&mut self.at_start);
        let after_begin = std::mem::take(&mut self.after_begin);
        let after_character = std::mem::take(&mut self.after_character);
        self.label_candidate = false;
        if qualified {
            self.flush();
            return;
        }
        if self.head == Head::PgRule {
            self.flush();
            return;
        }
        let kw = Kw::of(word);
        if self.head == Head::PgRoutine {
            self.pg_word(kw, at);
            return;
        }
        if self.pending_end.is_some() {
            if let Some(open) = kw.closes() {
                self.pending_end = None;
                if self.top() == Some(open) {
                    self.stack.pop();
                }
                return;
            }
            self.flush();
        }
        self.after_character = kw == Kw::Character;
        let mut at_start = at_start;
        if !self.in_body {
            match self.head_word(kw, after_character) {
                Some(body_at_start) => {
                    self.in_body = true;
                    at_start = body_at_start;
                }
                None => return,
            }
        }
        match self.handler_step(kw, Token::Word(word)) {
            HandlerStep::Consumed => return,
            HandlerStep::Body => at_start = true,
            HandlerStep::None => {}
        }
        if self.trigger_order {
            self.trigger_order = false;
            self.at_start = true;
            return;
        }
        match kw {
            Kw::Begin if at_start => {
                self.stack.push((Open::Begin, at));
                self.at_start = true;
                self.after_begin = true;
            }
            Kw::Not | Kw::Atomic if after_begin => {
                self.at_start = true;
                self.after_begin = kw == Kw::Not;
            }
            Kw::If if at_start => self.stack.push((Open::If, at)),
            Kw::While if at_start => self.stack.push((Open::While, at)),
            Kw::Loop | Kw::Repeat if at_start => {
                let open = if kw == Kw::Loop {
                    Open::Loop
                } else {
                    Open::Repeat
                };
                self.stack.push((open, at));
                self.at_start = true;
            }
            Kw::Case => {
                let open = if at_start {
                    Open::CaseStatement
                } else {
                    Open::CaseExpression
                };
                self.stack.push((open, at));
            }
            Kw::Then | Kw::Else => {
                self.at_start = matches!(self.top(), Some(Open::If | Open::CaseStatement));
            }
            Kw::Do => self.at_start = self.top() == Some(Open::While),
            Kw::End => self.pending_end = Some(at_start),
            Kw::Handler => self.handler = Some(HandlerState::ExpectFor),
            Kw::Follows | Kw::Precedes
                if at_start && self.head == Head::Trigger && self.stack.is_empty() =>
            {
                self.trigger_order = true;
            }
            _ => self.label_candidate = at_start,
        }
    }

    /// A word of a MySQL head. Returns `None` while still in the head, or whether the body
    /// starts at this word with a statement start (`Some(true)`: BEGIN, IF, a label, …) or
    /// as a single statement (`Some(false)`). A body that starts after the word (after
    /// `FOR EACH ROW`, after an event's `DO`) is entered here directly.
    fn head_word(&mut self, kw: Kw, after_character: bool) -> Option<bool> {
        if self.paren > 0 {
            return None;
        }
        match self.head {
            Head::Routine => {
                if !self.kind_seen {
                    self.kind_seen = matches!(kw, Kw::Procedure | Kw::Function);
                    return None;
                }
                if !self.params_seen {
                    return None;
                }
                match kw {
                    Kw::Begin | Kw::If | Kw::Case | Kw::Loop | Kw::While | Kw::Repeat => Some(true),
                    Kw::Starter => Some(false),
                    Kw::Set if !after_character => Some(false),
                    _ => {
                        // A characteristic, part of the return type, or a label.
                        self.label_candidate = true;
                        None
                    }
                }
            }
            Head::Trigger | Head::Event => {
                let enters = if self.head == Head::Trigger {
                    kw == Kw::Row
                } else {
                    kw == Kw::Do
                };
                if enters {
                    self.in_body = true;
                    self.at_start = true;
                }
                None
            }
            Head::Anonymous | Head::PgRoutine | Head::PgRule => Some(true),
        }
    }

    /// A word of a PostgreSQL routine: `BEGIN ATOMIC` after the parameter list opens the
    /// body; CASE … END nests inside it.
    fn pg_word(&mut self, kw: Kw, at: usize) {
        match kw {
            Kw::Procedure | Kw::Function if !self.kind_seen => self.kind_seen = true,
            Kw::Begin if self.stack.is_empty() && self.params_seen && self.paren == 0 => {
                self.stack.push((Open::Begin, at));
            }
            Kw::Case => self.stack.push((Open::CaseExpression, at)),
            Kw::End => {
                self.stack.pop();
            }
            _ => {}
        }
    }

    /// Follows a `DECLARE … HANDLER FOR` head through a token.
    fn handler_step(&mut self, kw: Kw, token: Token<'_>) -> HandlerStep {
        let Some(state) = self.handler else {
            return HandlerStep::None;
        };
        match state {
            HandlerState::ExpectFor => {
                self.handler = (kw == Kw::For).then_some(HandlerState::Conditions {
                    need: true,
                    sqlstate: false,
                });
                if self.handler.is_some() {
                    HandlerStep::Consumed
                } else {
                    HandlerStep::None
                }
            }
            HandlerState::Conditions {
                need: true,
                sqlstate,
            } => {
                let next = match token {
                    Token::Word(_) if kw == Kw::Sqlstate => (true, true),
                    Token::Word(_) if kw == Kw::Value && sqlstate => (true, true),
                    Token::Word(_) if kw == Kw::Not => (true, false),
                    Token::Word(_) | Token::Quoted => (false, false),
                    Token::Punct(_) => {
                        self.handler = None;
                        return HandlerStep::None;
                    }
                };
                self.handler = Some(HandlerState::Conditions {
                    need: next.0,
                    sqlstate: next.1,
                });
                HandlerStep::Consumed
            }
            HandlerState::Conditions { need: false, .. } => {
                if token == Token::Punct(b',') {
                    self.handler = Some(HandlerState::Conditions {
                        need: true,
                        sqlstate: false,
                    });
                    return HandlerStep::Consumed;
                }
                self.handler = None;
                HandlerStep::Body
            }
        }
    }

    /// Reads a punctuation byte.
    fn punct(&mut self, b: u8) {
        let label = std::mem::take(&mut self.label_candidate);
        self.at_start = false;
        self.after_begin = false;
        self.after_character = false;
        self.qualified = matches!(b, b'.' | b'@');
        if self.head != Head::PgRoutine && self.in_body {
            if let HandlerStep::Body = self.handler_step(Kw::Other, Token::Punct(b)) {
                // A handler body never starts with punctuation: the head was not one.
                self.handler = None;
            }
        }
        match b {
            b'(' => self.paren += 1,
            b')' => {
                self.paren = self.paren.saturating_sub(1);
                if self.paren == 0 && self.kind_seen && !self.in_body {
                    self.params_seen = true;
                }
            }
            b';' => {
                self.at_start = !self.stack.is_empty();
                self.handler = None;
                self.trigger_order = false;
            }
            b':' if label && self.head != Head::PgRoutine => {
                self.in_body = true;
                self.at_start = true;
            }
            _ => {}
        }
    }

    /// Reads a quoted string or identifier.
    fn quoted(&mut self) {
        let at_start = std::mem::take(&mut self.at_start);
        self.after_begin = false;
        self.after_character = false;
        self.qualified = false;
        self.label_candidate = at_start;
        if self.head == Head::PgRoutine || !self.in_body {
            return;
        }
        if let HandlerStep::Body = self.handler_step(Kw::Other, Token::Quoted) {
            self.handler = None;
        }
        if self.trigger_order {
            self.trigger_order = false;
            self.at_start = true;
        }
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
                "SELECT 2",
                "\\g",
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
                RawKind::Sql,
                RawKind::PsqlMeta
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

    #[test]
    fn mysql_procedure_without_delimiter_stays_whole() {
        let proc_ = "CREATE PROCEDURE fill(IN n INT)\n\
                     BEGIN\n  DECLARE i INT DEFAULT 0;\n  \
                     IF n > 0 THEN\n    SET i = IF(n > 10, 10, n);\n  ELSEIF n < 0 THEN\n    SET i = 0;\n  ELSE\n    SET i = 1;\n  END IF;\n  \
                     WHILE i > 0 DO\n    INSERT INTO t VALUES (REPEAT('x;', i));\n    SET i = i - 1;\n  END WHILE;\n  \
                     lbl: LOOP\n    LEAVE lbl;\n  END LOOP lbl;\n  \
                     REPEAT\n    SET i = i + 1;\n  UNTIL i >= 3 END REPEAT;\n  \
                     CASE i WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE;\n\
                     END";
        let text = format!("CREATE TABLE t (a text);\n{proc_};\nSELECT 1;");
        assert_eq!(
            stmts(&text, MY),
            vec!["CREATE TABLE t (a text)", proc_, "SELECT 1"]
        );
        // The terminator is the `;` after the outer END.
        let out = split(&text, MY);
        let t = out.statements[1].terminator.clone().unwrap();
        assert_eq!(t.start, text.find(proc_).unwrap() + proc_.len());
    }

    #[test]
    fn mysql_compound_heads() {
        let cases = [
            "CREATE DEFINER=`root`@`localhost` PROCEDURE p() BEGIN SELECT 1; END",
            "CREATE DEFINER = 'a'@'%' FUNCTION f(x INT) RETURNS INT DETERMINISTIC BEGIN RETURN x; END",
            "CREATE DEFINER=CURRENT_USER() PROCEDURE IF NOT EXISTS p() BEGIN SELECT 1; END",
            "create or replace definer=admin@localhost procedure p() begin select 1; end",
            "CREATE AGGREGATE FUNCTION agg(x INT) RETURNS INT BEGIN DECLARE s INT DEFAULT 0; \
             DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN s; LOOP FETCH GROUP NEXT ROW; \
             SET s = s + x; END LOOP; END",
            "CREATE FUNCTION f(a VARCHAR(10)) RETURNS VARCHAR(20) CHARACTER SET utf8mb4 \
             COMMENT 'c;' NOT DETERMINISTIC READS SQL DATA SQL SECURITY INVOKER \
             BEGIN RETURN CONCAT(a, ';'); END",
            "CREATE PROCEDURE p() main: BEGIN SELECT 1; LEAVE main; END main",
            "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; \
             IF NEW.b IS NULL THEN SET NEW.b = 2; END IF; END",
            "CREATE TRIGGER trg2 AFTER UPDATE ON t FOR EACH ROW FOLLOWS trg BEGIN \
             INSERT INTO log VALUES (OLD.a); END",
            "CREATE TRIGGER trg3 BEFORE UPDATE ON t FOR EACH ROW \
             IF NEW.a < 0 THEN SET NEW.a = 0; END IF",
            "CREATE EVENT IF NOT EXISTS ev ON SCHEDULE EVERY 1 DAY STARTS CURRENT_TIMESTAMP \
             ON COMPLETION PRESERVE COMMENT 'x;' DO BEGIN DELETE FROM t WHERE a < 0; \
             UPDATE t SET a = 1; END",
            "ALTER EVENT ev DO BEGIN SELECT 1; SELECT 2; END",
            "BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; SELECT x; END",
            "blk: BEGIN NOT ATOMIC SELECT 1; END blk",
            "IF (SELECT COUNT(*) FROM t) = 0 THEN INSERT INTO t VALUES (1); END IF",
            "WHILE 0 DO SELECT 1; END WHILE",
        ];
        for case in cases {
            let text = format!("{case};\nSELECT 2;");
            assert_eq!(stmts(&text, MY), vec![case, "SELECT 2"], "{case}");
            assert_eq!(split(&text, MY).statements[0].unclosed, None, "{case}");
        }
    }

    #[test]
    fn mysql_single_statement_bodies_end_at_their_semicolon() {
        let cases = [
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = 1",
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.a = IF(NEW.b, 1, 2)",
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW UPDATE y SET begin = 1",
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW \
             SET NEW.a = CASE WHEN NEW.b THEN 1 ELSE 2 END",
            "CREATE FUNCTION f(a INT) RETURNS INT DETERMINISTIC RETURN IF(a > 0, a, 0)",
            "CREATE FUNCTION f(a INT) RETURNS INT RETURN CASE a WHEN 1 THEN 2 END",
            "CREATE PROCEDURE p() SELECT REPEAT('a', 3)",
            "CREATE PROCEDURE p(IN begin INT) SELECT begin",
            "CREATE EVENT e ON SCHEDULE AT CURRENT_TIMESTAMP DO DELETE FROM t",
            "CREATE FUNCTION udf RETURNS STRING SONAME 'udf.so'",
            "CREATE VIEW v AS SELECT CASE WHEN a THEN 1 END FROM t",
            "CREATE PROCEDURE p()",
        ];
        for case in cases {
            let text = format!("{case};\nSELECT 2;");
            assert_eq!(stmts(&text, MY), vec![case, "SELECT 2"], "{case}");
        }
    }

    #[test]
    fn case_expressions_and_names_inside_compound_bodies() {
        let body = "CREATE PROCEDURE p() BEGIN\n  \
                    SELECT CASE WHEN a THEN 1 ELSE CASE b WHEN 1 THEN 2 END END, `end`, `begin` FROM t;\n  \
                    SELECT start, end FROM periods;\n  \
                    UPDATE t SET t.end = NEW.begin, x = @end;\n  \
                    IF a THEN SELECT CASE WHEN b THEN IF(c, 1, 2) END; END IF;\n  \
                    SET @s = 'END; END IF;';\n  \
                    -- END;\n  /* END IF; */ # END\n\
                    END";
        let text = format!("{body};SELECT 2;");
        assert_eq!(stmts(&text, MY), vec![body, "SELECT 2"]);
    }

    #[test]
    fn declare_handler_bodies() {
        let body = "CREATE PROCEDURE p() BEGIN\n  \
                    DECLARE done INT DEFAULT 0;\n  \
                    DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1;\n  \
                    DECLARE EXIT HANDLER FOR SQLSTATE VALUE '23000', 1062, my_cond BEGIN ROLLBACK; RESIGNAL; END;\n  \
                    DECLARE EXIT HANDLER FOR SQLEXCEPTION IF done THEN SELECT 1; END IF;\n  \
                    DECLARE CONTINUE HANDLER FOR SQLWARNING BEGIN END;\n  \
                    START TRANSACTION; COMMIT;\n\
                    END";
        let text = format!("{body};\nSELECT 2");
        assert_eq!(stmts(&text, MY), vec![body, "SELECT 2"]);
    }

    #[test]
    fn top_level_begin_stays_transaction_control() {
        assert_eq!(
            stmts("BEGIN;\nUPDATE t SET a = 1;\nCOMMIT;", MY),
            vec!["BEGIN", "UPDATE t SET a = 1", "COMMIT"]
        );
        assert_eq!(
            stmts("BEGIN WORK; SELECT 1; END;", MY),
            vec!["BEGIN WORK", "SELECT 1", "END"]
        );
        for text in [
            "BEGIN; SELECT 1; COMMIT;",
            "BEGIN TRANSACTION; SELECT 1; END;",
        ] {
            assert_eq!(stmts(text, PG).len(), 3, "{text}");
        }
        // PostgreSQL knows no anonymous compound statement outside DO.
        assert_eq!(stmts("IF x THEN SELECT 1; END IF;", PG).len(), 2);
    }

    #[test]
    fn copy_from_stdin_rows_are_one_data_block() {
        let text = "COPY t (a, b) FROM stdin;\n1\thello; world\n2\t\\N\n\\.\nSELECT 1;\n\
                    COPY t TO STDOUT;\nSELECT 2;";
        assert_eq!(
            stmts(text, PG),
            vec![
                "COPY t (a, b) FROM stdin",
                "1\thello; world\n2\t\\N\n\\.",
                "SELECT 1",
                "COPY t TO STDOUT",
                "SELECT 2"
            ]
        );
        assert_eq!(
            kinds(text, PG),
            vec![
                RawKind::Sql,
                RawKind::CopyData,
                RawKind::Sql,
                RawKind::Sql,
                RawKind::Sql
            ]
        );
        // Rows with no end line are reported where they start.
        let open = split("COPY t FROM STDIN;\n1\n2\n", PG);
        assert_eq!(open.statements[1].unclosed, Some((Unclosed::CopyData, 19)));
        // MySQL has no such rows.
        assert_eq!(kinds("COPY t FROM stdin;\nSELECT 1;", MY).len(), 2);
    }

    #[test]
    fn psql_meta_command_ends_the_query_before_it() {
        let text = "SELECT count(*) AS n FROM t \\gset\nSELECT :n;\nSELECT 'a\\b', E'\\x';";
        assert_eq!(
            stmts(text, PG),
            vec![
                "SELECT count(*) AS n FROM t",
                "\\gset",
                "SELECT :n",
                "SELECT 'a\\b', E'\\x'"
            ]
        );
        assert_eq!(kinds(text, PG)[1], RawKind::PsqlMeta);
    }

    #[test]
    fn postgres_rule_action_lists() {
        let r = "CREATE OR REPLACE RULE r AS ON UPDATE TO t DO ALSO (\n  INSERT INTO log VALUES (1);\n  \
                 NOTIFY t_changed;\n)";
        let n = "CREATE RULE n AS ON DELETE TO t DO INSTEAD NOTHING";
        let text = format!("{r};\n{n};\nSELECT 'a;(';\nSELECT 2;");
        assert_eq!(stmts(&text, PG), vec![r, n, "SELECT 'a;('", "SELECT 2"]);
        // An unbalanced parenthesis elsewhere does not swallow the next statement.
        assert_eq!(
            stmts("SELECT (1;\nSELECT 2;", PG),
            vec!["SELECT (1", "SELECT 2"]
        );
    }

    #[test]
    fn postgres_begin_atomic_bodies() {
        let f = "CREATE OR REPLACE FUNCTION grade(score int) RETURNS text LANGUAGE sql IMMUTABLE\n\
                 BEGIN ATOMIC\n  SELECT CASE WHEN score > 90 THEN 'a;' WHEN score > 50 THEN \
                 CASE WHEN score > 70 THEN 'b' ELSE 'c' END ELSE 'f' END;\nEND";
        let p = "CREATE PROCEDURE ins(a int, b int DEFAULT 1)\nLANGUAGE SQL\nBEGIN ATOMIC\n  \
                 INSERT INTO t VALUES (a);\n  INSERT INTO t VALUES (b);\nEND";
        let r = "CREATE FUNCTION one() RETURNS int RETURN CASE WHEN true THEN 1 END";
        let d = "CREATE FUNCTION pl() RETURNS void AS $$ BEGIN PERFORM 1; END $$ LANGUAGE plpgsql";
        let text = format!("{f};\n{p};\n{r};\n{d};\nBEGIN;\nSELECT 1;\nCOMMIT;");
        assert_eq!(
            stmts(&text, PG),
            vec![f, p, r, d, "BEGIN", "SELECT 1", "COMMIT"]
        );
        // A table function: BEGIN is only a body after the parameter list.
        let t = "CREATE FUNCTION tf(\"begin\" int) RETURNS TABLE (a int) LANGUAGE sql \
                 BEGIN ATOMIC SELECT 1; END";
        assert_eq!(stmts(&format!("{t}; SELECT 2"), PG), vec![t, "SELECT 2"]);
    }

    #[test]
    fn delimiter_still_decides_when_present() {
        // With a DELIMITER in force, blocks are not followed: the delimiter alone ends them,
        // even an unbalanced body.
        let text = "DELIMITER //\nCREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END//\n\
                    DELIMITER ;\nCREATE PROCEDURE q() BEGIN SELECT 1; END;\nSELECT 2;";
        assert_eq!(
            stmts(text, MY),
            vec![
                "DELIMITER //",
                "CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END",
                "DELIMITER ;",
                "CREATE PROCEDURE q() BEGIN SELECT 1; END",
                "SELECT 2"
            ]
        );
    }

    #[test]
    fn unterminated_blocks_point_at_the_innermost_opening() {
        let text =
            "SELECT 1;\nCREATE PROCEDURE p()\nBEGIN\n  IF a THEN\n    SELECT 1;\n  END;\nEND;\n";
        let out = split(text, MY);
        assert_eq!(out.statements.len(), 2);
        let s = &out.statements[1];
        assert_eq!(s.terminator, None);
        assert_eq!(s.span.end, text.trim_end().len());
        assert_eq!(
            s.unclosed,
            Some((Unclosed::Block(Block::If), text.find("IF a").unwrap()))
        );
        let cases: [(&str, Dialect, Block, &str); 6] = [
            ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN 1 THEN 1 END;", PG, Block::Begin, "BEGIN"),
            ("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1;", MY, Block::Begin, "BEGIN"),
            ("BEGIN NOT ATOMIC WHILE 1 DO SELECT 1; END;", MY, Block::While, "WHILE"),
            ("CREATE PROCEDURE p() BEGIN LOOP SELECT 1; END IF; END;", MY, Block::Loop, "LOOP"),
            ("CREATE PROCEDURE p() BEGIN REPEAT SELECT 1; UNTIL 1 END; END;", MY, Block::Repeat, "REPEAT"),
            ("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN 1 THEN 1;", PG, Block::Case, "CASE"),
        ];
        for (text, d, block, word) in cases {
            let out = split(text, d);
            assert_eq!(out.statements.len(), 1, "{text}");
            assert_eq!(
                out.statements[0].unclosed,
                Some((Unclosed::Block(block), text.find(word).unwrap())),
                "{text}"
            );
        }
        // An unclosed quote inside a body is reported as the quote.
        let text = "CREATE PROCEDURE p() BEGIN SELECT 'x; END;";
        assert_eq!(
            split(text, MY).statements[0].unclosed,
            Some((Unclosed::SingleQuote, 34))
        );
    }

    #[test]
    fn goose_statement_blocks() {
        let text = "-- +goose Up\n\
                    CREATE TABLE t (a int);\n\
                    -- +goose StatementBegin\n\
                    -- leading comment\n\
                    CREATE FUNCTION f() RETURNS trigger AS 'BEGIN; END;' LANGUAGE plpgsql;\n\
                    SELECT 1; -- trailing\n\
                    -- +goose StatementEnd\n\
                    SELECT 2;\n\
                      --   +GOOSE   statementbegin  \n\
                    SELECT 3; SELECT 4\n\
                    -- +goose StatementEnd\n\
                    -- +goose StatementBegin\n\
                    -- +goose StatementEnd\n\
                    SELECT 5;";
        for d in [PG, MY] {
            let out = split(text, d);
            let stmts: Vec<&str> = out
                .statements
                .iter()
                .map(|s| &text[s.span.clone()])
                .collect();
            assert_eq!(
                stmts[..4],
                [
                    "CREATE TABLE t (a int)",
                    "CREATE FUNCTION f() RETURNS trigger AS 'BEGIN; END;' LANGUAGE plpgsql;\nSELECT 1",
                    "SELECT 2",
                    "SELECT 3; SELECT 4",
                ],
                "{d:?}"
            );
            assert!(comments(text, d).contains(&"-- trailing"));
            assert!(comments(text, d).contains(&"-- leading comment"));
            assert_eq!(stmts[4..], ["SELECT 5"]);
            assert_eq!(out.statements[3].terminator, None);
        }
        // `--+goose` is a comment in PostgreSQL only (MySQL wants a blank after `--`).
        let text = "-- +goose StatementBegin\nSELECT 1; SELECT 2;\n--+goose StatementEnd\n";
        assert_eq!(stmts(text, PG), vec!["SELECT 1; SELECT 2"]);
        assert_eq!(
            split(text, MY).statements[0].unclosed,
            Some((Unclosed::GooseStatement, 0))
        );
        // A missing StatementEnd: an error at the StatementBegin line.
        let text = "SELECT 1;\n-- +goose StatementBegin\nSELECT 2;\n";
        let out = split(text, PG);
        assert_eq!(
            stmts(text, PG),
            vec!["SELECT 1", "-- +goose StatementBegin\nSELECT 2;"]
        );
        assert_eq!(
            out.statements[1].unclosed,
            Some((Unclosed::GooseStatement, 10))
        );
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
        "-- +goose StatementBegin",
        "-- +goose StatementBegin\n",
        "-- +goose StatementBegin\n-- +goose StatementEnd",
        "-- +goose StatementBegin\nx;\n-- +goose StatementEnd\n;",
        "CREATE PROCEDURE",
        "CREATE PROCEDURE p() BEGIN",
        "CREATE PROCEDURE p() BEGIN END",
        "CREATE PROCEDURE p() BEGIN END;",
        "CREATE DEFINER",
        "CREATE DEFINER=",
        "CREATE DEFINER=a@",
        "CREATE DEFINER=CURRENT_USER(",
        "CREATE DEFINER='a",
        "CREATE TRIGGER t FOR EACH ROW FOLLOWS",
        "CREATE EVENT e DO",
        "BEGIN NOT ATOMIC",
        "BEGIN NOT ATOMIC END",
        "lbl:",
        "x:",
        "IF",
        "END IF",
        "CREATE FUNCTION f() BEGIN ATOMIC",
        "CREATE FUNCTION f() BEGIN ATOMIC END;",
        "CREATE PROCEDURE p() BEGIN DECLARE x HANDLER FOR",
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
        "-- +goose StatementBegin\n",
        "-- +goose StatementEnd\n",
        "CREATE PROCEDURE p() ",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql ",
        "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW ",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO ",
        "BEGIN ",
        "BEGIN NOT ATOMIC ",
        "BEGIN ATOMIC ",
        " END",
        " END IF",
        " IF ",
        " CASE ",
        " THEN ",
        " ELSE ",
        " WHEN ",
        " LOOP ",
        " END LOOP",
        " REPEAT ",
        " UNTIL ",
        " END REPEAT",
        " WHILE ",
        " DO ",
        "lbl: ",
        " DECLARE h HANDLER FOR ",
        "NEW.end",
        "@begin",
        "(",
        ")",
        ",",
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
