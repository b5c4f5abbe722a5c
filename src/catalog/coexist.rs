//! Coexistence: can a release's queries run against a schema state?
//!
//! Owns resolving every table and column a query names against the schema model (aliases,
//! joins, subqueries, CTEs, `RETURNING`, `ON CONFLICT … EXCLUDED`, `ON DUPLICATE KEY
//! UPDATE`), the NOT NULL columns an `INSERT` must supply, writes through views (a simple
//! view passes them to its table, whose NOT NULL columns an `INSERT` must still supply;
//! any other view refuses them), and the `SELECT *` / column-less `INSERT` warnings across
//! a change of a table's columns. Walks sqlparser's AST itself.

use super::queries::Query as ReleaseQuery;
use crate::classify::op::Name;
use crate::dialect::Dialect;
use crate::rules::Severity;
use crate::schema::Schema;
use sqlparser::ast::{
    Assignment, AssignmentTarget, ConflictTarget, Cte, Delete, Expr, FromTable, Function,
    FunctionArg, FunctionArgExpr, FunctionArgumentClause, FunctionArguments, Ident, InTarget,
    Insert, JoinConstraint, JoinOperator, Merge, MergeAction, MergeInsertKind, MergeUpdateKind,
    ObjectName, ObjectNamePart, OnConflictAction, OnInsert, OrderBy, OrderByExpr, OrderByKind,
    OutputClause, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Statement,
    TableAlias, TableFactor, TableObject, TableWithJoins, Update, UpdateTableFromKind, WindowType,
};
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What a problem is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum What {
    /// The query names a table the schema state does not have.
    Table(Name),
    /// The query names a column the table does not have: (table, column).
    Column(Name, Name),
    /// An `INSERT` leaves out a NOT NULL column without a default: (table, column).
    RequiredColumn(Name, Name),
    /// `SELECT *` / `t.*` / a column-less `INSERT` on a table whose columns change.
    Star(Name),
    /// A write through a view that cannot take it: (view, the column when one is at fault).
    ViewWrite(Name, Option<Name>),
    /// The query text is not SQL sqlparser can read.
    Syntax,
}

/// The name the plan and reports use for [`What`].
pub type Missing = What;

/// One reason a query cannot run (error) or may misbehave (warning) in a schema state.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub message: String,
    pub what: What,
}

impl Problem {
    /// The table (and column) a problem is about, if any.
    pub fn object(&self) -> Option<(&Name, Option<&Name>)> {
        match &self.what {
            What::Table(t) | What::Star(t) => Some((t, None)),
            What::Column(t, c) | What::RequiredColumn(t, c) => Some((t, Some(c))),
            What::ViewWrite(v, c) => Some((v, c.as_ref())),
            What::Syntax => None,
        }
    }
}

impl std::fmt::Display for Problem {
    /// `file:line: severity: message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.severity, self.message
        )
    }
}

/// A query parsed once, to be checked against many schema states.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub query: ReleaseQuery,
    pub dialect: Dialect,
    statements: Result<Vec<Statement>, String>,
    tables: Vec<Name>,
}

/// Parses a query and finds the tables it reads or writes.
pub fn prepare(query: &ReleaseQuery, dialect: Dialect) -> Prepared {
    let statements = parse(&query.text, dialect);
    let mut tables = Vec::new();
    if let Ok(stmts) = &statements {
        let empty = Schema::default();
        let mut walker = Walker::new(dialect, &empty);
        for stmt in stmts {
            walker.statement(stmt);
        }
        tables = walker.tables;
        tables.sort();
        tables.dedup();
    }
    Prepared {
        query: query.clone(),
        dialect,
        statements,
        tables,
    }
}

impl Prepared {
    /// The schema tables the query names (CTE names excluded). Its result against a state
    /// can only change when one of these tables changes, so callers checking many states
    /// may reuse a result while these tables are equal.
    pub fn tables(&self) -> &[Name] {
        &self.tables
    }

    /// Does the query parse?
    pub fn parsed(&self) -> bool {
        self.statements.is_ok()
    }

    /// See [`check_query`].
    pub fn check(&self, schema: &Schema) -> Vec<Problem> {
        let query = &self.query;
        let statements = match &self.statements {
            Ok(s) => s,
            Err(message) => {
                return vec![Problem {
                    severity: Severity::Error,
                    file: query.file.clone(),
                    line: query.line,
                    message: format!("cannot parse query: {message}"),
                    what: What::Syntax,
                }]
            }
        };
        let mut walker = Walker::new(self.dialect, schema);
        for stmt in statements {
            walker.statement(stmt);
        }
        let mut seen = Vec::new();
        walker
            .problems
            .into_iter()
            .filter(|(_, what)| {
                if seen.contains(what) {
                    false
                } else {
                    seen.push(what.clone());
                    true
                }
            })
            .map(|(message, what)| Problem {
                severity: Severity::Error,
                file: query.file.clone(),
                line: query.line,
                message,
                what,
            })
            .collect()
    }

    /// See [`star_warnings`].
    pub fn star_warnings(&self, before: &Schema, after: &Schema) -> Vec<Problem> {
        let query = &self.query;
        let Ok(statements) = &self.statements else {
            return Vec::new();
        };
        // Only tables whose columns differ matter; most changes touch none of them.
        let changed = |t: &Name| match (before.table(t), after.table(t)) {
            (Some(b), Some(a)) => b.columns != a.columns,
            _ => false,
        };
        if !self.tables.iter().any(changed) {
            return Vec::new();
        }
        let mut walker = Walker::new(self.dialect, after);
        for stmt in statements {
            walker.statement(stmt);
        }
        let mut out: Vec<Problem> = Vec::new();
        for (table, kind) in walker.stars {
            if out.iter().any(|p| p.what == What::Star(table.clone())) {
                continue;
            }
            let (Some(b), Some(a)) = (before.table(&table), after.table(&table)) else {
                continue;
            };
            if b.columns_unknown || a.columns_unknown {
                continue;
            }
            let names = |t: &crate::schema::Table| {
                t.columns
                    .iter()
                    .map(|c| c.name.as_str().to_owned())
                    .collect::<Vec<_>>()
            };
            let (nb, na) = (names(b), names(a));
            if nb == na {
                continue;
            }
            let what = match kind {
                StarKind::Select => format!("`SELECT *` on `{table}`"),
                StarKind::Insert => format!("an INSERT into `{table}` without a column list"),
            };
            out.push(Problem {
                severity: Severity::Warning,
                file: query.file.clone(),
                line: query.line,
                message: format!(
                    "{what} depends on its columns, which change (before: {}; after: {}); name the columns",
                    nb.join(", "),
                    na.join(", ")
                ),
                what: What::Star(table),
            });
        }
        out
    }
}

