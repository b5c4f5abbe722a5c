//! A view's definition as the schema model needs it: the select list, the relations it
//! reads, and whether it can take writes.
//!
//! Owns reading a `CREATE VIEW` / `ALTER VIEW … AS` query syntactically. Resolving `*` and
//! the columns against the tables is the schema model's job (at the moment the view is
//! created); nothing here looks at a schema.

use super::op::Name;
use crate::dialect::Dialect;
use sqlparser::ast::{
    CreateViewAlgorithm, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident,
    ObjectNamePart, Query, Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    TableFactor,
};

/// What a view is made of, read from its query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewDef {
    /// The column names written after the view's name (`CREATE VIEW v (a, b) AS …`).
    pub columns: Vec<Name>,
    /// The select list, in order (of the first branch of a `UNION`).
    pub items: Vec<ViewItem>,
    /// The relations its FROM clause names (tables or views), in order.
    pub from: Vec<ViewFrom>,
    /// The FROM clause also holds something else (a subquery, a function, a CTE), whose
    /// columns are not known.
    pub opaque_from: bool,
    /// Why writes through the view are refused, when its query tells: an aggregate,
    /// `DISTINCT`, `GROUP BY`, a `UNION`, `LIMIT`, a join … (`None`: it is simple).
    pub not_updatable: Option<String>,
    /// `CREATE MATERIALIZED VIEW`: read-only.
    pub materialized: bool,
}

/// One item of a view's select list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewItem {
    /// `*` (no qualifier) or `q.*`.
    Star(Option<Name>),
    /// A column of a FROM relation, shown as `output`.
    Column {
        qualifier: Option<Name>,
        column: Name,
        output: Name,
    },
    /// An expression whose output name is known (an alias); it takes no writes.
    Expr(Name),
    /// An expression whose output name is not known.
    Unknown,
}

/// A relation a view's FROM clause names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFrom {
    pub relation: Name,
    pub alias: Option<Name>,
}

impl ViewFrom {
    /// Does `qualifier` name this relation (its alias, or without one its name)?
    pub fn named(&self, qualifier: &Name) -> bool {
        match &self.alias {
            Some(a) => a == qualifier,
            None => {
                &self.relation == qualifier || self.relation.unqualified() == qualifier.as_str()
            }
        }
    }
}

/// What an `ALTER VIEW` changes that the model follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewChange {
    /// `ALTER VIEW v [(cols)] AS query` (MySQL): a new definition.
    Define(ViewDef),
    /// `ALTER VIEW v RENAME TO w`.
    Rename(Name),
    /// `ALTER VIEW v RENAME [COLUMN] a TO b`.
    RenameColumn { from: Name, to: Name },
}

/// Aggregate functions: a view that uses one in its select list is not updatable.
const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "group_concat",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "json_arrayagg",
    "json_objectagg",
    "bool_and",
    "bool_or",
    "every",
    "bit_and",
    "bit_or",
    "bit_xor",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "std",
    "variance",
    "var_pop",
    "var_samp",
    "xmlagg",
    "percentile_cont",
    "percentile_disc",
    "mode",
];

/// Set-returning functions: PostgreSQL refuses writes through a view that calls one in
/// its select list.
const SET_RETURNING: &[&str] = &[
    "generate_series",
    "unnest",
    "json_array_elements",
    "jsonb_array_elements",
    "json_each",
    "jsonb_each",
    "regexp_matches",
    "string_to_table",
];

