//! The schema seed: a dump of an existing database's schema (`pg_dump --schema-only`,
//! `mysqldump --no-data`) loaded into the schema model before the first migration, so a
//! squashed or legacy history knows the tables it did not create.
//!
//! Owns reading the dump through the lint pipeline (split → parse → classify → replay)
//! with no rule running. A statement the pipeline cannot read is an error pointing at the
//! dump's line: a seed read in part would quietly make the linter wrong.

use super::{lint_source_with, LintSettings};
use crate::schema::Schema;
use crate::source::{Encoding, SourceFile};
use miette::{Diagnostic, NamedSource, SourceSpan};
use std::path::Path;

/// A seed that cannot be used (a tool failure, exit 2).
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum SeedError {
    #[error("cannot read the schema seed {path}: {error}")]
    #[diagnostic(code(bellows::seed::read))]
    Read { path: String, error: std::io::Error },
    #[error("the schema seed {path} is not SQL text")]
    #[diagnostic(
        code(bellows::seed::binary),
        help("give a plain-SQL dump: `pg_dump --schema-only`, `mysqldump --no-data`")
    )]
    NotText { path: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(Box<SeedSyntax>),
}

/// A statement of the seed that the pipeline cannot read.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{path}:{line}:{column}: the schema seed has a statement bellows cannot read: {message}")]
#[diagnostic(
    code(bellows::seed::syntax),
    help("the seed must be a {dialect} schema dump (`pg_dump --schema-only` or `mysqldump --no-data`); remove or fix the statement, or check `--dialect`")
)]
pub struct SeedSyntax {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub dialect: &'static str,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("here")]
    pub span: SourceSpan,
}

/// Reads a schema dump into a schema model.
pub fn load_seed(path: &Path, settings: &LintSettings) -> Result<Schema, SeedError> {
    let source = SourceFile::read(path).map_err(|error| SeedError::Read {
        path: path.display().to_string(),
        error,
    })?;
    seed_schema(source, settings)
}

/// Replays a schema dump's statements into an empty model, running no rule.
///
/// ```
/// use bellows::lint::{lint_inputs_from, seed::seed_schema, LintSettings};
/// use bellows::dialect::Dialect;
/// use bellows::source::SourceFile;
///
/// let settings = LintSettings::new(Dialect::Postgres);
/// let dump = SourceFile::new("schema.sql", "CREATE TABLE public.users (name character varying(50));");
/// let schema = seed_schema(dump, &settings).unwrap();
/// let widen = SourceFile::new("m.sql", "ALTER TABLE users ALTER COLUMN name TYPE varchar(100);");
/// let results = lint_inputs_from(vec![(widen, Default::default())], &settings, schema, &|_| None);
/// assert!(results[0].statements[0].ops[0].safe_widening);
/// ```
pub fn seed_schema(source: SourceFile, settings: &LintSettings) -> Result<Schema, SeedError> {
    if matches!(source.encoding, Encoding::Binary { .. }) {
        return Err(SeedError::NotText { path: source.path });
    }
    let mut quiet = settings.clone();
    quiet
        .rules
        .select_only(&[])
        .expect("an empty selection names no rule");
    let mut schema = Schema::default();
    let result = lint_source_with(source, &quiet, &mut schema);
    if let Some((message, offset)) = result.statements.iter().find_map(|s| s.invalid.as_ref()) {
        let source = &result.source;
        let at = source.position(*offset);
        let text = source.text.to_string();
        let end = (*offset + 1).min(text.len()).max(*offset);
        return Err(SeedError::Syntax(Box::new(SeedSyntax {
            path: source.path.clone(),
            line: at.line,
            column: at.column,
            message: message.clone(),
            dialect: settings.dialect.as_str(),
            src: NamedSource::new(source.path.clone(), text),
            span: SourceSpan::from(*offset..end),
        })));
    }
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::op::Name;
    use crate::dialect::Dialect;

    #[test]
    fn a_postgres_dump_builds_tables_columns_and_keys() {
        let dump = "\
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying(50)
);
ALTER TABLE public.users OWNER TO app;
CREATE SEQUENCE public.users_id_seq START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;
COMMENT ON TABLE public.users IS 'people';
ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);
ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);
";
        let settings = LintSettings::new(Dialect::Postgres);
        let schema = seed_schema(SourceFile::new("schema.sql", dump), &settings).unwrap();
        let users = schema.table(&Name::new("users")).expect("users is seeded");
        let id = users.column(&Name::new("id")).unwrap();
        assert!(id.not_null && id.has_default);
        let email = users.column(&Name::new("email")).unwrap();
        assert_eq!(email.ty.args, vec![50]);
        assert!(users.constraint(&Name::new("users_pkey")).is_some());
    }

    #[test]
    fn a_statement_the_pipeline_cannot_read_is_an_error_at_its_line() {
        let dump = "CREATE TABLE a (id int);\n\nCREAT TABLE b (id int);\n";
        let settings = LintSettings::new(Dialect::Postgres);
        let err = seed_schema(SourceFile::new("dump.sql", dump), &settings).unwrap_err();
        let SeedError::Syntax(syntax) = &err else {
            panic!("expected a syntax error, got {err}")
        };
        assert_eq!((syntax.path.as_str(), syntax.line), ("dump.sql", 3));
        assert!(err.to_string().starts_with("dump.sql:3:"), "{err}");
    }

    #[test]
    fn a_binary_file_is_refused() {
        let settings = LintSettings::new(Dialect::Mysql);
        let source = SourceFile::from_bytes("dump.gz", &[0x1f, 0x8b, 0, 0, 1, 2]);
        assert!(matches!(
            seed_schema(source, &settings),
            Err(SeedError::NotText { .. })
        ));
    }
}
