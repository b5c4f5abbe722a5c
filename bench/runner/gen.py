#!/usr/bin/env python3
"""Deterministic generator for the runner benchmark (bench/runner/run.sh).

    gen.py catalog  OUT_DIR N [--dialect postgres|mysql] [--seed 7]
    gen.py backfill OUT_DIR --batch-size B [--dialect postgres|mysql]

`catalog` writes OUT_DIR/bellows.toml, OUT_DIR/migrations/NNNN_name/{up.sql,down.sql}
(N migrations in the native layout) and OUT_DIR/all.sql: every up.sql concatenated in
migration order, byte for byte, for `psql -f` / `mariadb <`, and OUT_DIR/all_tx.sql: the
same with each migration wrapped in BEGIN; … COMMIT; (one commit per migration, as bellows).

Every migration is small, lint-clean and runs in one transaction on PostgreSQL (no
CONCURRENTLY, no no-transaction marker). The mix, drawn from the seed:

  ~35%  create a table (5 columns, bigint identity key), an index on it, a table comment
  ~30%  add a nullable column to an earlier table
  ~10%  add two nullable columns to an earlier table (two ALTER TABLE statements)
  ~10%  comment on an earlier table's column
  ~10%  create a view over an earlier table
   ~5%  create a small lookup table with a unique index and comment on its column

Migration 1 always creates a table, so the others have one to work on. On MySQL/MariaDB the
same shapes are written in MySQL syntax (AUTO_INCREMENT, `ALTER TABLE … COMMENT`, column
comments through `ALTER TABLE … MODIFY` are left out: a comment-only migration becomes a
table comment).

`backfill` writes OUT_DIR/bellows.toml and one migration, 0001_backfill_t_b, with
`phase = "backfill"` and `[backfill] table = "t", key = "id", batch_size = B`; its up.sql is
`UPDATE t SET b = a WHERE id >= :batch_start AND id < :batch_end`. The table `t` itself is
created by run.sh (it is not part of the catalog).

Same arguments give the same bytes.
"""
import argparse
import os
import random
import shutil


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write(text)


WORDS = ["order", "invoice", "customer", "shipment", "product", "coupon", "payment",
         "review", "session", "audit", "refund", "address", "team", "plan", "ticket"]
COL_TYPES_PG = ["text", "integer", "bigint", "boolean", "timestamptz", "numeric(12,2)", "jsonb", "date"]
COL_TYPES_MY = ["VARCHAR(255)", "INT", "BIGINT", "TINYINT(1)", "DATETIME(6)", "DECIMAL(12,2)", "JSON", "DATE"]


def config(dialect):
    if dialect == "postgres":
        head = 'dialect = "postgres"\nengine-version = "15"\n'
    else:
        head = 'dialect = "mysql"\nengine-version = "mariadb-10.11"\n'
    return (head + 'migrations = "migrations"\n\n'
            "[runner]\n"
            "require-proof = false\n"
            'lock-timeout = "2s"\n')