/// Reads a view's definition. `columns` are the names after the view's name;
/// `algorithm` is MySQL's `ALGORITHM =` (TEMPTABLE makes a view read-only).
pub fn view_def(
    columns: &[Ident],
    query: &Query,
    algorithm: Option<&CreateViewAlgorithm>,
    materialized: bool,
    dialect: Dialect,
) -> ViewDef {
    let r = Reader { dialect };
    let mut def = ViewDef {
        columns: columns.iter().map(|c| r.ident(c)).collect(),
        materialized,
        ..ViewDef::default()
    };
    let mut refused: Vec<&str> = Vec::new();
    if query.with.is_some() {
        refused.push("a WITH clause");
    }
    if query.limit_clause.is_some() || query.fetch.is_some() {
        refused.push("LIMIT");
    }
    if matches!(algorithm, Some(CreateViewAlgorithm::TempTable)) {
        refused.push("ALGORITHM=TEMPTABLE");
    }
    let ctes: Vec<Name> = query
        .with
        .iter()
        .flat_map(|w| w.cte_tables.iter().map(|c| r.ident(&c.alias.name)))
        .collect();
    let mut body = &*query.body;
    loop {
        match body {
            SetExpr::Select(s) => {
                r.select(s, &ctes, &mut def, &mut refused);
                break;
            }
            SetExpr::Query(q) => {
                // A parenthesised query: its own clauses count too.
                if q.limit_clause.is_some() || q.with.is_some() {
                    refused.push("LIMIT");
                }
                body = &q.body;
            }
            SetExpr::SetOperation { left, .. } => {
                refused.push("UNION / INTERSECT / EXCEPT");
                body = left;
            }
            _ => {
                def.items.push(ViewItem::Unknown);
                def.opaque_from = true;
                refused.push("no table");
                break;
            }
        }
    }
    refused.dedup();
    if !refused.is_empty() {
        def.not_updatable = Some(refused.join(", "));
    }
    def
}

struct Reader {
    dialect: Dialect,
}

impl Reader {
    fn ident(&self, id: &Ident) -> Name {
        crate::classify::ast::ident_name(id, self.dialect)
    }

    fn idents(&self, ids: &[Ident]) -> Name {
        crate::classify::ast::idents_name(ids, self.dialect)
    }

    fn select(&self, s: &Select, ctes: &[Name], def: &mut ViewDef, refused: &mut Vec<&str>) {
        if s.distinct.is_some() {
            refused.push("DISTINCT");
        }
        let grouped = match &s.group_by {
            GroupByExpr::All(_) => true,
            GroupByExpr::Expressions(exprs, _) => !exprs.is_empty(),
        };
        if grouped {
            refused.push("GROUP BY");
        }
        if s.having.is_some() {
            refused.push("HAVING");
        }
        for twj in &s.from {
            self.factor(&twj.relation, ctes, def);
            for join in &twj.joins {
                self.factor(&join.relation, ctes, def);
            }
        }
        if def.from.len() + usize::from(def.opaque_from) > 1 {
            refused.push("more than one table");
        } else if def.from.is_empty() {
            refused.push(if def.opaque_from {
                "a subquery or function in FROM"
            } else {
                "no table"
            });
        }
        for item in &s.projection {
            let (item, expr) = self.item(item);
            if let Some(e) = expr {
                match self.calls(e) {
                    Some(Call::Aggregate) => refused.push("an aggregate"),
                    Some(Call::Window) => refused.push("a window function"),
                    Some(Call::SetReturning) => refused.push("a set-returning function"),
                    None => {}
                }
            }
            def.items.push(item);
        }
    }

