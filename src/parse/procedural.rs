//! Procedural code: the SQL statements that run inside other statements.
//!
//! Owns finding them and mapping each back to its bytes in the file:
//! - PostgreSQL `DO` blocks: the PL/pgSQL body's statements (control words skipped), and
//!   `EXECUTE '<literal>'` inside them (also `format('…')` without placeholders, and `||`
//!   of literals);
//! - the bodies of functions and procedures the same file creates and then runs
//!   (`SELECT f()`, `PERFORM f()`, `CALL p()`), at the call;
//! - MySQL/MariaDB `SET @v = '<literal>'` (or `IF(…)`, `CASE`, `CONCAT` of literals), then
//!   `PREPARE s FROM @v` and `EXECUTE s`; MariaDB `BEGIN NOT ATOMIC … END`.
//!
//! Reads bodies with sqlparser's tokenizer and cuts them at its `;` tokens (the file splitter
//! keeps compound statements whole, which is the opposite of what a body needs). Text that
//! cannot be known statically (a query built from variables, a `format` with placeholders)
//! yields nothing. Does not parse or classify the statements it finds, and never fails:
//! unreadable code yields nothing.

use crate::classify::op::Name;
use crate::dialect::Dialect;
use crate::parse::split::{RawKind, RawStatement};
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::tokenizer::{Location, Token, Tokenizer};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// How deep calls and nested bodies are followed (a function calling itself stops here).
const MAX_DEPTH: usize = 8;

/// At most this many inner statements per top-level statement (functions calling many
/// functions that call many functions stop here).
const MAX_INNER: usize = 10_000;

/// What an inner statement runs inside of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsideKind {
    /// A PostgreSQL `DO` block or a MariaDB `BEGIN NOT ATOMIC … END`.
    DoBlock,
    /// The text given to PL/pgSQL `EXECUTE`.
    Execute,
    /// The text of a MySQL prepared statement, run by `EXECUTE`.
    Prepare,
    /// The body of a function or procedure the file creates and then calls.
    FunctionCall,
}

impl InsideKind {
    /// The stable name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            InsideKind::DoBlock => "do-block",
            InsideKind::Execute => "execute",
            InsideKind::Prepare => "prepare",
            InsideKind::FunctionCall => "function-call",
        }
    }
}

/// Where an inner statement runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inside {
    pub kind: InsideKind,
    /// The top-level statement that runs it (the `DO`, the `EXECUTE s`, the `SELECT f()`).
    pub site: Range<usize>,
    /// The function or procedure whose body holds it, when it was reached by a call.
    pub function: Option<String>,
    /// The control structure that decides whether it runs (`IF`, `CASE`, `LOOP`, `WHILE`,
    /// `FOR`, `EXCEPTION`, `HANDLER`, `IF()`), when it runs only sometimes.
    pub condition: Option<&'static str>,
}

impl Inside {
    pub fn conditional(&self) -> bool {
        self.condition.is_some()
    }
}

/// One statement found inside procedural code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnerStatement {
    /// The SQL that runs (quotes removed, escapes resolved).
    pub text: String,
    /// The bytes of the file it comes from (for a literal, the literal's content).
    pub span: Range<usize>,
    /// The file offset of each byte of `text`, and one past the last.
    map: Vec<usize>,
    pub inside: Inside,
}

impl InnerStatement {
    /// The whole text as a raw statement of `text`, for the parser.
    pub fn raw(&self) -> RawStatement {
        RawStatement {
            span: 0..self.text.len(),
            terminator: None,
            kind: RawKind::Sql,
            unclosed: None,
        }
    }

    /// The file offset of byte `at` of `text`.
    pub fn file_offset(&self, at: usize) -> usize {
        self.map[at.min(self.text.len())]
    }
}

/// For each statement of the file (in order), the statements that run inside it, in the
/// order they run.
pub fn expand(
    text: &str,
    statements: &[RawStatement],
    dialect: Dialect,
) -> Vec<Vec<InnerStatement>> {
    let mut expander = Expander {
        dialect,
        functions: HashMap::new(),
        called_words: CalledWords::default(),
        variables: HashMap::new(),
        prepared: HashMap::new(),
        calls: Vec::new(),
    };
    statements
        .iter()
        .map(|raw| {
            if raw.kind != RawKind::Sql
                || raw.unclosed.is_some()
                || !expander.worth_reading(text, raw)
            {
                return Vec::new();
            }
            let stmt = Mapped::identity(&text[raw.span.clone()], raw.span.start);
            let cx = Cx {
                site: raw.span.clone(),
                kind: None,
                function: None,
                condition: None,
                depth: 0,
            };
            let mut out = Vec::new();
            expander.statement(&stmt, &cx, &mut out);
            out
        })
        .collect()
}

/// The lower-cased last words of the file's functions' names (see
/// `Expander::called_words`), with what a word must look like to be one of them, so that
/// most words of a long statement are ruled out without lower-casing and hashing them.
#[derive(Debug, Default)]
struct CalledWords {
    words: HashSet<String>,
    /// Bit `n`: a word of `n` bytes (`n` < 64); `long`: one of 64 bytes or more.
    lengths: u64,
    long: bool,
    /// The words' first bytes (bit `b % 64` of element `b / 64`).
    firsts: [u64; 4],
}

impl CalledWords {
    fn insert(&mut self, word: String) {
        match word.len() {
            n if n < 64 => self.lengths |= 1 << n,
            _ => self.long = true,
        }
        if let Some(&b) = word.as_bytes().first() {
            self.firsts[usize::from(b / 64)] |= 1 << (b % 64);
        }
        self.words.insert(word);
    }

    fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    fn contains(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// Can `w` lower-cased be one of the words? `false` only when it cannot: an ASCII word
    /// keeps its length and its first byte lower-cases alone.
    fn may_hold(&self, w: &str) -> bool {
        if !w.is_ascii() {
            return true;
        }
        let length = match w.len() {
            n if n < 64 => self.lengths & (1 << n) != 0,
            _ => self.long,
        };
        let b = w.as_bytes()[0].to_ascii_lowercase();
        length && self.firsts[usize::from(b / 64)] & (1 << (b % 64)) != 0
    }
}

/// Text with the file offset of each of its bytes (and one past the end).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapped {
    text: String,
    map: Vec<usize>,
}