/// Checks one query against a schema state: tables and columns exist, and INSERTs supply
/// every NOT NULL column without a default. To check one query against many states, use
/// [`prepare`] once and [`Prepared::check`].
pub fn check_query(query: &ReleaseQuery, dialect: Dialect, schema: &Schema) -> Vec<Problem> {
    prepare(query, dialect).check(schema)
}

/// Warnings for `SELECT *`, `t.*` and column-less `INSERT`s on tables whose columns differ
/// between `before` and `after` (names or order). Unparseable queries give nothing here
/// ([`check_query`] reports them).
pub fn star_warnings(
    query: &ReleaseQuery,
    dialect: Dialect,
    before: &Schema,
    after: &Schema,
) -> Vec<Problem> {
    prepare(query, dialect).star_warnings(before, after)
}

/// Checks every query of a release against `schema`; with `before` (the previous state),
/// also the star warnings across the change.
pub fn check_release(
    queries: &[ReleaseQuery],
    dialect: Dialect,
    schema: &Schema,
    before: Option<&Schema>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for q in queries {
        let p = prepare(q, dialect);
        out.extend(p.check(schema));
        if let Some(before) = before {
            out.extend(p.star_warnings(before, schema));
        }
    }
    out
}

/// Checks a release's prepared queries against a sequence of schema states (the state after
/// each migration, in order) and returns each state's problems, the star warnings of a state
/// being relative to the state before it. A query is checked again only when a table it
/// names changed, so a long history costs little more than its changes.
pub fn check_states(prepared: &[Prepared], states: &[&Schema]) -> Vec<Arc<Vec<Problem>>> {
    let mut by_table: BTreeMap<&Name, Vec<usize>> = BTreeMap::new();
    for (i, p) in prepared.iter().enumerate() {
        for t in &p.tables {
            by_table.entry(t).or_default().push(i);
        }
    }
    let mut current: Vec<Vec<Problem>> = vec![Vec::new(); prepared.len()];
    let mut out: Vec<Arc<Vec<Problem>>> = Vec::with_capacity(states.len());
    let mut last_had_stars = false;
    for (k, state) in states.iter().enumerate() {
        let mut stars = Vec::new();
        match k.checked_sub(1).map(|j| states[j]) {
            None => {
                for (i, p) in prepared.iter().enumerate() {
                    current[i] = p.check(state);
                }
            }
            Some(prev) => {
                let mut affected: BTreeSet<usize> = BTreeSet::new();
                for (t, queries) in &by_table {
                    if !prev.same_table(state, t) {
                        affected.extend(queries.iter().copied());
                    }
                }
                if affected.is_empty() && !last_had_stars {
                    // Nothing this release uses changed: the same problems, shared. (Star
                    // warnings belong to the state where the columns changed, so a list
                    // holding them is not carried over.)
                    if let Some(last) = out.last() {
                        out.push(Arc::clone(last));
                        continue;
                    }
                }
                for i in affected {
                    current[i] = prepared[i].check(state);
                    stars.extend(prepared[i].star_warnings(prev, state));
                }
            }
        }
        let mut problems: Vec<Problem> = current.iter().flatten().cloned().collect();
        last_had_stars = !stars.is_empty();
        problems.extend(stars);
        out.push(Arc::new(problems));
    }
    out
}

fn parse(text: &str, dialect: Dialect) -> Result<Vec<Statement>, String> {
    let result = match dialect {
        Dialect::Postgres => parse_with(&PostgreSqlDialect {}, text),
        Dialect::Mysql => parse_with(&MySqlDialect {}, text),
    };
    result.map_err(|e| {
        let e = e.to_string();
        e.strip_prefix("sql parser error: ")
            .unwrap_or(&e)
            .to_owned()
    })
}

fn parse_with(
    d: &dyn sqlparser::dialect::Dialect,
    text: &str,
) -> Result<Vec<Statement>, sqlparser::parser::ParserError> {
    Parser::new(d)
        .with_recursion_limit(64)
        .try_with_sql(text)?
        .parse_statements()
}

/// The columns a source provides.
#[derive(Debug, Clone)]
enum Cols {
    /// A table of the schema whose columns are known.
    Table(Name),
    /// A derived table, CTE or alias column list.
    List(Vec<Name>),
    /// Not known: every column is assumed present.
    Unknown,
}

/// Something in a FROM clause (or a DML target).
#[derive(Debug, Clone)]
struct Source {
    /// The qualifiers that name it (its alias, or its name and unqualified name).
    names: Vec<Name>,
    cols: Cols,
    /// The schema table behind it, if any.
    table: Option<Name>,
}

#[derive(Debug, Default)]
struct Frame {
    sources: Vec<Source>,
    ctes: Vec<(Name, Cols)>,
    /// SELECT-list aliases, usable in ORDER BY / GROUP BY / HAVING.
    aliases: Vec<Name>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StarKind {
    Select,
    Insert,
}

/// Unquoted words that parse as identifiers but are not columns.
const NOT_COLUMNS: &[&str] = &[
    "default",
    "current_user",
    "session_user",
    "user",
    "current_role",
    "current_schema",
    "current_catalog",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "null",
    "true",
    "false",
    "unknown",
];

struct Walker<'a> {
    dialect: Dialect,
    schema: &'a Schema,
    frames: Vec<Frame>,
    problems: Vec<(String, What)>,
    stars: Vec<(Name, StarKind)>,
    /// Every schema table looked up.
    tables: Vec<Name>,
    in_exists: usize,
    alias_ok: bool,
}