def catalog(out, n, dialect, seed):
    rng = random.Random(seed)
    pg = dialect == "postgres"
    if os.path.exists(out):
        shutil.rmtree(out)
    tables = []          # names of tables created so far
    all_up = []
    width = max(4, len(str(n)))
    for i in range(1, n + 1):
        r = rng.random() if i > 1 else 0.0
        word = rng.choice(WORDS)
        if r < 0.35:
            t = "%s_%04d" % (word, i)
            tables.append(t)
            name = "create_" + t
            if pg:
                up = ("CREATE TABLE %s (\n"
                      "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                      "    name text NOT NULL,\n"
                      "    status text NOT NULL DEFAULT 'new',\n"
                      "    amount numeric(12,2),\n"
                      "    created_at timestamptz NOT NULL DEFAULT now()\n"
                      ");\n\n"
                      "CREATE INDEX %s_created_at_idx ON %s (created_at);\n\n"
                      "COMMENT ON TABLE %s IS 'one row per %s';\n") % (t, t, t, t, word)
            else:
                up = ("CREATE TABLE %s (\n"
                      "    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
                      "    name VARCHAR(255) NOT NULL,\n"
                      "    status VARCHAR(32) NOT NULL DEFAULT 'new',\n"
                      "    amount DECIMAL(12,2) NULL,\n"
                      "    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)\n"
                      ") ENGINE=InnoDB;\n\n"
                      "CREATE INDEX %s_created_at_idx ON %s (created_at);\n\n"
                      "ALTER TABLE %s COMMENT = 'one row per %s';\n") % (t, t, t, t, word)
            down = "DROP TABLE %s;\n" % t
        elif r < 0.75:
            t = rng.choice(tables)
            cols = ["c%04d" % i] if r < 0.65 else ["c%04d_a" % i, "c%04d_b" % i]
            name = "add_%s_to_%s" % (cols[0], t)
            ups, downs = [], []
            for c in cols:
                k = rng.randrange(len(COL_TYPES_PG))
                if pg:
                    ups.append("ALTER TABLE %s ADD COLUMN %s %s;\n" % (t, c, COL_TYPES_PG[k]))
                else:
                    ups.append("ALTER TABLE %s ADD COLUMN %s %s NULL;\n" % (t, c, COL_TYPES_MY[k]))
                downs.append("ALTER TABLE %s DROP COLUMN %s;\n" % (t, c))
            up = "-- %s: %s\n" % (word, ", ".join(cols)) + "\n".join(ups)
            down = "".join(reversed(downs))
        elif r < 0.85:
            t = rng.choice(tables)
            name = "comment_" + t
            if pg:
                up = "COMMENT ON COLUMN %s.name IS 'display name of the %s, migration %d';\n" % (t, word, i)
                down = "COMMENT ON COLUMN %s.name IS NULL;\n" % t
            else:
                up = "ALTER TABLE %s COMMENT = '%s table, migration %d';\n" % (t, word, i)
                down = "ALTER TABLE %s COMMENT = '';\n" % t
        elif r < 0.95:
            t = rng.choice(tables)
            v = "%s_v%04d" % (word, i)
            name = "view_" + v
            up = ("CREATE VIEW %s AS\n"
                  "SELECT id, name, status, created_at\n"
                  "  FROM %s\n"
                  " WHERE status <> 'deleted';\n") % (v, t)
            down = "DROP VIEW %s;\n" % v
        else:
            t = "%s_kind_%04d" % (word, i)
            name = "create_" + t
            if pg:
                up = ("CREATE TABLE %s (\n"
                      "    id smallint PRIMARY KEY,\n"
                      "    code text NOT NULL,\n"
                      "    label text\n"
                      ");\n\n"
                      "CREATE UNIQUE INDEX %s_code_key ON %s (code);\n\n"
                      "COMMENT ON COLUMN %s.code IS 'stable machine name';\n") % (t, t, t, t)
            else:
                up = ("CREATE TABLE %s (\n"
                      "    id SMALLINT NOT NULL PRIMARY KEY,\n"
                      "    code VARCHAR(64) NOT NULL,\n"
                      "    label VARCHAR(255) NULL\n"
                      ") ENGINE=InnoDB;\n\n"
                      "CREATE UNIQUE INDEX %s_code_key ON %s (code);\n") % (t, t, t)
            down = "DROP TABLE %s;\n" % t
        mid = "%0*d_%s" % (width, i, name)
        d = os.path.join(out, "migrations", mid)
        write(os.path.join(d, "up.sql"), up)
        write(os.path.join(d, "down.sql"), down)
        all_up.append(up)
    write(os.path.join(out, "bellows.toml"), config(dialect))
    # Each up.sql ends with ";\n", so plain concatenation is valid SQL for both clients.
    write(os.path.join(out, "all.sql"), "".join(all_up))
    # The same, each migration in its own transaction: the commits bellows makes (one per
    # migration), without its history rows.
    write(os.path.join(out, "all_tx.sql"), "".join("BEGIN;\n%sCOMMIT;\n" % u for u in all_up))


def backfill(out, batch_size, dialect):
    if os.path.exists(out):
        shutil.rmtree(out)
    d = os.path.join(out, "migrations", "0001_backfill_t_b")
    write(os.path.join(d, "migration.toml"),
          'phase = "backfill"\n\n[backfill]\ntable = "t"\nkey = "id"\nbatch_size = %d\n' % batch_size)
    write(os.path.join(d, "up.sql"),
          "UPDATE t SET b = a WHERE id >= :batch_start AND id < :batch_end;\n")
    write(os.path.join(d, "down.sql"), "UPDATE t SET b = NULL;\n")
    write(os.path.join(out, "bellows.toml"), config(dialect))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("catalog")
    c.add_argument("out")
    c.add_argument("n", type=int)
    c.add_argument("--dialect", choices=["postgres", "mysql"], default="postgres")
    c.add_argument("--seed", type=int, default=7)
    b = sub.add_parser("backfill")
    b.add_argument("out")
    b.add_argument("--batch-size", type=int, required=True)
    b.add_argument("--dialect", choices=["postgres", "mysql"], default="postgres")
    a = ap.parse_args()
    if a.cmd == "catalog":
        catalog(a.out, a.n, a.dialect, a.seed)
    else:
        backfill(a.out, a.batch_size, a.dialect)


if __name__ == "__main__":
    main()