impl Mapped {
    /// A slice of the file that starts at `base`.
    fn identity(text: &str, base: usize) -> Mapped {
        Mapped {
            text: text.to_owned(),
            map: (base..=base + text.len()).collect(),
        }
    }

    /// Text that stands for the bytes at `at` (a keyword put in place of another).
    fn synthetic(text: &str, at: usize) -> Mapped {
        Mapped {
            text: text.to_owned(),
            map: vec![at; text.len() + 1],
        }
    }

    fn sub(&self, r: Range<usize>) -> Mapped {
        Mapped {
            text: self.text[r.clone()].to_owned(),
            map: self.map[r.start..=r.end].to_vec(),
        }
    }

    fn push(&mut self, other: &Mapped) {
        self.map.pop();
        self.text.push_str(&other.text);
        self.map.extend_from_slice(&other.map);
    }

    /// The bytes of the file the text starts with: up to where the mapping jumps back (text
    /// joined from literals written in different places spans the first of them).
    fn span(&self) -> Range<usize> {
        let start = self.map[0];
        let end = self
            .map
            .windows(2)
            .position(|w| w[1] < w[0])
            .map_or(self.map[self.text.len()], |i| self.map[i]);
        start..end.max(start)
    }
}

/// A token and its bytes in the text it was read from.
#[derive(Debug, Clone)]
struct Tok {
    token: Token,
    at: Range<usize>,
}

impl Tok {
    /// The upper-cased keyword, for unquoted words.
    fn word(&self) -> Option<String> {
        match &self.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn is(&self, kw: &str) -> bool {
        matches!(&self.token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    fn is_string(&self) -> bool {
        matches!(
            self.token,
            Token::SingleQuotedString(_)
                | Token::DoubleQuotedString(_)
                | Token::EscapedStringLiteral(_)
                | Token::DollarQuotedString(_)
        )
    }
}

/// A character of an unquoted identifier (or of a quoted one without punctuation).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Tokens of `text` with byte ranges, without whitespace and comments. `None` when the
/// text cannot be tokenized.
fn tokenize(text: &str, dialect: Dialect) -> Option<Vec<Tok>> {
    let tokens = match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, text).tokenize_with_location(),
        Dialect::Mysql => Tokenizer::new(&MySqlDialect {}, text).tokenize_with_location(),
    }
    .ok()?;
    // Locations are 1-based lines and columns in characters; walk the text once.
    let mut walk = Walk {
        text,
        line: 1,
        column: 1,
        byte: 0,
    };
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        if matches!(t.token, Token::Whitespace(_) | Token::EOF) {
            continue;
        }
        let start = walk.to(t.span.start)?;
        let end = walk.to(t.span.end)?;
        out.push(Tok {
            token: t.token,
            at: start..end,
        });
    }
    Some(out)
}

struct Walk<'a> {
    text: &'a str,
    line: u64,
    column: u64,
    byte: usize,
}

impl Walk<'_> {
    fn to(&mut self, loc: Location) -> Option<usize> {
        while (self.line, self.column) < (loc.line, loc.column) {
            let c = self.text[self.byte..].chars().next()?;
            self.byte += c.len_utf8();
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        Some(self.byte)
    }
}

/// Cuts tokens into statements at `;`.
fn pieces(tokens: &[Tok]) -> impl Iterator<Item = &[Tok]> {
    tokens
        .split(|t| matches!(t.token, Token::SemiColon))
        .filter(|p| !p.is_empty())
}

