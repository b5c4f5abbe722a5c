//! The PostgreSQL dialect the parser reads statements with: sqlparser's own, plus one shortcut.
//!
//! sqlparser reads every expression that starts with a literal (`42`, `'a'`) by first trying
//! to read it as a typed string (`DATE '2020-01-01'`): it parses a data type, which fails at
//! once on a literal, and builds an error message (`Expected: a data type name, found: 42 at
//! Line: …`) that the caller throws away. On an `INSERT … VALUES` of many rows that message
//! was a tenth of all the work. [`PgDialect`] answers that one attempt with an empty error
//! instead; everything else is PostgreSqlDialect's.
//!
//! The parser asks the dialect for the data type hook right after its recursion check, so
//! the nesting limit is applied as before. The shortcut is armed by the prefix hook (which
//! the parser calls at the start of every expression) only for a literal token, where the
//! typed-string attempt is the next thing to run and is sure to fail, and only for that
//! token's position.

use sqlparser::ast::DataType;
use sqlparser::dialect::{BindPlaceholderStyle, Dialect, PostgreSqlDialect, Precedence};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;
use std::any::TypeId;
use std::cell::Cell;

/// PostgreSqlDialect for the parser: the same answers to every question (the methods
/// PostgreSqlDialect defines are passed on to it, the others are the trait's defaults, as
/// for PostgreSqlDialect), and the parser's `dialect is PostgreSqlDialect` checks hold.
#[derive(Debug, Default)]
pub(crate) struct PgDialect {
    base: PostgreSqlDialect,
    /// The parser position of a literal an expression starts with: the typed-string attempt
    /// there fails without a message.
    literal_at: Cell<Option<usize>>,
}

/// A token that cannot start a data type and that sqlparser reads as a value.
fn is_literal(token: &Token) -> bool {
    matches!(
        token,
        Token::Number(..)
            | Token::SingleQuotedString(_)
            | Token::EscapedStringLiteral(_)
            | Token::DollarQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::HexStringLiteral(_)
    )
}

