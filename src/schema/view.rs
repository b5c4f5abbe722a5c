//! Views in the schema model: a view's columns resolved against the model when it is
//! created, and where a write through it goes.
//!
//! Owns turning a [`ViewDef`] (read from the view's query) into a [`View`]: `*` and `t.*`
//! expanded to the columns the relations have at that moment (as PostgreSQL and MySQL do),
//! aliases followed, and, for a simple view over one table (what PostgreSQL calls
//! automatically updatable, MySQL a MERGE view), the base table and the column each view
//! column shows. Knows nothing of queries or releases.

use super::Schema;
use crate::classify::op::Name;
use crate::classify::view::{ViewDef, ViewFrom, ViewItem};

/// A view as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub name: Name,
    pub columns: Vec<ViewColumn>,
    /// Columns are not all known (an unresolvable `*`, an unnamed expression, a definition
    /// the model could not read): every column is assumed present.
    pub columns_unknown: bool,
    /// Where writes through the view go.
    pub writes: ViewWrites,
    /// The relations (tables or views) it reads.
    pub reads: Vec<Name>,
    /// The base columns its select list shows: (relation, column).
    pub uses: Vec<(Name, Name)>,
    pub materialized: bool,
}

/// A column of a view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewColumn {
    pub name: Name,
    /// The column of the base table it shows, when a write through the view can set it
    /// (`None`: an expression).
    pub base: Option<Name>,
}

/// Whether, and where, a write through a view goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewWrites {
    /// A simple view: writes go to this table.
    Into(Name),
    /// Writes are refused, for this reason.
    Refused(String),
    /// Not known (the definition was not read, or names a relation the model lacks).
    Unknown,
}

impl View {
    pub fn column(&self, name: &Name) -> Option<&ViewColumn> {
        self.columns.iter().find(|c| &c.name == name)
    }

    /// A view whose definition the model could not read.
    pub fn opaque(name: Name, materialized: bool) -> View {
        View {
            name,
            columns: Vec::new(),
            columns_unknown: true,
            writes: if materialized {
                ViewWrites::Refused("a materialized view".to_owned())
            } else {
                ViewWrites::Unknown
            },
            reads: Vec::new(),
            uses: Vec::new(),
            materialized,
        }
    }

    /// Resolves a definition against the schema as it is now.
    pub fn resolve(name: Name, def: &ViewDef, schema: &Schema) -> View {
        let mut view = View {
            name,
            columns: Vec::new(),
            columns_unknown: false,
            writes: ViewWrites::Unknown,
            reads: def.from.iter().map(|f| f.relation.clone()).collect(),
            uses: Vec::new(),
            materialized: def.materialized,
        };
        let from: Vec<(&ViewFrom, Option<Relation>)> = def
            .from
            .iter()
            .map(|f| (f, Relation::of(schema, &f.relation)))
            .collect();
        // Writes go through only a simple view over one table (or over a simple view).
        let single = match (&def.not_updatable, from.as_slice()) {
            (Some(_), _) => None,
            (None, [(_, Some(r))]) if !def.opaque_from => Some(r),
            _ => None,
        };
        for item in &def.items {
            match item {
                ViewItem::Star(qualifier) => {
                    let picked: Vec<&(&ViewFrom, Option<Relation>)> = from
                        .iter()
                        .filter(|(f, _)| qualifier.as_ref().is_none_or(|q| f.named(q)))
                        .collect();
                    let unresolved = picked.is_empty()
                        || (qualifier.is_none() && def.opaque_from)
                        || picked
                            .iter()
                            .any(|(_, r)| r.as_ref().is_none_or(|r| r.columns_unknown));
                    if unresolved {
                        view.columns_unknown = true;
                        continue;
                    }
                    for (f, r) in picked {
                        let Some(r) = r else { continue };
                        for (c, base) in &r.columns {
                            view.uses.push((f.relation.clone(), c.clone()));
                            view.columns.push(ViewColumn {
                                name: c.clone(),
                                base: single.and(base.clone()),
                            });
                        }
                    }
                }
                ViewItem::Column {
                    qualifier,
                    column,
                    output,
                } => {
                    let source = match qualifier {
                        Some(q) => from.iter().find(|(f, _)| f.named(q)),
                        None => from.iter().find(|(_, r)| {
                            r.as_ref()
                                .is_some_and(|r| r.columns.iter().any(|(c, _)| c == column))
                        }),
                    };
                    let base = source
                        .and_then(|(f, r)| {
                            let r = r.as_ref()?;
                            view.uses.push((f.relation.clone(), column.clone()));
                            r.columns.iter().find(|(c, _)| c == column)
                        })
                        .and_then(|(_, b)| b.clone());
                    view.columns.push(ViewColumn {
                        name: output.clone(),
                        base: single.and(base),
                    });
                }
                ViewItem::Expr(output) => view.columns.push(ViewColumn {
                    name: output.clone(),
                    base: None,
                }),
                ViewItem::Unknown => view.columns_unknown = true,
            }
        }
        // `CREATE VIEW v (a, b) AS …` renames the first columns in order.
        if !def.columns.is_empty() {
            if view.columns_unknown {
                // The listed names are the view's first columns; what follows is unknown.
                view.columns = def
                    .columns
                    .iter()
                    .map(|n| ViewColumn {
                        name: n.clone(),
                        base: None,
                    })
                    .collect();
            } else {
                for (c, n) in view.columns.iter_mut().zip(&def.columns) {
                    c.name = n.clone();
                }
            }
        }
        view.writes = if def.materialized {
            ViewWrites::Refused("a materialized view".to_owned())
        } else if let Some(reason) = &def.not_updatable {
            ViewWrites::Refused(reason.clone())
        } else if def.opaque_from && def.from.is_empty() {
            ViewWrites::Refused("a subquery or function in FROM".to_owned())
        } else {
            match single {
                Some(r) => r.writes.clone(),
                None => ViewWrites::Unknown,
            }
        };
        view
    }
}

/// A relation a view reads, as the view sees it: its columns (each with the base-table
/// column a write to it sets) and where writes go.
struct Relation {
    columns: Vec<(Name, Option<Name>)>,
    columns_unknown: bool,
    writes: ViewWrites,
}

impl Relation {
    fn of(schema: &Schema, name: &Name) -> Option<Relation> {
        if let Some(t) = schema.table(name) {
            return Some(Relation {
                columns: t
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), (!c.generated).then(|| c.name.clone())))
                    .collect(),
                columns_unknown: t.columns_unknown,
                writes: ViewWrites::Into(name.clone()),
            });
        }
        let v = schema.view(name)?;
        Some(Relation {
            columns: v
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.base.clone()))
                .collect(),
            columns_unknown: v.columns_unknown,
            writes: match &v.writes {
                ViewWrites::Refused(r) => ViewWrites::Refused(format!(
                    "it reads the view `{name}`, which takes no writes ({r})"
                )),
                w => w.clone(),
            },
        })
    }
}
