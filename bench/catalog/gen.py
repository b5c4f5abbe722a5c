#!/usr/bin/env python3
"""Deterministic generator of a bellows catalog benchmark project.

    gen.py OUT_DIR N [--releases 20] [--queries 500] [--seed 7]

Writes OUT_DIR/bellows.toml (postgres, 20 [[release]]s spread along the history, [deploy]
live = the last 3), OUT_DIR/migrations/<id>/{up.sql,down.sql,migration.toml} (N migrations
in the native layout) and OUT_DIR/app/queries/<version>/*.sql (QUERIES queries per release,
written against the schema state the release requires).

The history: every fifth migration creates a table (N/5 tables, each with a foreign key to
an earlier one); the others add a nullable column, create an index CONCURRENTLY
(`-- bellows: no-transaction`), backfill a column in batches, or drop a column (contract).
A column that is dropped at migration k is "deprecated" from migration k - N/10 on: releases
that require a state at or after that point no longer read it, so only earlier releases do.
Same N and seed give the same bytes.
"""
import argparse
import os
import random
import shutil

LOCK = "SET lock_timeout = '2s';\n\n"


class Col:
    def __init__(self, table, name, typ, created, base):
        self.table, self.name, self.typ = table, name, typ
        self.created, self.base = created, base
        self.dropped = None      # migration index that drops it
        self.deprecated = None   # from this state on, releases do not read it