impl Dialect for PgDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<PostgreSqlDialect>()
    }

    fn parse_prefix(
        &self,
        parser: &mut Parser,
    ) -> Option<Result<sqlparser::ast::Expr, ParserError>> {
        let literal = is_literal(&parser.peek_token_ref().token);
        self.literal_at.set(literal.then(|| parser.index()));
        None
    }

    fn parse_data_type(&self, parser: &mut Parser) -> Option<Result<DataType, ParserError>> {
        if self.literal_at.take() == Some(parser.index()) {
            // What sqlparser would say is "Expected: a data type name, found: …"; the
            // typed-string attempt that asks drops it.
            return Some(Err(ParserError::ParserError(String::new())));
        }
        None
    }

    fn supports_cte_materialization(&self) -> bool {
        self.base.supports_cte_materialization()
    }

    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.base.identifier_quote_style(identifier)
    }

    fn ordered_bind_placeholder_style(&self) -> Option<BindPlaceholderStyle> {
        self.base.ordered_bind_placeholder_style()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.base.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.base.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.base.is_identifier_part(ch)
    }

    fn supports_unicode_string_literal(&self) -> bool {
        self.base.supports_unicode_string_literal()
    }

    fn is_reserved_for_identifier(&self, kw: Keyword) -> bool {
        self.base.is_reserved_for_identifier(kw)
    }

    fn is_table_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        self.base.is_table_alias(kw, parser)
    }

    fn supports_string_literal_column_alias(&self, explicit: bool) -> bool {
        self.base.supports_string_literal_column_alias(explicit)
    }

    fn supports_string_literal_table_alias(&self, explicit: bool) -> bool {
        self.base.supports_string_literal_table_alias(explicit)
    }

    fn is_custom_operator_part(&self, ch: char) -> bool {
        self.base.is_custom_operator_part(ch)
    }

    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        self.base.get_next_precedence(parser)
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        self.base.supports_filter_during_aggregation()
    }

    fn supports_group_by_expr(&self) -> bool {
        self.base.supports_group_by_expr()
    }

    fn supports_drop_group(&self) -> bool {
        self.base.supports_drop_group()
    }

    fn supports_alter_user_as_alter_role(&self) -> bool {
        self.base.supports_alter_user_as_alter_role()
    }

    fn supports_create_group(&self) -> bool {
        self.base.supports_create_group()
    }

    fn supports_create_role_if_not_exists(&self) -> bool {
        self.base.supports_create_role_if_not_exists()
    }

    fn prec_value(&self, prec: Precedence) -> u8 {
        self.base.prec_value(prec)
    }

    fn allow_extract_custom(&self) -> bool {
        self.base.allow_extract_custom()
    }

    fn allow_extract_single_quotes(&self) -> bool {
        self.base.allow_extract_single_quotes()
    }

    fn supports_create_index_with_clause(&self) -> bool {
        self.base.supports_create_index_with_clause()
    }

    fn supports_sql_option_without_value(&self) -> bool {
        self.base.supports_sql_option_without_value()
    }

    fn supports_explain_with_utility_options(&self) -> bool {
        self.base.supports_explain_with_utility_options()
    }

    fn supports_listen_notify(&self) -> bool {
        self.base.supports_listen_notify()
    }

    fn supports_exclude_constraint(&self) -> bool {
        self.base.supports_exclude_constraint()
    }

    fn supports_factorial_operator(&self) -> bool {
        self.base.supports_factorial_operator()
    }

    fn supports_bitwise_shift_operators(&self) -> bool {
        self.base.supports_bitwise_shift_operators()
    }

    fn supports_tilde_like_match_operator(&self) -> bool {
        self.base.supports_tilde_like_match_operator()
    }

    fn supports_comparison_in_between_low_bound(&self) -> bool {
        self.base.supports_comparison_in_between_low_bound()
    }

    fn supports_comment_on(&self) -> bool {
        self.base.supports_comment_on()
    }

    fn supports_load_extension(&self) -> bool {
        self.base.supports_load_extension()
    }

    fn supports_named_fn_args_with_colon_operator(&self) -> bool {
        self.base.supports_named_fn_args_with_colon_operator()
    }

    fn supports_named_fn_args_with_expr_name(&self) -> bool {
        self.base.supports_named_fn_args_with_expr_name()
    }

    fn supports_named_fn_args_with_assignment_operator(&self) -> bool {
        self.base.supports_named_fn_args_with_assignment_operator()
    }

    fn supports_empty_projections(&self) -> bool {
        self.base.supports_empty_projections()
    }

    fn supports_nested_comments(&self) -> bool {
        self.base.supports_nested_comments()
    }

    fn supports_copy_from_stdin_data(&self) -> bool {
        self.base.supports_copy_from_stdin_data()
    }

    fn supports_string_escape_constant(&self) -> bool {
        self.base.supports_string_escape_constant()
    }

    fn supports_numeric_literal_underscores(&self) -> bool {
        self.base.supports_numeric_literal_underscores()
    }

    fn supports_non_decimal_integer_literals(&self) -> bool {
        self.base.supports_non_decimal_integer_literals()
    }

    fn supports_array_typedef_with_brackets(&self) -> bool {
        self.base.supports_array_typedef_with_brackets()
    }

    fn supports_geometric_types(&self) -> bool {
        self.base.supports_geometric_types()
    }

    fn supports_order_by_using_operator(&self) -> bool {
        self.base.supports_order_by_using_operator()
    }

    fn supports_set_names(&self) -> bool {
        self.base.supports_set_names()
    }

    fn supports_alter_column_type_using(&self) -> bool {
        self.base.supports_alter_column_type_using()
    }

    fn supports_left_associative_joins_without_parens(&self) -> bool {
        self.base.supports_left_associative_joins_without_parens()
    }

    fn supports_notnull_operator(&self) -> bool {
        self.base.supports_notnull_operator()
    }

    fn supports_interval_options(&self) -> bool {
        self.base.supports_interval_options()
    }

    fn is_interval_qualifier(&self, kw: Keyword) -> bool {
        self.base.is_interval_qualifier(kw)
    }

    fn supports_insert_table_alias(&self) -> bool {
        self.base.supports_insert_table_alias()
    }

    fn supports_create_table_like_parenthesized(&self) -> bool {
        self.base.supports_create_table_like_parenthesized()
    }

    fn supports_select_wildcard_with_alias(&self) -> bool {
        self.base.supports_select_wildcard_with_alias()
    }

    fn supports_comma_separated_trim(&self) -> bool {
        self.base.supports_comma_separated_trim()
    }

    fn supports_xml_expressions(&self) -> bool {
        self.base.supports_xml_expressions()
    }

    fn is_custom_type_typed_string(&self, first_keyword: Keyword, qualified: bool) -> bool {
        self.base
            .is_custom_type_typed_string(first_keyword, qualified)
    }

    fn supports_aliased_function_args(&self) -> bool {
        self.base.supports_aliased_function_args()
    }

    fn supports_comment_optimizer_hint(&self) -> bool {
        self.base.supports_comment_optimizer_hint()
    }

    fn supports_add_column_if_not_exists(&self) -> bool {
        self.base.supports_add_column_if_not_exists()
    }

    fn supports_attach_partition_of(&self) -> bool {
        self.base.supports_attach_partition_of()
    }

    fn supports_detach_partition_of(&self) -> bool {
        self.base.supports_detach_partition_of()
    }

    fn supports_table_inheritance_markers(&self) -> bool {
        self.base.supports_table_inheritance_markers()
    }

    fn supports_column_generic_options(&self) -> bool {
        self.base.supports_column_generic_options()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect as Bellows;
    use crate::parse::split::{split, RawKind};

    /// Each statement read with sqlparser's PostgreSqlDialect and with [`PgDialect`]: the
    /// same statement, or the same error.
    fn same_reading(text: &str) -> usize {
        let mut read = 0;
        for raw in split(text, Bellows::Postgres).statements {
            if raw.kind != RawKind::Sql || raw.unclosed.is_some() {
                continue;
            }
            let body = &text[raw.span.clone()];
            let ours = Parser::new(&PgDialect::default())
                .try_with_sql(body)
                .and_then(|mut p| p.parse_statements());
            let theirs = Parser::new(&PostgreSqlDialect {})
                .try_with_sql(body)
                .and_then(|mut p| p.parse_statements());
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{body}");
            read += 1;
        }
        read
    }

    #[test]
    fn reads_as_postgresql_does() {
        let read = same_reading(
            "INSERT INTO t (a, b, c) VALUES (1, 'x', -2.5), (E'a\\n', $$b$$, N'c'), (X'1f', 1e3, NULL);
             SELECT DATE '2020-01-01', INTERVAL '1 day', 'a'::text, CAST('1' AS int), 5 + '6';
             CREATE TABLE t (a int DEFAULT 0, b text DEFAULT 'x', c numeric(10, 2)[]);
             SELECT (1), ((('a'))), ARRAY[1, 2], '1' '2';
             ALTER TABLE t ADD COLUMN d int 5;
             CREATE TABLE u (a 5);
             SELECT CAST(1 AS 'x');",
        );
        assert_eq!(read, 7);
        // The parse fixtures and the rule fixtures.
        let mut files = 0;
        let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "sql") {
                    if let Ok(text) = std::fs::read_to_string(&path) {
                        same_reading(&text);
                        files += 1;
                    }
                }
            }
        }
        assert!(files > 100, "{files} fixture files");
    }
}