/// The index of the token closing the group opened at `open` (a `(`).
fn closing(tokens: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first top-level (outside parentheses and `CASE … END`) word among `words`,
/// searching from `from`.
fn find_top(tokens: &[Tok], from: usize, words: &[&str]) -> Option<usize> {
    let mut parens = 0usize;
    let mut cases = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(from) {
        match t.token {
            Token::LParen => parens += 1,
            Token::RParen => parens = parens.saturating_sub(1),
            _ => {}
        }
        if parens > 0 {
            continue;
        }
        if cases == 0 && words.iter().any(|w| t.is(w)) {
            return Some(i);
        }
        if t.is("CASE") {
            cases += 1;
        } else if t.is("END") {
            cases = cases.saturating_sub(1);
        }
    }
    None
}

/// Splits at top-level commas.
fn args(tokens: &[Tok]) -> Vec<&[Tok]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => {
                out.push(&tokens[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&tokens[start..]);
    out
}

/// A statement a variable or a prepared statement may hold.
#[derive(Debug, Clone)]
struct Candidate {
    text: Mapped,
    condition: Option<&'static str>,
}

/// What is known about the statement being read.
#[derive(Debug, Clone)]
struct Cx {
    site: Range<usize>,
    /// What the statement itself runs inside of (`None` at top level).
    kind: Option<InsideKind>,
    function: Option<String>,
    condition: Option<&'static str>,
    depth: usize,
}

impl Cx {
    fn inner(&self, kind: InsideKind, condition: Option<&'static str>) -> Cx {
        Cx {
            site: self.site.clone(),
            kind: Some(kind),
            function: self.function.clone(),
            condition: condition.or(self.condition),
            depth: self.depth + 1,
        }
    }
}

struct Expander {
    dialect: Dialect,
    /// The bodies of the functions and procedures the file has created so far.
    functions: HashMap<Name, Mapped>,
    /// The last part of each of those names, lower-cased: a statement none of whose words
    /// is one of these calls none of them, and is not tokenized. The empty string stands
    /// for a name that is not one word (a quoted name with spaces): then every statement
    /// is read.
    called_words: CalledWords,
    /// MySQL user variables holding statements.
    variables: HashMap<String, Vec<Candidate>>,
    /// MySQL prepared statements.
    prepared: HashMap<String, Vec<Candidate>>,
    /// The functions being expanded (a recursive call stops).
    calls: Vec<Name>,
}

impl Expander {
    fn pg(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    /// A cheap look at the first word: only a few statements can hold or run code.
    fn worth_reading(&self, text: &str, raw: &RawStatement) -> bool {
        let body = &text[raw.span.clone()];
        let first: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_uppercase();
        match first.as_str() {
            "DO" => self.pg(),
            "CREATE" => {
                let head = body
                    .get(..body.len().min(200))
                    .unwrap_or(body)
                    .to_ascii_uppercase();
                head.contains("FUNCTION") || head.contains("PROCEDURE")
            }
            "SELECT" | "CALL" | "WITH" | "VALUES" | "INSERT" | "UPDATE" | "DELETE" => {
                self.may_call(body) || (!self.pg() && first == "SELECT" && body.contains('@'))
            }
            "SET" | "PREPARE" | "EXECUTE" => !self.pg(),
            "BEGIN" => !self.pg(),
            _ => false,
        }
    }

    /// The statement may call one of the file's functions: one of its words (identifiers,
    /// or words inside quotes and literals) is a function's name. A cheap superset of what
    /// [`Expander::calls_in`] finds, so the statements that call nothing are not tokenized.
    fn may_call(&self, body: &str) -> bool {
        if self.called_words.is_empty() {
            return false;
        }
        if self.called_words.contains("") {
            return true;
        }
        let mut word = String::new();
        body.split(|c: char| !is_word_char(c))
            .filter(|w| !w.is_empty() && self.called_words.may_hold(w))
            .any(|w| {
                word.clear();
                if w.is_ascii() {
                    word.push_str(w);
                    word.make_ascii_lowercase();
                } else {
                    word.extend(w.chars().flat_map(char::to_lowercase));
                }
                self.called_words.contains(&word)
            })
    }

    /// Reads one statement: records what it defines and appends what it runs.
    fn statement(&mut self, stmt: &Mapped, cx: &Cx, out: &mut Vec<InnerStatement>) {
        if cx.depth > MAX_DEPTH {
            return;
        }
        let Some(tokens) = tokenize(&stmt.text, self.dialect) else {
            return;
        };
        let Some(first) = tokens.first().and_then(Tok::word) else {
            return;
        };
        match first.as_str() {
            "DO" if self.pg() => self.do_block(stmt, &tokens, cx, out),
            "BEGIN" if !self.pg() && tokens.get(1).is_some_and(|t| t.is("NOT")) => {
                self.body(stmt, cx, InsideKind::DoBlock, out)
            }
            "CREATE" => self.create_function(stmt, &tokens),
            "SELECT" | "CALL" | "WITH" | "VALUES" | "INSERT" | "UPDATE" | "DELETE" => {
                if !self.pg() && first == "SELECT" {
                    self.select_into(stmt, &tokens);
                }
                self.calls_in(&tokens, cx, out);
            }
            "SET" if !self.pg() => self.set_variables(stmt, &tokens),
            "PREPARE" if !self.pg() => self.prepare(stmt, &tokens),
            "EXECUTE" if !self.pg() => {
                let name = tokens.get(1).and_then(var_name);
                if let Some(candidates) = name.and_then(|n| self.prepared.get(&n)).cloned() {
                    for c in candidates {
                        self.run_text(&c.text, &cx.inner(InsideKind::Prepare, c.condition), out);
                    }
                }
            }
            _ => {}
        }
    }

    /// Emits each statement of `text` (a literal's content) and what runs inside it.
    fn run_text(&mut self, text: &Mapped, cx: &Cx, out: &mut Vec<InnerStatement>) {
        let Some(tokens) = tokenize(&text.text, self.dialect) else {
            return;
        };
        for piece in pieces(&tokens) {
            let (Some(first), Some(last)) = (piece.first(), piece.last()) else {
                continue;
            };
            // MySQL `DO 0`: the usual "nothing to do" branch.
            if !self.pg() && first.is("DO") {
                continue;
            }
            self.emit(&text.sub(first.at.start..last.at.end), cx, out);
        }
    }

    /// Emits one inner statement, then what runs inside it.
    fn emit(&mut self, stmt: &Mapped, cx: &Cx, out: &mut Vec<InnerStatement>) {
        let Some(kind) = cx.kind else {
            return;
        };
        if out.len() >= MAX_INNER {
            return;
        }
        out.push(InnerStatement {
            text: stmt.text.clone(),
            span: stmt.span(),
            map: stmt.map.clone(),
            inside: Inside {
                kind,
                site: cx.site.clone(),
                function: cx.function.clone(),
                condition: cx.condition,
            },
        });
        self.statement(stmt, cx, out);
    }

    /// `DO [LANGUAGE plpgsql] <body> [LANGUAGE plpgsql]`.
    fn do_block(&mut self, stmt: &Mapped, tokens: &[Tok], cx: &Cx, out: &mut Vec<InnerStatement>) {
        let language_at = tokens.iter().position(|t| t.is("LANGUAGE"));
        if let Some(i) = language_at {
            let language = tokens.get(i + 1).map(language_name).unwrap_or_default();
            if language != "plpgsql" {
                return;
            }
        }
        // The body is the string that does not name the language (`LANGUAGE 'plpgsql'`).
        let Some(body) = tokens
            .iter()
            .enumerate()
            .find(|(i, t)| t.is_string() && language_at.is_none_or(|l| *i != l + 1))
            .map(|(_, t)| t)
        else {
            return;
        };
        if let Some(body) = literal(stmt, body, self.dialect) {
            self.body(&body, cx, InsideKind::DoBlock, out);
        }
    }

    /// Records `CREATE [OR REPLACE] FUNCTION|PROCEDURE name (…) … body`.
    fn create_function(&mut self, stmt: &Mapped, tokens: &[Tok]) {
        // `CREATE [OR REPLACE] [DEFINER = …] FUNCTION|PROCEDURE`, not a trigger that
        // executes one.
        let Some(kw) = tokens
            .iter()
            .take(8)
            .position(|t| t.is("FUNCTION") || t.is("PROCEDURE"))
        else {
            return;
        };
        if tokens[..kw].iter().any(|t| {
            ["TRIGGER", "EVENT", "VIEW", "TABLE", "INDEX"]
                .iter()
                .any(|w| t.is(w))
        }) {
            return;
        }
        let mut i = kw + 1;
        if tokens.get(i).is_some_and(|t| t.is("IF")) {
            i += 3;
        }
        let mut parts = Vec::new();
        while let Some(Token::Word(w)) = tokens.get(i).map(|t| &t.token) {
            parts.push((w.value.as_str(), w.quote_style.is_some()));
            i += 1;
            if matches!(tokens.get(i).map(|t| &t.token), Some(Token::Period)) {
                i += 1;
            } else {
                break;
            }
        }
        if parts.is_empty() {
            return;
        }
        let name = Name::from_parts(parts, self.dialect);
        let after = match tokens.get(i).map(|t| &t.token) {
            Some(Token::LParen) => match closing(tokens, i) {
                Some(close) => close + 1,
                None => return,
            },
            _ => i,
        };
        let body = if self.pg() {
            if let Some(l) = tokens[after..].iter().position(|t| t.is("LANGUAGE")) {
                let language = tokens
                    .get(after + l + 1)
                    .map(language_name)
                    .unwrap_or_default();
                if language != "plpgsql" && language != "sql" {
                    return;
                }
            }
            let Some(as_kw) = tokens[after..].iter().position(|t| t.is("AS")) else {
                return;
            };
            match tokens.get(after + as_kw + 1) {
                Some(t) if t.is_string() => literal(stmt, t, self.dialect),
                _ => None,
            }
        } else {
            // The body is a compound statement (`BEGIN … END`) or one statement after the
            // characteristics.
            let start = tokens[after..]
                .iter()
                .position(|t| t.is("BEGIN"))
                .map(|b| after + b)
                .or_else(|| skip_characteristics(tokens, after));
            start.and_then(|s| {
                let last = tokens.last()?;
                Some(stmt.sub(tokens[s].at.start..last.at.end))
            })
        };
        if let Some(body) = body {
            let last = name.unqualified().to_lowercase();
            let one_word = !last.is_empty() && last.chars().all(is_word_char);
            self.called_words
                .insert(if one_word { last } else { String::new() });
            self.functions.insert(name, body);
        }
    }

    /// Runs the bodies of the file's functions that `tokens` calls.
    fn calls_in(&mut self, tokens: &[Tok], cx: &Cx, out: &mut Vec<InnerStatement>) {
        if self.functions.is_empty() {
            return;
        }
        let call = tokens.first().is_some_and(|t| t.is("CALL"));
        let mut called = Vec::new();
        for i in 0..tokens.len() {
            let Token::Word(_) = &tokens[i].token else {
                continue;
            };
            let opens = matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::LParen));
            // `CALL p` needs no parentheses on MySQL.
            let bare_call = call && i + 1 == tokens.len();
            let continues = matches!(tokens.get(i + 1).map(|t| &t.token), Some(Token::Period));
            if continues || !(opens || bare_call) {
                continue;
            }
            let mut start = i;
            while start >= 2
                && matches!(tokens[start - 1].token, Token::Period)
                && matches!(tokens[start - 2].token, Token::Word(_))
            {
                start -= 2;
            }
            let parts = tokens[start..=i].iter().filter_map(|t| match &t.token {
                Token::Word(w) => Some((w.value.as_str(), w.quote_style.is_some())),
                _ => None,
            });
            let name = Name::from_parts(parts, self.dialect);
            if self.functions.contains_key(&name)
                && !self.calls.contains(&name)
                && !called.contains(&name)
            {
                called.push(name);
            }
        }
        for name in called {
            let Some(body) = self.functions.get(&name).cloned() else {
                continue;
            };
            let mut inner = cx.clone();
            inner.function = Some(name.to_string());
            inner.depth += 1;
            self.calls.push(name);
            self.body(&body, &inner, InsideKind::FunctionCall, out);
            self.calls.pop();
        }
    }

    /// MySQL `SET @v = <expr>[, …]`.
    fn set_variables(&mut self, stmt: &Mapped, tokens: &[Tok]) {
        for assignment in args(&tokens[1..]) {
            let Some(name) = assignment.first().and_then(var_name) else {
                continue;
            };
            if !name.starts_with('@') {
                continue;
            }
            let is_assign = matches!(
                assignment.get(1).map(|t| &t.token),
                Some(Token::Eq | Token::Assignment)
            );
            if !is_assign {
                continue;
            }
            self.assign(name, stmt, &assignment[2..]);
        }
    }

    /// MySQL `SELECT <expr> INTO @v [FROM …]`.
    fn select_into(&mut self, stmt: &Mapped, tokens: &[Tok]) {
        let Some(into) = find_top(tokens, 1, &["INTO"]) else {
            return;
        };
        let Some(name) = tokens.get(into + 1).and_then(var_name) else {
            return;
        };
        if !name.starts_with('@') {
            return;
        }
        self.assign(name, stmt, &tokens[1..into]);
    }

    fn assign(&mut self, name: String, stmt: &Mapped, value: &[Tok]) {
        match self.candidates(stmt, value) {
            Some(c) => {
                self.variables.insert(name, c);
            }
            None => {
                self.variables.remove(&name);
            }
        }
    }

    /// MySQL `PREPARE s FROM @v` / `PREPARE s FROM '<literal>'`.
    fn prepare(&mut self, stmt: &Mapped, tokens: &[Tok]) {
        let (Some(name), Some(from)) = (tokens.get(1).and_then(var_name), tokens.get(2)) else {
            return;
        };
        if !from.is("FROM") {
            return;
        }
        let source = &tokens[3..];
        let candidates = match source.first().and_then(var_name) {
            Some(var) if source.len() == 1 && var.starts_with('@') => {
                self.variables.get(&var).cloned()
            }
            _ => self.candidates(stmt, source),
        };
        match candidates {
            Some(c) => {
                self.prepared.insert(name, c);
            }
            None => {
                self.prepared.remove(&name);
            }
        }
    }

    /// The statements an expression may evaluate to, when every one is a literal.
    fn candidates(&self, stmt: &Mapped, tokens: &[Tok]) -> Option<Vec<Candidate>> {
        let mut tokens = tokens;
        while matches!(tokens.first().map(|t| &t.token), Some(Token::LParen))
            && closing(tokens, 0) == Some(tokens.len() - 1)
        {
            tokens = &tokens[1..tokens.len() - 1];
        }
        let first = tokens.first()?;
        if tokens.len() == 1 && first.is_string() {
            return Some(vec![Candidate {
                text: literal(stmt, first, self.dialect)?,
                condition: None,
            }]);
        }
        // A MySQL user variable set to known text earlier in the file.
        if tokens.len() == 1 && !self.pg() {
            let var = var_name(first).filter(|v| v.starts_with('@'))?;
            return self.variables.get(&var).cloned();
        }
        // `(SELECT expr [INTO …] [FROM …])`
        if first.is("SELECT") {
            let end = find_top(tokens, 1, &["FROM", "INTO", "WHERE"]).unwrap_or(tokens.len());
            return self.candidates(stmt, &tokens[1..end]);
        }
        let call = |name: &str| {
            first.is(name)
                && matches!(tokens.get(1).map(|t| &t.token), Some(Token::LParen))
                && closing(tokens, 1) == Some(tokens.len() - 1)
        };
        if call("IF") && !self.pg() {
            let a = args(&tokens[2..tokens.len() - 1]);
            if a.len() != 3 {
                return None;
            }
            let mut out = self.candidates(stmt, a[1])?;
            out.extend(self.candidates(stmt, a[2])?);
            return Some(conditional(out, "IF()"));
        }
        if call("CONCAT") {
            let mut text: Option<Mapped> = None;
            for arg in args(&tokens[2..tokens.len() - 1]) {
                let [one] = self.candidates(stmt, arg)?.try_into().ok()?;
                let one: Candidate = one;
                if one.condition.is_some() {
                    return None;
                }
                match &mut text {
                    Some(t) => t.push(&one.text),
                    None => text = Some(one.text),
                }
            }
            return Some(vec![Candidate {
                text: text?,
                condition: None,
            }]);
        }
        if call("FORMAT") && self.pg() && tokens.len() == 4 && tokens[2].is_string() {
            let text = literal(stmt, &tokens[2], self.dialect)?;
            return Some(vec![Candidate {
                text: unescape_format(&text)?,
                condition: None,
            }]);
        }
        if first.is("CASE") && tokens.last().is_some_and(|t| t.is("END")) {
            let mut out = Vec::new();
            let mut i = 1;
            while let Some(at) = find_top(tokens, i, &["THEN", "ELSE"]) {
                let end = find_top(tokens, at + 1, &["WHEN", "ELSE", "END"])?;
                out.extend(self.candidates(stmt, &tokens[at + 1..end])?);
                i = end;
                if tokens[end].is("END") {
                    break;
                }
            }
            return Some(conditional(out, "CASE"));
        }
        // PostgreSQL `'a' || 'b'`.
        if self.pg() && tokens.len() > 1 {
            let mut text: Option<Mapped> = None;
            for (k, t) in tokens.iter().enumerate() {
                if k % 2 == 1 {
                    if !matches!(t.token, Token::StringConcat) {
                        return None;
                    }
                    continue;
                }
                if !t.is_string() {
                    return None;
                }
                let lit = literal(stmt, t, self.dialect)?;
                match &mut text {
                    Some(m) => m.push(&lit),
                    None => text = Some(lit),
                }
            }
            return Some(vec![Candidate {
                text: text?,
                condition: None,
            }]);
        }
        None
    }

    /// Walks a PL/pgSQL or MySQL compound body and emits its statements.
    fn body(&mut self, body: &Mapped, cx: &Cx, kind: InsideKind, out: &mut Vec<InnerStatement>) {
        let Some(tokens) = tokenize(&body.text, self.dialect) else {
            return;
        };
        let mut walker = BodyWalker {
            pg: self.pg(),
            frames: Vec::new(),
            in_declare: false,
            once: None,
        };
        for piece in pieces(&tokens) {
            let Some(step) = walker.step(piece) else {
                continue;
            };
            let condition = walker.condition();
            match step {
                Step::Statement(i) => {
                    let (Some(first), Some(last)) = (piece.get(i), piece.last()) else {
                        continue;
                    };
                    let text = body.sub(first.at.start..last.at.end);
                    self.emit(&text, &cx.inner(kind, condition), out);
                }
                Step::Perform(i) => {
                    let (Some(perform), Some(first), Some(last)) =
                        (piece.get(i), piece.get(i + 1), piece.last())
                    else {
                        continue;
                    };
                    let mut text = Mapped::synthetic("SELECT ", body.map[perform.at.start]);
                    text.push(&body.sub(first.at.start..last.at.end));
                    self.emit(&text, &cx.inner(kind, condition), out);
                }
                Step::Execute(i) => {
                    let rest = &piece[i + 1..];
                    let end = find_top(rest, 0, &["INTO", "USING"]).unwrap_or(rest.len());
                    let Some(candidates) = self.candidates(body, &rest[..end]) else {
                        continue;
                    };
                    let inner = cx.inner(kind, condition);
                    for c in candidates {
                        self.run_text(&c.text, &inner.inner(InsideKind::Execute, c.condition), out);
                    }
                }
            }
        }
    }
}

/// Marks candidates as chosen by a condition.
fn conditional(mut out: Vec<Candidate>, condition: &'static str) -> Vec<Candidate> {
    for c in &mut out {
        c.condition.get_or_insert(condition);
    }
    out
}

/// A MySQL variable or prepared statement name (`@q`, `stmt`), lower-cased.
fn var_name(t: &Tok) -> Option<String> {
    match &t.token {
        Token::Word(w) => Some(w.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// A `LANGUAGE` argument: a word or a string.
fn language_name(t: &Tok) -> String {
    match &t.token {
        Token::Word(w) => w.value.to_ascii_lowercase(),
        Token::SingleQuotedString(s) => s.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// MySQL `FOR <condition>[, …]` of a handler: the index of the handler's statement.
fn skip_handler_conditions(piece: &[Tok], at: usize) -> Option<usize> {
    if !piece.get(at)?.is("FOR") {
        return None;
    }
    let mut i = at + 1;
    loop {
        let t = piece.get(i)?;
        i += if t.is("SQLSTATE") {
            if piece.get(i + 1).is_some_and(|t| t.is("VALUE")) {
                3
            } else {
                2
            }
        } else if t.is("NOT") {
            2
        } else {
            1
        };
        if matches!(piece.get(i).map(|t| &t.token), Some(Token::Comma)) {
            i += 1;
        } else {
            return Some(i);
        }
    }
}

/// MySQL routine characteristics after the parameter list: the body starts after them.
fn skip_characteristics(tokens: &[Tok], mut i: usize) -> Option<usize> {
    loop {
        let t = tokens.get(i)?;
        let word = t.word()?;
        i += match word.as_str() {
            "COMMENT" => 2,
            "LANGUAGE" | "CONTAINS" => 2,
            "NOT" => 2,
            "DETERMINISTIC" => 1,
            "NO" => 2,
            "READS" | "MODIFIES" => 3,
            "SQL" => 3,
            _ => return Some(i),
        };
    }
}

/// `%%` is `%` in a `format` string; any other `%` is a placeholder: not knowable.
fn unescape_format(text: &Mapped) -> Option<Mapped> {
    if !text.text.contains('%') {
        return Some(text.clone());
    }
    let mut out = Mapped {
        text: String::new(),
        map: Vec::new(),
    };
    let bytes = text.text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = text.text[i..].chars().next()?;
        if c == '%' {
            if bytes.get(i + 1) != Some(&b'%') {
                return None;
            }
            out.text.push('%');
            out.map.push(text.map[i]);
            i += 2;
            continue;
        }
        out.text.push(c);
        out.map.extend_from_slice(&text.map[i..i + c.len_utf8()]);
        i += c.len_utf8();
    }
    out.map.push(text.map[bytes.len()]);
    Some(out)
}

/// The content of a string literal token of `outer`, mapped to the file.
fn literal(outer: &Mapped, tok: &Tok, dialect: Dialect) -> Option<Mapped> {
    let raw = outer.text.get(tok.at.clone())?;
    let (open, close, value) = match &tok.token {
        Token::DollarQuotedString(d) => {
            let delim = d.tag.as_ref().map_or(2, |t| t.len() + 2);
            let content = tok.at.start + delim..tok.at.end.checked_sub(delim)?;
            return (content.start <= content.end).then(|| outer.sub(content));
        }
        Token::SingleQuotedString(v) | Token::DoubleQuotedString(v) => (1, 1, v),
        Token::EscapedStringLiteral(v) => (2, 1, v),
        _ => return None,
    };
    let quote = raw.as_bytes().get(open - 1).copied()?;
    if quote != b'\'' && quote != b'"' {
        return None;
    }
    let content = tok.at.start + open..tok.at.end.checked_sub(close)?;
    let backslash =
        matches!(tok.token, Token::EscapedStringLiteral(_)) || dialect == Dialect::Mysql;
    let mut out = Mapped {
        text: String::new(),
        map: Vec::new(),
    };
    let text = outer.text.get(content.clone())?;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = outer.map[content.start + i];
        let resolved = if c as u32 == quote as u32 && chars.peek().map(|p| p.1) == Some(c) {
            chars.next();
            c
        } else if c == '\\' && backslash {
            match chars.next() {
                Some((_, e)) => match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' if dialect == Dialect::Mysql => '\0',
                    'b' => '\u{8}',
                    'Z' if dialect == Dialect::Mysql => '\u{1a}',
                    '\\' | '\'' | '"' => e,
                    // `\x41`, octal, `\u`, MySQL `\%` …: the tokenizer's value is used.
                    _ => {
                        return Some(approximate(
                            value,
                            outer.map[content.start],
                            outer.map[content.end],
                        ))
                    }
                },
                None => c,
            }
        } else {
            c
        };
        out.text.push(resolved);
        out.map.extend(std::iter::repeat_n(at, resolved.len_utf8()));
    }
    out.map.push(outer.map[content.end]);
    if out.text != *value {
        return Some(approximate(
            value,
            outer.map[content.start],
            outer.map[content.end],
        ));
    }
    // Each byte maps to the start of its source; the next byte's entry ends it.
    Some(out)
}

/// Text whose bytes cannot be mapped one by one: its start and end are exact.
fn approximate(value: &str, start: usize, end: usize) -> Mapped {
    let mut map = vec![start; value.len()];
    map.push(end);
    Mapped {
        text: value.to_owned(),
        map,
    }
}

/// What one `;`-separated piece of a body is, once its control words are read.
enum Step {
    /// A SQL statement starting at this token.
    Statement(usize),
    /// `PERFORM …` at this token: a `SELECT`.
    Perform(usize),
    /// `EXECUTE …` at this token.
    Execute(usize),
}

/// One open control structure.
struct Frame {
    condition: Option<&'static str>,
}

/// Reads the control words of PL/pgSQL and MySQL compound statements.
struct BodyWalker {
    pg: bool,
    frames: Vec<Frame>,
    /// PL/pgSQL: between `DECLARE` and `BEGIN`.
    in_declare: bool,
    /// The condition of a one-statement MySQL handler, for the statement just read.
    once: Option<&'static str>,
}

impl BodyWalker {
    /// The innermost condition the next statement runs under.
    fn condition(&mut self) -> Option<&'static str> {
        self.once
            .take()
            .or_else(|| self.frames.iter().rev().find_map(|f| f.condition))
    }

    fn push(&mut self, condition: Option<&'static str>) {
        self.frames.push(Frame { condition });
    }

    /// Consumes the control words at the start of `piece` and says what is left.
    fn step(&mut self, piece: &[Tok]) -> Option<Step> {
        let mut i = 0;
        loop {
            let t = piece.get(i)?;
            // `<<label>>` (PL/pgSQL) and `label:` (MySQL)
            if self.pg && matches!(t.token, Token::ShiftLeft) {
                i += 3;
                continue;
            }
            if !self.pg
                && matches!(t.token, Token::Word(_))
                && matches!(piece.get(i + 1).map(|t| &t.token), Some(Token::Colon))
            {
                i += 2;
                continue;
            }
            let Some(word) = t.word() else {
                return Some(Step::Statement(i));
            };
            if self.in_declare && word != "BEGIN" {
                return None;
            }
            let then = |from: usize, kw: &str| find_top(piece, from, &[kw]).map(|k| k + 1);
            match word.as_str() {
                "DECLARE" if self.pg => {
                    self.in_declare = true;
                    i += 1;
                }
                "DECLARE" => {
                    // MySQL: `DECLARE … HANDLER FOR <conditions> <statement>`; other
                    // declarations run nothing.
                    let handler = piece.iter().position(|t| t.is("HANDLER"))?;
                    let body = skip_handler_conditions(piece, handler + 1)?;
                    if piece.get(body).is_some_and(|t| t.is("BEGIN")) {
                        self.push(Some("HANDLER"));
                        i = body + 1;
                        continue;
                    }
                    self.once = Some("HANDLER");
                    i = body;
                }
                "BEGIN" => {
                    self.in_declare = false;
                    self.push(None);
                    i += 1;
                    if piece.get(i).is_some_and(|t| t.is("NOT")) {
                        i += 2;
                    }
                }
                "IF" => {
                    i = then(i + 1, "THEN")?;
                    self.push(Some("IF"));
                }
                "ELSIF" | "ELSEIF" => i = then(i + 1, "THEN")?,
                "ELSE" => i += 1,
                "CASE" => {
                    self.push(Some("CASE"));
                    i = find_top(piece, i + 1, &["WHEN"])?;
                }
                "WHEN" => i = then(i + 1, "THEN")?,
                "EXCEPTION" if self.pg => {
                    if let Some(f) = self.frames.last_mut() {
                        f.condition = Some("EXCEPTION");
                    }
                    i += 1;
                }
                "LOOP" => {
                    self.push(Some("LOOP"));
                    i += 1;
                }
                "WHILE" => {
                    i = then(i + 1, if self.pg { "LOOP" } else { "DO" })?;
                    self.push(Some("WHILE"));
                }
                "FOR" | "FOREACH" if self.pg => {
                    i = then(i + 1, "LOOP")?;
                    self.push(Some("FOR"));
                }
                "REPEAT" if !self.pg => {
                    self.push(Some("REPEAT"));
                    i += 1;
                }
                "UNTIL" | "END" => {
                    self.frames.pop();
                    return None;
                }
                "PERFORM" if self.pg => return Some(Step::Perform(i)),
                "EXECUTE" if self.pg => return Some(Step::Execute(i)),
                "RAISE" | "RETURN" | "NULL" | "EXIT" | "CONTINUE" | "GET" | "OPEN" | "FETCH"
                | "CLOSE" | "MOVE" | "ASSERT" | "COMMIT" | "ROLLBACK"
                    if self.pg =>
                {
                    return None
                }
                "LEAVE" | "ITERATE" | "RETURN" | "SIGNAL" | "RESIGNAL" | "OPEN" | "FETCH"
                | "CLOSE" | "COMMIT" | "ROLLBACK" | "START" | "DEALLOCATE"
                    if !self.pg =>
                {
                    return None
                }
                _ => {
                    // PL/pgSQL assignment: `x := …`, `r.f = …`.
                    if self.pg {
                        let mut k = i + 1;
                        while matches!(piece.get(k).map(|t| &t.token), Some(Token::Period))
                            && matches!(piece.get(k + 1).map(|t| &t.token), Some(Token::Word(_)))
                        {
                            k += 2;
                        }
                        if matches!(
                            piece.get(k).map(|t| &t.token),
                            Some(Token::Assignment | Token::Eq)
                        ) {
                            return None;
                        }
                    }
                    return Some(Step::Statement(i));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn called_words_rule_out_only_words_that_cannot_be_called() {
        let mut words = CalledWords::default();
        words.insert("refresh_totals".into());
        words.insert("größe".into());
        words.insert("x".repeat(70));
        for (w, may) in [
            ("refresh_totals", true),
            ("REFRESH_TOTALS", true),
            ("Refresh_Totals", true),
            ("refresh_total", false),
            ("zefresh_totals", false),
            ("GRÖSSE", true),
            ("Größe", true),
            (&"X".repeat(70), true),
            (&"y".repeat(80), false),
            ("select", false),
        ] {
            assert_eq!(words.may_hold(w), may, "{w}");
            if !may {
                assert!(!words.contains(&w.to_lowercase()), "{w}");
            }
        }
    }
    use crate::parse::split::split;

    fn inner(text: &str, dialect: Dialect) -> Vec<InnerStatement> {
        expand(text, &split(text, dialect).statements, dialect)
            .into_iter()
            .flatten()
            .collect()
    }

    #[test]
    fn do_block_statements_under_if() {
        let text = "DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM t) THEN\n    ALTER TABLE comments DROP COLUMN legacy_html;\n  END IF;\n  UPDATE t SET a = 1;\nEND $$;";
        let found = inner(text, Dialect::Postgres);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(
            found[0].text,
            "ALTER TABLE comments DROP COLUMN legacy_html"
        );
        assert_eq!(&text[found[0].span.clone()], found[0].text);
        assert_eq!(found[0].inside.condition, Some("IF"));
        assert_eq!(found[0].inside.kind, InsideKind::DoBlock);
        assert_eq!(found[1].text, "UPDATE t SET a = 1");
        assert_eq!(found[1].inside.condition, None);
        assert_eq!(found[1].inside.site, 0..text.len() - 1);
    }

    #[test]
    fn do_block_language_named_by_a_string() {
        for text in [
            "DO LANGUAGE 'plpgsql' $$ BEGIN DROP INDEX i; END $$",
            "DO $$ BEGIN DROP INDEX i; END $$ LANGUAGE 'plpgsql'",
        ] {
            let found = inner(text, Dialect::Postgres);
            let texts: Vec<&str> = found.iter().map(|s| s.text.as_str()).collect();
            assert_eq!(texts, ["DROP INDEX i"], "{text}");
        }
        assert!(inner("DO LANGUAGE 'plperl' $$ DROP TABLE t $$", Dialect::Postgres).is_empty());
    }

    #[test]
    fn execute_literal_is_unescaped_and_mapped() {
        let text = "DO $body$\nDECLARE n int := 0;\nBEGIN\n  EXECUTE 'ALTER TABLE t ALTER COLUMN c TYPE text USING c || ''x''';\n  EXECUTE format('ALTER TABLE %I DROP COLUMN c', 't');\n  EXECUTE format('ALTER TABLE t DROP COLUMN d_%%');\n  PERFORM pg_sleep(0);\n  n := n + 1;\nEXCEPTION WHEN others THEN\n  DELETE FROM t;\nEND $body$";
        let found = inner(text, Dialect::Postgres);
        let texts: Vec<&str> = found.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "ALTER TABLE t ALTER COLUMN c TYPE text USING c || 'x'",
                "ALTER TABLE t DROP COLUMN d_%",
                "SELECT pg_sleep(0)",
                "DELETE FROM t"
            ]
        );
        assert_eq!(found[0].inside.kind, InsideKind::Execute);
        assert!(text[found[0].span.start..].starts_with("ALTER TABLE t ALTER"));
        assert!(text[found[0].span.clone()].ends_with("''x''"));
        assert_eq!(found[2].span.start, text.find("PERFORM").unwrap());
        assert_eq!(found[3].inside.condition, Some("EXCEPTION"));
    }

    #[test]
    fn quoted_do_body() {
        let text = "DO 'BEGIN EXECUTE ''DROP TABLE old''; END'";
        let found = inner(text, Dialect::Postgres);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].text, "DROP TABLE old");
        assert_eq!(found[0].span.start, text.find("DROP").unwrap());
    }

    #[test]
    fn mysql_prepared_statement_from_if() {
        let text = "SET @q = IF((SELECT COUNT(*) FROM information_schema.columns WHERE column_name = 'x') > 0,\n  'ALTER TABLE t DROP COLUMN x',\n  'SELECT 1');\nPREPARE s FROM @q;\nEXECUTE s;\nDEALLOCATE PREPARE s;";
        let found = inner(text, Dialect::Mysql);
        let texts: Vec<&str> = found.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["ALTER TABLE t DROP COLUMN x", "SELECT 1"]);
        assert_eq!(found[0].inside.kind, InsideKind::Prepare);
        assert_eq!(found[0].inside.condition, Some("IF()"));
        assert_eq!(&text[found[0].span.clone()], "ALTER TABLE t DROP COLUMN x");
        assert_eq!(&text[found[0].inside.site.clone()], "EXECUTE s");
    }

    #[test]
    fn mysql_select_into_concat_and_case() {
        let text = "SELECT CASE WHEN 1 THEN CONCAT('ALTER TABLE t ', 'ADD COLUMN y int') ELSE 'DO 0' END INTO @sql FROM dual;\nPREPARE s FROM @sql;\nEXECUTE s;";
        let found = inner(text, Dialect::Mysql);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].text, "ALTER TABLE t ADD COLUMN y int");
        assert_eq!(found[0].inside.condition, Some("CASE"));
        assert_eq!(found[0].span.start, text.find("ALTER").unwrap());
    }

    #[test]
    fn functions_run_only_when_called() {
        let text = "CREATE FUNCTION tmp() RETURNS void AS $$\nBEGIN\n  UPDATE t SET a = 1;\nEND\n$$ LANGUAGE plpgsql;\nCREATE FUNCTION never() RETURNS void LANGUAGE plpgsql AS $$ BEGIN DELETE FROM t; END $$;\nSELECT tmp();\nDROP FUNCTION tmp();";
        let split = split(text, Dialect::Postgres).statements;
        let found = expand(text, &split, Dialect::Postgres);
        assert!(found[0].is_empty() && found[1].is_empty());
        assert_eq!(found[2].len(), 1);
        assert_eq!(found[2][0].text, "UPDATE t SET a = 1");
        assert_eq!(found[2][0].inside.kind, InsideKind::FunctionCall);
        assert_eq!(found[2][0].inside.function.as_deref(), Some("tmp"));
        assert_eq!(&text[found[2][0].inside.site.clone()], "SELECT tmp()");
    }

    #[test]
    fn calls_are_found_through_case_and_quoted_names() {
        // The statements that name no function are not read; these name one.
        let text = "CREATE FUNCTION \"Fix Rows\"() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE t SET a = 1; END $$;\nCREATE FUNCTION app.Clean() RETURNS void LANGUAGE sql AS 'DELETE FROM t';\nINSERT INTO log VALUES (1);\nSELECT \"Fix Rows\"();\nSELECT APP.CLEAN();";
        let split = split(text, Dialect::Postgres).statements;
        let found = expand(text, &split, Dialect::Postgres);
        let texts: Vec<Vec<&str>> = found
            .iter()
            .map(|f| f.iter().map(|s| s.text.as_str()).collect())
            .collect();
        assert_eq!(
            texts,
            [
                vec![],
                vec![],
                vec![],
                vec!["UPDATE t SET a = 1"],
                vec!["DELETE FROM t"]
            ]
        );
    }

    #[test]
    fn mysql_concat_of_variables() {
        let text = "SET @table = \"orders\";\nSET @db = DATABASE();\nSET @s = (SELECT IF(\n  (SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = @db) > 0,\n  \"SELECT 1\",\n  CONCAT(\"ALTER TABLE \", @table, \" ADD note INT(11);\")\n));\nPREPARE q FROM @s;\nEXECUTE q;\nSET @s = CONCAT('DROP TABLE ', @db);\nPREPARE q FROM @s;\nEXECUTE q;";
        let found = inner(text, Dialect::Mysql);
        let texts: Vec<&str> = found.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["SELECT 1", "ALTER TABLE orders ADD note INT(11)"]);
        assert_eq!(found[1].span.start, text.find("ALTER").unwrap());
        assert_eq!(found[1].inside.condition, Some("IF()"));
        // A variable set earlier ends the span: it covers the first literal.
        let set_later = "SET @c = 'note';\nSET @s = CONCAT('ALTER TABLE t DROP COLUMN ', @c);\nPREPARE q FROM @s;\nEXECUTE q;";
        let found = inner(set_later, Dialect::Mysql);
        assert_eq!(found[0].text, "ALTER TABLE t DROP COLUMN note");
        assert_eq!(
            &set_later[found[0].span.clone()],
            "ALTER TABLE t DROP COLUMN"
        );
    }

    #[test]
    fn mysql_procedure_and_compound_block() {
        let text = "DELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  DECLARE CONTINUE HANDLER FOR SQLSTATE '42S21' BEGIN END;\n  IF NOT EXISTS (SELECT 1) THEN\n    ALTER TABLE t ADD COLUMN c int;\n  END IF;\nEND$$\nCALL p()$$\nBEGIN NOT ATOMIC\n  DECLARE EXIT HANDLER FOR SQLEXCEPTION DELETE FROM log;\n  ALTER TABLE t DROP COLUMN c;\nEND$$";
        let found = inner(text, Dialect::Mysql);
        let texts: Vec<&str> = found.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "ALTER TABLE t ADD COLUMN c int",
                "DELETE FROM log",
                "ALTER TABLE t DROP COLUMN c"
            ],
            "{found:#?}"
        );
        assert_eq!(found[0].inside.condition, Some("IF"));
        assert_eq!(found[1].inside.condition, Some("HANDLER"));
        assert_eq!(found[2].inside.condition, None);
    }

    #[test]
    fn unknowable_text_yields_nothing() {
        for text in [
            "DO $$ BEGIN EXECUTE format('ALTER TABLE %I DROP COLUMN c', tbl); END $$",
            "DO $$ BEGIN EXECUTE 'DROP INDEX ' || i.relname; END $$",
            "DO $$ BEGIN EXECUTE $$",
            "DO $$ BEGIN IF x THEN",
            "DO LANGUAGE plperl $$ DROP TABLE t $$",
        ] {
            assert!(inner(text, Dialect::Postgres).is_empty(), "{text}");
        }
    }
}
