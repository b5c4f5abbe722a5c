//! Parsing: split a file into statements, parse each with sqlparser, fall back to token
//! recognition where sqlparser cannot read a statement.
//!
//! Owns the text → statement step of the pipeline. Never drops a statement and never
//! panics on input; does not classify phases or run rules.

pub mod fallback;
mod pg;
pub mod procedural;
pub mod split;

use crate::dialect::Dialect;
use split::{RawKind, RawStatement};
use sqlparser::ast::Statement;
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};
use std::cell::Cell;

/// Deepest nesting sqlparser may recurse into before giving up on a statement.
const RECURSION_LIMIT: usize = 64;

/// How a statement was read.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// sqlparser produced an AST.
    Ast(Box<Statement>),
    /// sqlparser failed; the token fallback recognised it (the ops are already built).
    Fallback(Vec<crate::classify::op::Op>),
    /// Not SQL of the dialect: the message and the byte offset (in the file) it points at.
    Invalid { message: String, offset: usize },
}

/// One statement: where it is, and how it was read.
#[derive(Debug, Clone)]
pub struct ParsedStatement {
    pub raw: RawStatement,
    pub parsed: Parsed,
}

/// Parses one raw statement of `text` (the whole file).
pub fn parse_statement(text: &str, raw: &RawStatement, dialect: Dialect) -> Parsed {
    let body = &text[raw.span.clone()];
    if let Some((what, at)) = raw.unclosed {
        return Parsed::Invalid {
            message: format!("{} is never closed", what.describe()),
            offset: at,
        };
    }
    match raw.kind {
        RawKind::PsqlMeta => {
            return Parsed::Fallback(vec![crate::classify::op::Op::Inert {
                what: "psql-meta".into(),
            }])
        }
        RawKind::Delimiter => {
            return Parsed::Fallback(vec![crate::classify::op::Op::Inert {
                what: "delimiter".into(),
            }])
        }
        RawKind::CopyData => {
            return Parsed::Fallback(vec![crate::classify::op::Op::Inert {
                what: "copy-data".into(),
            }])
        }
        RawKind::Sql => {}
    }
    let error = match parse_with_sqlparser(body, dialect) {
        Ok(stmt) => match misparsed(&stmt, dialect) {
            Some(wrong) => wrong,
            None => return Parsed::Ast(stmt),
        },
        Err(e) => e,
    };
    if let Some(ops) = fallback::recognize(body, dialect) {
        return Parsed::Fallback(ops);
    }
    let (message, rel) = split_location(&error, body);
    Parsed::Invalid {
        message,
        offset: raw.span.start + rel,
    }
}

/// The statement is boxed as soon as sqlparser returns it: a `Statement` is large, and
/// moving it by value from function to function was a visible part of the copying.
fn parse_with_sqlparser(body: &str, dialect: Dialect) -> Result<Box<Statement>, String> {
    match dialect {
        Dialect::Postgres => parse_one(&PostgreSqlDialect {}, &pg::PgDialect::default(), body),
        Dialect::Mysql => parse_one(&MySqlDialect {}, &MySqlDialect {}, body),
    }
}

thread_local! {
    /// Each thread's token buffer, reused from one statement to the next: tokenizing a
    /// statement into a fresh vector that grows token by token was a large part of the
    /// allocator's work.
    static TOKENS: Cell<Vec<TokenWithSpan>> = const { Cell::new(Vec::new()) };
}

/// A token buffer larger than this (in tokens) is not kept for the next statement.
const KEPT_TOKENS: usize = 1 << 14;