impl<'a> Walker<'a> {
    fn new(dialect: Dialect, schema: &'a Schema) -> Self {
        Walker {
            dialect,
            schema,
            frames: Vec::new(),
            problems: Vec::new(),
            stars: Vec::new(),
            tables: Vec::new(),
            in_exists: 0,
            alias_ok: false,
        }
    }

    fn name(&self, name: &ObjectName) -> Name {
        crate::classify::ast::object_name(name, self.dialect)
    }

    fn ident(&self, id: &Ident) -> Name {
        crate::classify::ast::ident_name(id, self.dialect)
    }

    fn idents(&self, ids: &[Ident]) -> Name {
        crate::classify::ast::idents_name(ids, self.dialect)
    }

    fn problem(&mut self, message: String, what: What) {
        self.problems.push((message, what));
    }

    fn push(&mut self) {
        self.frames.push(Frame::default());
    }

    fn pop(&mut self) {
        self.frames.pop();
    }

    fn add_source(&mut self, source: Source) {
        if self.frames.is_empty() {
            self.push();
        }
        if let Some(f) = self.frames.last_mut() {
            f.sources.push(source);
        }
    }

    // ---- statements ----

    fn statement(&mut self, stmt: &Statement) {
        self.frames.clear();
        match stmt {
            Statement::Query(q) => {
                self.query(q);
            }
            Statement::Insert(ins) => self.insert(ins),
            Statement::Update(u) => self.update(u),
            Statement::Delete(d) => self.delete(d),
            Statement::Merge(m) => self.merge(m),
            _ => {}
        }
    }

    fn query(&mut self, q: &Query) -> Cols {
        let with = q.with.as_ref();
        if let Some(with) = with {
            self.push();
            for cte in &with.cte_tables {
                self.cte(cte, with.recursive);
            }
        }
        let out = match &*q.body {
            SetExpr::Select(s) => self.select(s, q.order_by.as_ref()),
            body => {
                let out = self.set_expr(body);
                if let Some(order_by) = &q.order_by {
                    self.push();
                    self.add_source(Source {
                        names: Vec::new(),
                        cols: out.clone(),
                        table: None,
                    });
                    self.order_by(order_by);
                    self.pop();
                }
                out
            }
        };
        if with.is_some() {
            self.pop();
        }
        out
    }

    fn cte(&mut self, cte: &Cte, recursive: bool) {
        let name = self.ident(&cte.alias.name);
        if recursive {
            if let Some(f) = self.frames.last_mut() {
                f.ctes.push((name.clone(), Cols::Unknown));
            }
        }
        // The CTE's own query does not see the CTE frame's sources (there are none).
        let cols = self.query(&cte.query);
        let cols = self.alias_cols(Some(&cte.alias), cols);
        if let Some(f) = self.frames.last_mut() {
            f.ctes.retain(|(n, _)| n != &name);
            f.ctes.push((name, cols));
        }
    }

    fn alias_cols(&self, alias: Option<&TableAlias>, cols: Cols) -> Cols {
        match alias {
            Some(a) if !a.columns.is_empty() => {
                let mut names: Vec<Name> = a.columns.iter().map(|c| self.ident(&c.name)).collect();
                if let Cols::List(rest) = &cols {
                    names.extend(rest.iter().skip(names.len()).cloned());
                    Cols::List(names)
                } else if matches!(cols, Cols::Unknown) {
                    Cols::Unknown
                } else {
                    // A table whose columns are renamed in order: keep the renamed ones and
                    // the rest of the table's columns.
                    let table_cols = self.cols_list(&cols);
                    match table_cols {
                        Some(tc) => {
                            names.extend(tc.into_iter().skip(a.columns.len()));
                            Cols::List(names)
                        }
                        None => Cols::Unknown,
                    }
                }
            }
            _ => cols,
        }
    }

    fn cols_list(&self, cols: &Cols) -> Option<Vec<Name>> {
        match cols {
            Cols::Table(t) => self
                .schema
                .table(t)
                .map(|t| t.columns.iter().map(|c| c.name.clone()).collect()),
            Cols::List(l) => Some(l.clone()),
            Cols::Unknown => None,
        }
    }

    fn set_expr(&mut self, body: &SetExpr) -> Cols {
        match body {
            SetExpr::Select(s) => self.select(s, None),
            SetExpr::Query(q) => self.query(q),
            SetExpr::SetOperation { left, right, .. } => {
                let out = self.set_expr(left);
                self.set_expr(right);
                out
            }
            SetExpr::Values(v) => {
                for row in &v.rows {
                    for e in row.iter() {
                        self.expr(e);
                    }
                }
                Cols::Unknown
            }
            SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Merge(s) => {
                let saved = std::mem::take(&mut self.frames);
                match s {
                    Statement::Insert(i) => self.insert(i),
                    Statement::Update(u) => self.update(u),
                    Statement::Delete(d) => self.delete(d),
                    Statement::Merge(m) => self.merge(m),
                    _ => {}
                }
                self.frames = saved;
                Cols::Unknown
            }
            SetExpr::Table(_) => Cols::Unknown,
        }
    }

    fn select(&mut self, s: &Select, order_by: Option<&OrderBy>) -> Cols {
        self.push();
        for twj in &s.from {
            self.table_with_joins(twj);
        }
        let mut out: Option<Vec<Name>> = Some(Vec::new());
        for item in &s.projection {
            let names = self.select_item(item);
            match (names, out.as_mut()) {
                (Some(n), Some(o)) => o.extend(n),
                _ => out = None,
            }
        }
        if let Some(e) = &s.selection {
            self.expr(e);
        }
        if let Some(e) = &s.prewhere {
            self.expr(e);
        }
        let saved = self.alias_ok;
        self.alias_ok = true;
        if let sqlparser::ast::GroupByExpr::Expressions(exprs, _) = &s.group_by {
            for e in exprs {
                self.expr(e);
            }
        }
        if let Some(e) = &s.having {
            self.expr(e);
        }
        if let Some(e) = &s.qualify {
            self.expr(e);
        }
        for o in &s.sort_by {
            self.expr(&o.expr);
        }
        if let Some(order_by) = order_by {
            self.order_by(order_by);
        }
        self.alias_ok = saved;
        self.pop();
        match out {
            Some(names) => Cols::List(names),
            None => Cols::Unknown,
        }
    }