class Table:
    def __init__(self, name, created, parent):
        self.name, self.created, self.parent = name, created, parent
        self.cols = []


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--releases", type=int, default=20)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    n, rng = a.n, random.Random(a.seed)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    mig_dir = os.path.join(a.out, "migrations")
    gap = max(1, n // 10)

    tables, cols = [], []
    ids = []
    col_counter = 0
    idx_counter = 0
    owners = ["platform-team", "billing-team", "identity-team", "search-team", "growth-team"]
    typs = [("text", "'x'"), ("bigint", "0"), ("integer", "0"), ("timestamptz", "now()"),
            ("boolean", "false"), ("numeric(12,2)", "0")]
    backfill_exprs = {"text": "'n/a'", "bigint": "0", "integer": "0",
                      "timestamptz": "created_at", "boolean": "false", "numeric(12,2)": "0"}
    # which migration created each column (for requires)
    col_origin = {}

    def live_cols(i, base=None):
        return [c for c in cols if c.dropped is None and (base is None or c.base == base)]

    for i in range(n):
        kind = None
        if i % 5 == 0:
            kind = "create"
        else:
            r = rng.random()
            added = [c for c in cols if not c.base and c.dropped is None]
            old = [c for c in added if c.created < i - gap]
            if r < 0.08 and old:
                kind = "drop"
            elif r < 0.50 or not added:
                kind = "add"
            elif r < 0.75:
                kind = "index"
            else:
                kind = "backfill"
        owner = owners[i % len(owners)]
        requires = []
        toml_extra = ""
        if kind == "create":
            t = Table("t%04d" % len(tables), i, rng.choice(tables) if tables else None)
            tables.append(t)
            mid = "%05d_create_%s" % (i + 1, t.name)
            base = [("id", "bigint"), ("name", "text"), ("status", "text"), ("created_at", "timestamptz")]
            if t.parent:
                base.insert(1, ("parent_id", "bigint"))
            for nm, ty in base:
                c = Col(t, nm, ty, i, True)
                t.cols.append(c)
                cols.append(c)
            lines = ["    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"]
            if t.parent:
                lines.append("    parent_id  bigint REFERENCES %s (id)" % t.parent.name)
                requires.append(ids[t.parent.created])
            lines += ["    name       text        NOT NULL",
                      "    status     text        NOT NULL DEFAULT 'new'",
                      "    created_at timestamptz NOT NULL DEFAULT now()"]
            up = LOCK + "CREATE TABLE %s (\n%s\n);\n" % (t.name, ",\n".join(lines))
            if t.parent:
                up += "\nCREATE INDEX %s_parent_id_idx ON %s (parent_id);\n" % (t.name, t.name)
            down = LOCK + "DROP TABLE %s;\n" % t.name
            phase, purpose = "expand", "Table %s." % t.name
        elif kind == "add":
            t = rng.choice(tables)
            ty, _ = rng.choice(typs)
            col_counter += 1
            c = Col(t, "c%05d" % col_counter, ty, i, False)
            t.cols.append(c)
            cols.append(c)
            mid = "%05d_add_%s_%s" % (i + 1, t.name, c.name)
            col_origin[id(c)] = mid
            up = LOCK + "ALTER TABLE %s ADD COLUMN %s %s;\n" % (t.name, c.name, ty)
            down = LOCK + "ALTER TABLE %s DROP COLUMN %s;\n" % (t.name, c.name)
            phase, purpose = "expand", "Add %s.%s (nullable)." % (t.name, c.name)
        elif kind == "index":
            c = rng.choice([c for c in cols if not c.base and c.dropped is None])
            idx_counter += 1
            ix = "%s_%s_idx%d" % (c.table.name, c.name, idx_counter)
            mid = "%05d_index_%s_%s" % (i + 1, c.table.name, c.name)
            requires.append(col_origin[id(c)])
            up = ("-- bellows: no-transaction\n" + LOCK +
                  "CREATE INDEX CONCURRENTLY IF NOT EXISTS %s ON %s (%s);\n" % (ix, c.table.name, c.name))
            down = ("-- bellows: no-transaction\n" + LOCK +
                    "DROP INDEX CONCURRENTLY IF EXISTS %s;\n" % ix)
            phase, purpose = "expand", "Index %s.%s." % (c.table.name, c.name)
            toml_extra = "transaction = false\n"
        elif kind == "backfill":
            c = rng.choice([c for c in cols if not c.base and c.dropped is None])
            mid = "%05d_backfill_%s_%s" % (i + 1, c.table.name, c.name)
            requires.append(col_origin[id(c)])
            expr = backfill_exprs[c.typ]
            up = ("UPDATE %s\n   SET %s = %s\n WHERE id >= :batch_start\n   AND id <  :batch_end\n"
                  "   AND %s IS NULL;\n" % (c.table.name, c.name, expr, c.name))
            down = ("UPDATE %s\n   SET %s = NULL\n WHERE id >= :batch_start\n   AND id <  :batch_end;\n"
                    % (c.table.name, c.name))
            phase, purpose = "backfill", "Fill %s.%s for existing rows." % (c.table.name, c.name)
            toml_extra = ("\n[backfill]\ntable = \"%s\"\nkey = \"id\"\nbatch_size = 5000\npause_ms = 50\n"
                          % c.table.name)
        else:  # drop
            added = [c for c in cols if not c.base and c.dropped is None and c.created < i - gap]
            c = rng.choice(added)
            c.dropped, c.deprecated = i, i - gap
            mid = "%05d_drop_%s_%s" % (i + 1, c.table.name, c.name)
            requires.append(col_origin[id(c)])
            up = LOCK + ("-- Only releases older than %d read %s.%s.\n" % (i - gap + 1, c.table.name, c.name) +
                         "ALTER TABLE %s DROP COLUMN %s;\n" % (c.table.name, c.name))
            down = LOCK + "ALTER TABLE %s ADD COLUMN %s %s;\n" % (c.table.name, c.name, c.typ)
            phase, purpose = "contract", "Drop %s.%s, unused since migration %d." % (c.table.name, c.name, i - gap + 1)
        ids.append(mid)
        d = os.path.join(mig_dir, mid)
        write(os.path.join(d, "up.sql"), up)
        write(os.path.join(d, "down.sql"), down)
        toml = 'phase = "%s"\npurpose = "%s"\nowner = "%s"\n' % (phase, purpose, owner)
        if requires:
            toml += "requires = [%s]\n" % ", ".join('"%s"' % r for r in sorted(set(requires)))
        write(os.path.join(d, "migration.toml"), toml + toml_extra)

    # Releases, spread along the history; the last requires the last migration.
    rels = []
    for j in range(a.releases):
        state = (j + 1) * n // a.releases - 1
        rels.append(("1.%d.0" % j, state))
    conf = ['# Generated by bench/catalog/gen.py (N=%d, seed=%d). Do not edit.' % (n, a.seed),
            'dialect = "postgres"', 'engine_version = "16"', 'migrations = "migrations"', ""]
    for v, s in rels:
        conf += ["[[release]]", 'version = "%s"' % v, 'requires = "%s"' % ids[s],
                 'queries = "app/queries/%s"' % v, ""]
    conf += ["[deploy]", "live = [%s]" % ", ".join('"%s"' % v for v, _ in rels[-3:])]
    write(os.path.join(a.out, "bellows.toml"), "\n".join(conf) + "\n")

    per_file = 50
    for v, s in rels:
        ts = [t for t in tables if t.created <= s]
        qs = []
        for q in range(a.queries):
            t = rng.choice(ts)
            tc = [c for c in t.cols if c.created <= s and (c.dropped is None or c.dropped > s)
                  and (c.deprecated is None or c.deprecated > s)]
            extra = [c for c in tc if not c.base]
            pick = lambda k: rng.sample(extra, min(k, len(extra)))
            kind = rng.random()
            name = "-- name: q%03d_%s\n" % (q, t.name)
            if kind < 0.4:
                sel = ["a.id", "a.name"] + ["a.%s" % c.name for c in pick(3)]
                if t.parent is not None and rng.random() < 0.6:
                    p = t.parent
                    pc = [c for c in p.cols if not c.base and c.created <= s
                          and (c.dropped is None or c.dropped > s)
                          and (c.deprecated is None or c.deprecated > s)]
                    sel += ["b.name AS parent_name"] + ["b.%s" % c.name for c in rng.sample(pc, min(2, len(pc)))]
                    sql = ("SELECT %s\nFROM %s AS a\nJOIN %s AS b ON b.id = a.parent_id\n"
                           "WHERE a.status = $1 AND b.created_at > $2\nORDER BY a.created_at DESC\nLIMIT 50;\n"
                           % (", ".join(sel), t.name, p.name))
                else:
                    sql = ("SELECT %s\nFROM %s AS a\nWHERE a.id = $1;\n" % (", ".join(sel), t.name))
            elif kind < 0.6:
                ic = ["name"] + [c.name for c in pick(2)]
                sql = ("INSERT INTO %s (%s) VALUES (%s)\nRETURNING id, created_at;\n"
                       % (t.name, ", ".join(ic), ", ".join("$%d" % (k + 1) for k in range(len(ic)))))
            elif kind < 0.8:
                uc = [c.name for c in pick(2)] or ["status"]
                sets = ", ".join("%s = $%d" % (c, k + 1) for k, c in enumerate(uc))
                sql = "UPDATE %s\n   SET %s\n WHERE id = $%d;\n" % (t.name, sets, len(uc) + 1)
            else:
                sql = "DELETE FROM %s\n WHERE id = $1 AND status = 'archived';\n" % t.name
            qs.append(name + sql)
        for f in range(0, len(qs), per_file):
            write(os.path.join(a.out, "app", "queries", v, "q%02d.sql" % (f // per_file)),
                  "\n".join(qs[f:f + per_file]))


if __name__ == "__main__":
    main()