    fn factor(&self, tf: &TableFactor, ctes: &[Name], def: &mut ViewDef) {
        match tf {
            TableFactor::Table {
                name, alias, args, ..
            } if args.is_none() => {
                let relation = crate::classify::ast::object_name(name, self.dialect);
                if name.0.len() == 1 && ctes.contains(&relation) {
                    def.opaque_from = true;
                    return;
                }
                def.from.push(ViewFrom {
                    relation,
                    alias: alias.as_ref().map(|a| self.ident(&a.name)),
                });
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => {
                self.factor(&table_with_joins.relation, ctes, def);
                for join in &table_with_joins.joins {
                    self.factor(&join.relation, ctes, def);
                }
            }
            _ => def.opaque_from = true,
        }
    }

    /// The item, and the expression to look into for aggregates.
    fn item<'e>(&self, item: &'e SelectItem) -> (ViewItem, Option<&'e Expr>) {
        match item {
            SelectItem::Wildcard(_) => (ViewItem::Star(None), None),
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(o), _) => (
                ViewItem::Star(Some(crate::classify::ast::object_name(o, self.dialect))),
                None,
            ),
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::Expr(e), _) => {
                (ViewItem::Unknown, Some(e))
            }
            SelectItem::UnnamedExpr(e) => (self.unnamed(e), Some(e)),
            SelectItem::ExprWithAlias { expr, alias } => {
                let output = self.ident(alias);
                let item = match self.column_of(expr) {
                    Some((qualifier, column)) => ViewItem::Column {
                        qualifier,
                        column,
                        output,
                    },
                    None => ViewItem::Expr(output),
                };
                (item, Some(expr))
            }
            SelectItem::ExprWithAliases { expr, .. } => (ViewItem::Unknown, Some(expr)),
        }
    }

    /// A plain column reference: (qualifier, column).
    fn column_of(&self, e: &Expr) -> Option<(Option<Name>, Name)> {
        match e {
            Expr::Identifier(id) => Some((None, self.ident(id))),
            Expr::CompoundIdentifier(ids) if (2..=3).contains(&ids.len()) => Some((
                Some(self.idents(&ids[..ids.len() - 1])),
                self.ident(&ids[ids.len() - 1]),
            )),
            Expr::Nested(x) => self.column_of(x),
            _ => None,
        }
    }

    /// An expression without an alias: a column keeps its name; elsewhere the engines
    /// name it (PostgreSQL after a function or a cast column; MySQL after the text),
    /// which is only followed for PostgreSQL's simple cases.
    fn unnamed(&self, e: &Expr) -> ViewItem {
        if let Some((qualifier, column)) = self.column_of(e) {
            return ViewItem::Column {
                qualifier,
                output: column.clone(),
                column,
            };
        }
        if self.dialect != Dialect::Postgres {
            return ViewItem::Unknown;
        }
        match e {
            Expr::Cast { expr, .. } => match self.column_of(expr) {
                Some((_, column)) => ViewItem::Expr(column),
                None => ViewItem::Unknown,
            },
            Expr::Function(f) => match f.name.0.last() {
                Some(ObjectNamePart::Identifier(id)) => ViewItem::Expr(self.ident(id)),
                _ => ViewItem::Unknown,
            },
            _ => ViewItem::Unknown,
        }
    }

    /// The first aggregate, window or set-returning call in an expression (the common
    /// shapes: functions, operators, casts, CASE).
    fn calls(&self, e: &Expr) -> Option<Call> {
        match e {
            Expr::Function(f) => {
                if f.over.is_some() {
                    return Some(Call::Window);
                }
                let name = match f.name.0.last() {
                    Some(ObjectNamePart::Identifier(id)) => id.value.to_ascii_lowercase(),
                    _ => String::new(),
                };
                if AGGREGATES.contains(&name.as_str()) {
                    return Some(Call::Aggregate);
                }
                if SET_RETURNING.contains(&name.as_str()) {
                    return Some(Call::SetReturning);
                }
                match &f.args {
                    FunctionArguments::List(list) => list.args.iter().find_map(|a| match a {
                        FunctionArg::Named { arg, .. }
                        | FunctionArg::ExprNamed { arg, .. }
                        | FunctionArg::Unnamed(arg) => match arg {
                            FunctionArgExpr::Expr(x) => self.calls(x),
                            _ => None,
                        },
                    }),
                    _ => None,
                }
            }
            Expr::BinaryOp { left, right, .. } => self.calls(left).or_else(|| self.calls(right)),
            Expr::UnaryOp { expr, .. }
            | Expr::Nested(expr)
            | Expr::Cast { expr, .. }
            | Expr::IsNull(expr)
            | Expr::IsNotNull(expr) => self.calls(expr),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => operand
                .iter()
                .map(|x| &**x)
                .chain(conditions.iter().flat_map(|c| [&c.condition, &c.result]))
                .chain(else_result.iter().map(|x| &**x))
                .find_map(|x| self.calls(x)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Aggregate,
    Window,
    SetReturning,
}