    /// Resolves one SELECT-list (or RETURNING) item; returns the output column names, or
    /// `None` when they are not known.
    fn select_item(&mut self, item: &SelectItem) -> Option<Vec<Name>> {
        match item {
            SelectItem::UnnamedExpr(e) => {
                self.expr(e);
                Some(vec![self.expr_name(e)])
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                self.expr(expr);
                let n = self.ident(alias);
                if let Some(f) = self.frames.last_mut() {
                    f.aliases.push(n.clone());
                }
                Some(vec![n])
            }
            SelectItem::ExprWithAliases { expr, aliases } => {
                self.expr(expr);
                let names: Vec<Name> = aliases.iter().map(|a| self.ident(a)).collect();
                if let Some(f) = self.frames.last_mut() {
                    f.aliases.extend(names.iter().cloned());
                }
                Some(names)
            }
            SelectItem::Wildcard(_) => {
                let sources: Vec<Source> = self
                    .frames
                    .last()
                    .map(|f| f.sources.clone())
                    .unwrap_or_default();
                let mut names = Some(Vec::new());
                for src in &sources {
                    self.star(src, StarKind::Select);
                    match (self.cols_list(&src.cols), names.as_mut()) {
                        (Some(c), Some(n)) => n.extend(c),
                        _ => names = None,
                    }
                }
                names
            }
            SelectItem::QualifiedWildcard(kind, _) => match kind {
                SelectItemQualifiedWildcardKind::ObjectName(obj) => {
                    let q = self.name(obj);
                    match self.find_source(&q) {
                        Some(src) => {
                            self.star(&src, StarKind::Select);
                            self.cols_list(&src.cols)
                        }
                        None => None,
                    }
                }
                SelectItemQualifiedWildcardKind::Expr(e) => {
                    self.expr(e);
                    None
                }
            },
        }
    }

    fn expr_name(&self, e: &Expr) -> Name {
        match e {
            Expr::Identifier(id) => self.ident(id),
            Expr::CompoundIdentifier(ids) => ids
                .last()
                .map(|id| self.ident(id))
                .unwrap_or_else(|| Name::new("?column?")),
            Expr::Function(f) => match f.name.0.last() {
                Some(ObjectNamePart::Identifier(id)) => self.ident(id),
                _ => Name::new("?column?"),
            },
            Expr::Cast { expr, .. } | Expr::Nested(expr) => self.expr_name(expr),
            _ => Name::new("?column?"),
        }
    }

    fn star(&mut self, src: &Source, kind: StarKind) {
        if self.in_exists > 0 {
            return;
        }
        if let Some(t) = &src.table {
            self.stars.push((t.clone(), kind));
        }
    }

    fn order_by(&mut self, order_by: &OrderBy) {
        if let OrderByKind::Expressions(exprs) = &order_by.kind {
            self.order_exprs(exprs);
        }
    }

    fn order_exprs(&mut self, exprs: &[OrderByExpr]) {
        let saved = self.alias_ok;
        self.alias_ok = true;
        for o in exprs {
            self.expr(&o.expr);
        }
        self.alias_ok = saved;
    }

    // ---- FROM ----