/// Tokenizes `body` in `dialect` and parses it with `parser_dialect` (the same dialect, or
/// one that answers as it does).
fn parse_one(
    dialect: &dyn sqlparser::dialect::Dialect,
    parser_dialect: &dyn sqlparser::dialect::Dialect,
    body: &str,
) -> Result<Box<Statement>, String> {
    TOKENS.with(|kept| {
        let mut tokens = kept.take();
        tokens.clear();
        // What `Parser::try_with_sql` does, into the reused buffer.
        if let Err(e) = Tokenizer::new(dialect, body).tokenize_with_location_into_buf(&mut tokens) {
            kept.set(tokens);
            return Err(ParserError::from(e).to_string());
        }
        let mut parser = Parser::new(parser_dialect)
            .with_recursion_limit(RECURSION_LIMIT)
            .with_tokens_with_locations(tokens);
        let result = parse_tokens(&mut parser);
        let mut tokens = parser.into_tokens();
        if tokens.capacity() <= KEPT_TOKENS {
            tokens.clear();
            kept.set(tokens);
        }
        result
    })
}

/// One statement from the parser's tokens, and nothing after it but `;` and blanks.
fn parse_tokens(parser: &mut Parser) -> Result<Box<Statement>, String> {
    let stmt = Box::new(parser.parse_statement().map_err(|e| e.to_string())?);
    loop {
        let next = parser.next_token();
        match next.token {
            Token::EOF => return Ok(stmt),
            Token::SemiColon | Token::Whitespace(_) => continue,
            other => {
                return Err(format!(
                    "Expected: end of statement, found: {other} at Line: {}, Column: {}",
                    next.span.start.line, next.span.start.column
                ))
            }
        }
    }
}

/// sqlparser accepts some statements of the other dialect with a different meaning. These
/// known silent misparses go to the token fallback instead; the error says what was
/// misread, in sqlparser's "… at Line: L, Column: C" form.
fn misparsed(stmt: &Statement, dialect: Dialect) -> Option<String> {
    use sqlparser::ast::{AlterTableOperation, CreateTable};
    let at = |ident: &sqlparser::ast::Ident, what: &str| {
        let start = ident.span.start;
        format!(
            "Expected: {what}, found: {} at Line: {}, Column: {}",
            ident.value, start.line, start.column
        )
    };
    match stmt {
        // PostgreSQL dialect: `ADD INDEX i (c)` / `ADD KEY` becomes a column named INDEX.
        Statement::AlterTable(alter) => alter.operations.iter().find_map(|op| match op {
            AlterTableOperation::AddColumn {
                column_keyword: false,
                column_def,
                ..
            } if ["index", "key", "unique", "fulltext", "spatial"]
                .contains(&column_def.name.value.to_ascii_lowercase().as_str())
                && column_def.name.quote_style.is_none() =>
            {
                Some(at(
                    &column_def.name,
                    "a column definition (this is MySQL index syntax)",
                ))
            }
            _ => None,
        }),
        // MySQL dialect: `CREATE TABLE a (LIKE b)` becomes a column named LIKE.
        Statement::CreateTable(CreateTable { columns, .. }) if dialect == Dialect::Mysql => columns
            .iter()
            .find(|c| c.name.quote_style.is_none() && c.name.value.eq_ignore_ascii_case("like"))
            .map(|c| at(&c.name, "a column definition")),
        _ => None,
    }
}

/// Turns sqlparser's "… at Line: L, Column: C" into a message and a byte offset within
/// `body` (sqlparser counts columns in characters).
fn split_location(error: &str, body: &str) -> (String, usize) {
    let error = error.strip_prefix("sql parser error: ").unwrap_or(error);
    let Some(at) = error.rfind(" at Line: ") else {
        return (error.to_owned(), 0);
    };
    let message = error[..at].to_owned();
    let mut nums = error[at..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse::<usize>().ok());
    let (Some(line), Some(column)) = (nums.next(), nums.next()) else {
        return (message, 0);
    };
    let line_start = body
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let rest = &body[line_start.min(body.len())..];
    let col = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    (message, line_start + col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_location_maps_to_byte_offset() {
        let body = "SELECT 1\nFROM é WHERE";
        let (msg, at) = split_location(
            "sql parser error: Expected: x, found: y at Line: 2, Column: 8",
            body,
        );
        assert_eq!(msg, "Expected: x, found: y");
        assert_eq!(&body[at..], "WHERE");
    }
}