    fn table_with_joins(&mut self, twj: &TableWithJoins) {
        self.table_factor(&twj.relation);
        for join in &twj.joins {
            let before = self.frames.last().map(|f| f.sources.len()).unwrap_or(0);
            self.table_factor(&join.relation);
            let constraint = match &join.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                | JoinOperator::CrossJoin(c)
                | JoinOperator::Semi(c)
                | JoinOperator::LeftSemi(c)
                | JoinOperator::RightSemi(c)
                | JoinOperator::Anti(c)
                | JoinOperator::LeftAnti(c)
                | JoinOperator::RightAnti(c)
                | JoinOperator::StraightJoin(c) => Some(c),
                JoinOperator::AsOf {
                    match_condition,
                    constraint,
                } => {
                    self.expr(match_condition);
                    Some(constraint)
                }
                _ => None,
            };
            match constraint {
                Some(JoinConstraint::On(e)) => self.expr(e),
                Some(JoinConstraint::Using(cols)) | Some(JoinConstraint::UsingAlias(cols, _)) => {
                    self.using(cols, before)
                }
                _ => {}
            }
        }
    }

    /// `USING (col)`: the column must be on both sides of the join.
    fn using(&mut self, cols: &[ObjectName], split_at: usize) {
        let Some(frame) = self.frames.last() else {
            return;
        };
        let (left, right) = frame.sources.split_at(split_at.min(frame.sources.len()));
        let (left, right) = (left.to_vec(), right.to_vec());
        for col in cols {
            let c = self.name(col);
            for side in [&left, &right] {
                if side.is_empty() || side.iter().any(|s| self.has_column(s, &c)) {
                    continue;
                }
                if let Some(t) = side.iter().find_map(|s| s.table.clone()) {
                    self.missing_column(&t, &c);
                }
            }
        }
    }

    fn table_factor(&mut self, tf: &TableFactor) {
        match tf {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                if let Some(args) = args {
                    self.function_args(&args.args);
                    let cols = self.alias_cols(alias.as_ref(), Cols::Unknown);
                    self.add_source(Source {
                        names: alias.iter().map(|a| self.ident(&a.name)).collect(),
                        cols,
                        table: None,
                    });
                    return;
                }
                let src = self.table_source(name, alias.as_ref().map(|a| &a.name));
                let cols = self.alias_cols(alias.as_ref(), src.cols.clone());
                self.add_source(Source { cols, ..src });
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let cols = self.query(subquery);
                let cols = self.alias_cols(alias.as_ref(), cols);
                self.add_source(Source {
                    names: alias.iter().map(|a| self.ident(&a.name)).collect(),
                    cols,
                    table: None,
                });
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.table_with_joins(table_with_joins),
            TableFactor::TableFunction { expr, alias } => {
                self.expr(expr);
                self.opaque_source(alias.as_ref());
            }
            TableFactor::Function { args, alias, .. } => {
                self.function_args(args);
                self.opaque_source(alias.as_ref());
            }
            TableFactor::UNNEST {
                alias, array_exprs, ..
            } => {
                for e in array_exprs {
                    self.expr(e);
                }
                self.opaque_source(alias.as_ref());
            }
            TableFactor::JsonTable {
                json_expr, alias, ..
            } => {
                self.expr(json_expr);
                self.opaque_source(alias.as_ref());
            }
            _ => self.opaque_source(None),
        }
    }

    /// A source whose columns are not known (a function, an unusual construct).
    fn opaque_source(&mut self, alias: Option<&TableAlias>) {
        let cols = self.alias_cols(alias, Cols::Unknown);
        let names = alias.iter().map(|a| self.ident(&a.name)).collect();
        self.add_source(Source {
            names,
            cols,
            table: None,
        });
    }

    /// Resolves a table name (a CTE, a schema table, a system table) into a source,
    /// reporting a missing table.
    fn table_source(&mut self, name: &ObjectName, alias: Option<&Ident>) -> Source {
        let full = self.name(name);
        let names = match alias {
            Some(a) => vec![self.ident(a)],
            None => {
                let short = Name::new(full.unqualified());
                if short == full {
                    vec![full.clone()]
                } else {
                    vec![full.clone(), short]
                }
            }
        };
        if name.0.len() == 1 {
            let cte = self
                .frames
                .iter()
                .rev()
                .find_map(|f| f.ctes.iter().find(|(n, _)| n == &full))
                .map(|(_, c)| c.clone());
            if let Some(cols) = cte {
                return Source {
                    names,
                    cols,
                    table: None,
                };
            }
        }
        self.tables.push(full.clone());
        if let Some(t) = self.schema.table(&full) {
            let cols = if t.columns_unknown {
                Cols::Unknown
            } else {
                Cols::Table(full.clone())
            };
            return Source {
                names,
                cols,
                table: Some(full),
            };
        }
        if let Some(v) = self.schema.view(&full) {
            let cols = if v.columns_unknown {
                Cols::Unknown
            } else {
                Cols::List(v.columns.iter().map(|c| c.name.clone()).collect())
            };
            return Source {
                names,
                cols,
                table: Some(full),
            };
        }
        if !self.is_system(&full) {
            self.problem(
                format!("table `{full}` does not exist"),
                What::Table(full.clone()),
            );
        }
        Source {
            names,
            cols: Cols::Unknown,
            table: None,
        }
    }

    /// Catalog and system tables the migrations never create.
    fn is_system(&self, name: &Name) -> bool {
        let s = name.as_str();
        let schema = s.rsplit_once('.').map(|(schema, _)| schema);
        match self.dialect {
            Dialect::Postgres => {
                matches!(schema, Some("pg_catalog" | "information_schema"))
                    || (schema.is_none() && s.starts_with("pg_"))
            }
            Dialect::Mysql => {
                matches!(
                    schema,
                    Some("mysql" | "information_schema" | "performance_schema" | "sys")
                ) || s == "dual"
            }
        }
    }

    fn find_source(&self, qualifier: &Name) -> Option<Source> {
        self.frames.iter().rev().find_map(|f| {
            f.sources
                .iter()
                .rev()
                .find(|s| s.names.contains(qualifier))
                .cloned()
        })
    }

    fn has_column(&self, src: &Source, col: &Name) -> bool {
        match &src.cols {
            Cols::Table(t) => self.schema.column(t, col).is_some(),
            Cols::List(l) => l.contains(col),
            Cols::Unknown => true,
        }
    }

    fn missing_column(&mut self, table: &Name, col: &Name) {
        self.problem(
            format!("column `{table}.{col}` does not exist"),
            What::Column(table.clone(), col.clone()),
        );
    }

    /// A column a DML statement writes into its target table.
    fn target_column(&mut self, target: &Source, col: &Name) {
        if !self.has_column(target, col) {
            if let Some(t) = &target.table {
                self.missing_column(&t.clone(), col);
            }
        }
    }

    /// A write through a view: reports a view that refuses writes; returns the table
    /// that takes them, when known.
    fn view_writes(&mut self, v: &crate::schema::View, verb: &str) -> Option<Name> {
        match &v.writes {
            crate::schema::ViewWrites::Into(base) => Some(base.clone()),
            crate::schema::ViewWrites::Refused(reason) => {
                self.problem(
                    format!(
                        "{verb} `{}` fails: it is a view that takes no writes ({reason})",
                        v.name
                    ),
                    What::ViewWrite(v.name.clone(), None),
                );
                None
            }
            crate::schema::ViewWrites::Unknown => None,
        }
    }

    /// A write target that may be a view: reports what the view refuses.
    fn view_target(&mut self, target: &Source, verb: &str) -> Option<crate::schema::View> {
        let v = target
            .table
            .as_ref()
            .and_then(|t| self.schema.view(t))
            .cloned()?;
        self.view_writes(&v, verb);
        Some(v)
    }

    fn view_column_not_writable(&mut self, v: &crate::schema::View, col: &Name, verb: &str) {
        if !matches!(v.writes, crate::schema::ViewWrites::Into(_)) {
            return;
        }
        self.problem(
            format!(
                "{verb} sets `{}.{col}`, a column of the view computed from an expression, which takes no writes",
                v.name
            ),
            What::ViewWrite(v.name.clone(), Some(col.clone())),
        );
    }

    // ---- columns ----

    fn column(&mut self, qualifier: Option<Name>, id: &Ident) {
        let col = self.ident(id);
        match qualifier {
            Some(q) => {
                let Some(src) = self.find_source(&q) else {
                    return;
                };
                if !self.has_column(&src, &col) {
                    if let Some(t) = &src.table {
                        self.missing_column(&t.clone(), &col);
                    }
                }
            }
            None => {
                if id.quote_style.is_none()
                    && NOT_COLUMNS.contains(&id.value.to_ascii_lowercase().as_str())
                {
                    return;
                }
                if self.alias_ok && self.frames.last().is_some_and(|f| f.aliases.contains(&col)) {
                    return;
                }
                let mut tables: Option<Vec<Name>> = None;
                for f in self.frames.iter().rev() {
                    for s in &f.sources {
                        if self.has_column(s, &col) || s.names.contains(&col) {
                            return;
                        }
                    }
                    if tables.is_none() {
                        let t: Vec<Name> =
                            f.sources.iter().filter_map(|s| s.table.clone()).collect();
                        if !t.is_empty() {
                            tables = Some(t);
                        }
                    }
                }
                let Some(tables) = tables else {
                    return;
                };
                if tables.len() == 1 {
                    self.missing_column(&tables[0], &col);
                } else {
                    let list: Vec<String> = tables.iter().map(|t| format!("`{t}`")).collect();
                    self.problem(
                        format!("column `{col}` is in none of {}", list.join(", ")),
                        What::Column(tables[0].clone(), col),
                    );
                }
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Identifier(id) => self.column(None, id),
            Expr::CompoundIdentifier(ids) if (2..=3).contains(&ids.len()) => {
                let q = self.idents(&ids[..ids.len() - 1]);
                self.column(Some(q), &ids[ids.len() - 1]);
            }
            Expr::CompoundFieldAccess { root, .. } => self.expr(root),
            Expr::JsonAccess { value, .. } => self.expr(value),
            Expr::IsFalse(x)
            | Expr::IsNotFalse(x)
            | Expr::IsTrue(x)
            | Expr::IsNotTrue(x)
            | Expr::IsNull(x)
            | Expr::IsNotNull(x)
            | Expr::IsUnknown(x)
            | Expr::IsNotUnknown(x)
            | Expr::Nested(x)
            | Expr::UnaryOp { expr: x, .. }
            | Expr::Cast { expr: x, .. }
            | Expr::Extract { expr: x, .. }
            | Expr::Ceil { expr: x, .. }
            | Expr::Floor { expr: x, .. }
            | Expr::Collate { expr: x, .. }
            | Expr::IsJson { expr: x, .. }
            | Expr::Prefixed { value: x, .. }
            | Expr::Named { expr: x, .. } => self.expr(x),
            Expr::IsDistinctFrom(a, b)
            | Expr::IsNotDistinctFrom(a, b)
            | Expr::BinaryOp {
                left: a, right: b, ..
            }
            | Expr::AnyOp {
                left: a, right: b, ..
            }
            | Expr::AllOp {
                left: a, right: b, ..
            }
            | Expr::AtTimeZone {
                timestamp: a,
                time_zone: b,
            }
            | Expr::Position { expr: a, r#in: b } => {
                self.expr(a);
                self.expr(b);
            }
            Expr::Like {
                expr,
                pattern,
                escape_char,
                ..
            }
            | Expr::ILike {
                expr,
                pattern,
                escape_char,
                ..
            }
            | Expr::SimilarTo {
                expr,
                pattern,
                escape_char,
                ..
            } => {
                self.expr(expr);
                self.expr(pattern);
                if let Some(x) = escape_char {
                    self.expr(x);
                }
            }
            Expr::RLike { expr, pattern, .. } => {
                self.expr(expr);
                self.expr(pattern);
            }
            Expr::In { expr, target, .. } => {
                self.expr(expr);
                match target {
                    InTarget::List(list) => {
                        for x in list {
                            self.expr(x);
                        }
                    }
                    InTarget::Subquery(q) => {
                        self.query(q);
                    }
                    InTarget::Unnest(x) => self.expr(x),
                    _ => {}
                }
            }
            Expr::Between {
                expr, low, high, ..
            } => {
                self.expr(expr);
                self.expr(low);
                self.expr(high);
            }
            Expr::Convert { expr, styles, .. } => {
                self.expr(expr);
                for x in styles {
                    self.expr(x);
                }
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                self.expr(expr);
                for x in [substring_from, substring_for].into_iter().flatten() {
                    self.expr(x);
                }
            }
            Expr::Trim {
                expr,
                trim_what,
                trim_characters,
                ..
            } => {
                self.expr(expr);
                if let Some(x) = trim_what {
                    self.expr(x);
                }
                for x in trim_characters.iter().flatten() {
                    self.expr(x);
                }
            }
            Expr::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                self.expr(expr);
                self.expr(overlay_what);
                self.expr(overlay_from);
                if let Some(x) = overlay_for {
                    self.expr(x);
                }
            }
            Expr::Function(f) => self.function(f),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                if let Some(x) = operand {
                    self.expr(x);
                }
                for c in conditions {
                    self.expr(&c.condition);
                    self.expr(&c.result);
                }
                if let Some(x) = else_result {
                    self.expr(x);
                }
            }
            Expr::Exists { subquery, .. } => {
                self.in_exists += 1;
                self.query(subquery);
                self.in_exists -= 1;
            }
            Expr::Subquery(q) => {
                self.query(q);
            }
            Expr::GroupingSets(sets) | Expr::Cube(sets) | Expr::Rollup(sets) => {
                for x in sets.iter().flatten() {
                    self.expr(x);
                }
            }
            Expr::Tuple(list) => {
                for x in list {
                    self.expr(x);
                }
            }
            Expr::Array(a) => {
                for x in &a.elem {
                    self.expr(x);
                }
            }
            Expr::Interval(i) => self.expr(&i.value),
            Expr::MatchAgainst { columns, .. } => {
                for c in columns {
                    let x = Expr::CompoundIdentifier(
                        c.0.iter()
                            .filter_map(|p| match p {
                                ObjectNamePart::Identifier(id) => Some(id.clone()),
                                ObjectNamePart::Function(_) => None,
                            })
                            .collect(),
                    );
                    match &x {
                        Expr::CompoundIdentifier(ids) if ids.len() == 1 => {
                            self.column(None, &ids[0])
                        }
                        _ => self.expr(&x),
                    }
                }
            }
            _ => {}
        }
    }

    fn function(&mut self, f: &Function) {
        match &f.args {
            FunctionArguments::List(list) => {
                self.function_args(&list.args);
                for clause in &list.clauses {
                    match clause {
                        FunctionArgumentClause::OrderBy(o) => self.order_exprs_plain(o),
                        FunctionArgumentClause::Where(x) | FunctionArgumentClause::Limit(x) => {
                            self.expr(x)
                        }
                        _ => {}
                    }
                }
            }
            FunctionArguments::Subquery(q) => {
                self.query(q);
            }
            FunctionArguments::None => {}
        }
        if let Some(x) = &f.filter {
            self.expr(x);
        }
        self.order_exprs_plain(&f.within_group);
        if let Some(WindowType::WindowSpec(w)) = &f.over {
            for x in &w.partition_by {
                self.expr(x);
            }
            self.order_exprs(&w.order_by);
        }
    }

    fn order_exprs_plain(&mut self, exprs: &[OrderByExpr]) {
        for o in exprs {
            self.expr(&o.expr);
        }
    }

    fn function_args(&mut self, args: &[FunctionArg]) {
        for arg in args {
            let a = match arg {
                FunctionArg::Named { arg, .. }
                | FunctionArg::ExprNamed { arg, .. }
                | FunctionArg::Unnamed(arg) => arg,
            };
            if let FunctionArgExpr::Expr(x) = a {
                self.expr(x);
            }
        }
    }

    // ---- DML ----

    fn returning(&mut self, items: Option<&Vec<SelectItem>>, output: Option<&OutputClause>) {
        let items = items
            .into_iter()
            .flatten()
            .chain(output.into_iter().flat_map(|o| match o {
                OutputClause::Output { select_items, .. }
                | OutputClause::Returning { select_items, .. } => select_items,
            }));
        for item in items {
            self.select_item(item);
        }
    }

    fn insert(&mut self, ins: &Insert) {
        let TableObject::TableName(name) = &ins.table else {
            if let TableObject::TableFunction(f) = &ins.table {
                self.function(f);
            }
            return;
        };
        // The source query sees nothing of the target.
        let values_len = ins.source.as_ref().and_then(|q| match &*q.body {
            SetExpr::Values(v) => v.rows.iter().map(|r| r.len()).min(),
            _ => None,
        });
        if let Some(q) = &ins.source {
            self.frames.clear();
            self.query(q);
        }
        self.frames.clear();
        self.push();
        let target = self.table_source(name, ins.table_alias.as_ref().map(|a| &a.alias));
        let mut target_names = target.names.clone();
        let full = self.name(name);
        if !target_names.contains(&full) {
            target_names.push(full.clone());
            target_names.push(Name::new(full.unqualified()));
        }
        self.add_source(target.clone());
        let mut supplied: Vec<Name> = Vec::new();
        for c in &ins.columns {
            let col = match c.0.last() {
                Some(ObjectNamePart::Identifier(id)) => self.ident(id),
                _ => continue,
            };
            self.target_column(&target, &col);
            supplied.push(col);
        }
        for a in &ins.assignments {
            for col in self.assignment_columns(a) {
                self.target_column(&target, &col);
                supplied.push(col);
            }
            self.expr(&a.value);
        }
        // The table whose NOT NULL columns the INSERT must supply: the target, or the
        // table a simple view writes into; with the supplied columns named as its own.
        let view = target
            .table
            .as_ref()
            .and_then(|t| self.schema.view(t))
            .cloned();
        let written: Option<(&crate::schema::Table, Vec<Name>, Vec<Name>)> = match &view {
            Some(v) => match self.view_writes(v, "INSERT into") {
                Some(base) if !v.columns_unknown => {
                    let mut own = Vec::new();
                    for col in &supplied {
                        match v.column(col).map(|c| c.base.clone()) {
                            Some(Some(b)) => own.push(b),
                            Some(None) => self.view_column_not_writable(v, col, "INSERT"),
                            None => {}
                        }
                    }
                    let positional = v
                        .columns
                        .iter()
                        .map(|c| c.base.clone().unwrap_or_default())
                        .collect();
                    self.schema
                        .table(&base)
                        .filter(|t| !t.columns_unknown)
                        .map(|t| (t, own, positional))
                }
                _ => None,
            },
            None => target
                .table
                .as_ref()
                .and_then(|t| self.schema.table(t))
                .filter(|t| !t.columns_unknown)
                .map(|t| {
                    let positional = t.columns.iter().map(|c| c.name.clone()).collect();
                    (t, supplied.clone(), positional)
                }),
        };
        if let Some((t, own, positional)) = written {
            let required = |c: &crate::schema::Column| c.not_null && !c.has_default && !c.generated;
            let mut missing: Vec<Name> = Vec::new();
            if !supplied.is_empty() {
                missing.extend(
                    t.columns
                        .iter()
                        .filter(|c| required(c) && !own.contains(&c.name))
                        .map(|c| c.name.clone()),
                );
            } else if ins.source.is_none() {
                // DEFAULT VALUES
                missing.extend(
                    t.columns
                        .iter()
                        .filter(|c| required(c))
                        .map(|c| c.name.clone()),
                );
            } else {
                if view.is_none() {
                    self.stars.push((t.name.clone(), StarKind::Insert));
                }
                if let Some(len) = values_len {
                    let given: Vec<&Name> = positional.iter().take(len).collect();
                    missing.extend(
                        t.columns
                            .iter()
                            .filter(|c| required(c) && !given.contains(&&c.name))
                            .map(|c| c.name.clone()),
                    );
                }
            }
            let tname = t.name.clone();
            let through = match &view {
                Some(v) => format!(" (through the view `{}`)", v.name),
                None => String::new(),
            };
            for col in missing {
                self.problem(
                    format!("INSERT into `{tname}`{through} does not supply `{col}`, which is NOT NULL without a default"),
                    What::RequiredColumn(tname.clone(), col),
                );
            }
        }
        match &ins.on {
            Some(OnInsert::DuplicateKeyUpdate(assignments)) => {
                if let Some(alias) = &ins.insert_alias {
                    let cols = match &alias.col_aliases {
                        Some(ids) if !ids.is_empty() => {
                            Cols::List(ids.iter().map(|i| self.ident(i)).collect())
                        }
                        _ => target.cols.clone(),
                    };
                    let alias_name = self.name(&alias.row_alias);
                    self.add_source(Source {
                        names: vec![alias_name],
                        cols,
                        table: target.table.clone(),
                    });
                }
                self.assignments(assignments, &target);
            }
            Some(OnInsert::OnConflict(oc)) => {
                if let Some(ConflictTarget::Columns { columns, predicate }) = &oc.conflict_target {
                    for c in columns {
                        let col = self.ident(c);
                        self.target_column(&target, &col);
                    }
                    if let Some(p) = predicate {
                        self.expr(p);
                    }
                }
                if let OnConflictAction::DoUpdate(du) = &oc.action {
                    self.add_source(Source {
                        names: vec![Name::new("excluded")],
                        cols: target.cols.clone(),
                        table: target.table.clone(),
                    });
                    self.assignments(&du.assignments, &target);
                    if let Some(x) = &du.selection {
                        self.expr(x);
                    }
                }
            }
            _ => {}
        }
        // RETURNING sees the target under its own name too.
        if let Some(f) = self.frames.last_mut() {
            if let Some(s) = f.sources.first_mut() {
                s.names = target_names;
            }
        }
        self.returning(ins.returning.as_ref(), ins.output.as_ref());
        self.pop();
    }

    /// The column names an assignment writes (the last part of each target).
    fn assignment_columns(&self, a: &Assignment) -> Vec<Name> {
        let names: Vec<&ObjectName> = match &a.target {
            AssignmentTarget::ColumnName(n) => vec![n],
            AssignmentTarget::Tuple(ns) => ns.iter().collect(),
        };
        names
            .into_iter()
            .filter_map(|n| match n.0.last() {
                Some(ObjectNamePart::Identifier(id)) => Some(self.ident(id)),
                _ => None,
            })
            .collect()
    }

    /// `SET col = value, …` on a single target.
    fn assignments(&mut self, assignments: &[Assignment], target: &Source) {
        for a in assignments {
            for col in self.assignment_columns(a) {
                self.target_column(target, &col);
            }
            self.expr(&a.value);
        }
    }

    /// An assignment target in UPDATE: qualified ones resolve through the sources; bare
    /// ones belong to the target (PostgreSQL) or any joined table (MySQL).
    fn update_target(&mut self, n: &ObjectName, target: &Source) {
        let ids: Vec<Ident> =
            n.0.iter()
                .filter_map(|p| match p {
                    ObjectNamePart::Identifier(id) => Some(id.clone()),
                    ObjectNamePart::Function(_) => None,
                })
                .collect();
        match ids.len() {
            0 => {}
            1 => match self.dialect {
                Dialect::Postgres => {
                    let col = self.ident(&ids[0]);
                    self.target_column(target, &col);
                }
                Dialect::Mysql => self.column(None, &ids[0]),
            },
            _ => self.expr(&Expr::CompoundIdentifier(ids)),
        }
    }

    fn update(&mut self, u: &Update) {
        self.frames.clear();
        self.push();
        self.table_with_joins(&u.table);
        if let Some(UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from)) =
            &u.from
        {
            for twj in from {
                self.table_with_joins(twj);
            }
        }
        let target = self.frames.last().and_then(|f| f.sources.first().cloned());
        let view = target
            .as_ref()
            .and_then(|t| self.view_target(t, "UPDATE of"));
        for a in &u.assignments {
            if let Some(v) = &view {
                for col in self.assignment_columns(a) {
                    if v.column(&col).is_some_and(|c| c.base.is_none()) {
                        self.view_column_not_writable(v, &col, "UPDATE");
                    }
                }
            }
            if let Some(target) = &target {
                match &a.target {
                    AssignmentTarget::ColumnName(n) => self.update_target(n, target),
                    AssignmentTarget::Tuple(ns) => {
                        for n in ns {
                            self.update_target(n, target);
                        }
                    }
                }
            }
            self.expr(&a.value);
        }
        if let Some(x) = &u.selection {
            self.expr(x);
        }
        self.order_exprs_plain(&u.order_by);
        self.returning(u.returning.as_ref(), u.output.as_ref());
        self.pop();
    }

    fn delete(&mut self, d: &Delete) {
        self.frames.clear();
        self.push();
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
        for twj in from {
            self.table_with_joins(twj);
        }
        // DELETE t FROM t JOIN … (MySQL) names its targets first; otherwise the first
        // relation is the target.
        let target = match d.tables.first() {
            Some(t) => {
                let q = self.name(t);
                self.find_source(&q)
            }
            None => self.frames.last().and_then(|f| f.sources.first().cloned()),
        };
        if let Some(t) = target {
            self.view_target(&t, "DELETE from");
        }
        for twj in d.using.iter().flatten() {
            self.table_with_joins(twj);
        }
        if let Some(x) = &d.selection {
            self.expr(x);
        }
        self.order_exprs_plain(&d.order_by);
        self.returning(d.returning.as_ref(), d.output.as_ref());
        self.pop();
    }

    fn merge(&mut self, m: &Merge) {
        self.frames.clear();
        self.push();
        self.table_factor(&m.table);
        let target = self.frames.last().and_then(|f| f.sources.first().cloned());
        if let Some(t) = &target {
            self.view_target(t, "MERGE into");
        }
        self.table_factor(&m.source);
        self.expr(&m.on);
        for clause in &m.clauses {
            if let Some(x) = &clause.predicate {
                self.expr(x);
            }
            match &clause.action {
                MergeAction::Insert(ie) => {
                    if let Some(target) = &target {
                        for c in &ie.columns {
                            if let Some(ObjectNamePart::Identifier(id)) = c.0.last() {
                                let col = self.ident(id);
                                self.target_column(target, &col);
                            }
                        }
                    }
                    if let MergeInsertKind::Values(v) = &ie.kind {
                        for x in v.rows.iter().flat_map(|r| r.iter()) {
                            self.expr(x);
                        }
                    }
                    if let Some(x) = &ie.insert_predicate {
                        self.expr(x);
                    }
                }
                MergeAction::Update(ue) => {
                    let MergeUpdateKind::Set(assignments) = &ue.kind else {
                        continue;
                    };
                    if let Some(target) = &target {
                        self.assignments(assignments, &target.clone());
                    }
                    for x in [&ue.update_predicate, &ue.delete_predicate]
                        .into_iter()
                        .flatten()
                    {
                        self.expr(x);
                    }
                }
                _ => {}
            }
        }
        self.returning(None, m.output.as_ref());
        self.pop();
    }
}
