#!/usr/bin/env bash
# bellows fleet benchmark: `migrate apply --targets` across COUNT (default 200) small
# PostgreSQL databases.
#
# Builds bellows (release), creates databases bellows_fleet_bench_0001… on the server,
# writes a project of 5 small migrations (`[runner] require-proof = false`) and a
# targets.toml (canary 1, waves 10% / 50% / 100%, concurrency CONCURRENCY, default 8) into
# bench/out/fleet, then times with /usr/bin/time -v (wall clock and peak resident memory):
#   1. the rollout itself (every target applies 5 migrations)
#   2. the same command again (every target: nothing to do)
#   3. `migrate status --targets` across the fleet
# and drops the databases (also on failure or Ctrl-C). Results:
# bench/out/results/fleet.md, fleet-*.time (the /usr/bin/time -v reports), fleet-machine.txt.
# See docs/benchmarks.md.
#
# Environment: COUNT (default 200), CONCURRENCY (default 8), PGHOST (127.0.0.1), PGPORT
# (5432), PGUSER (postgres; the server must let it in without a password, or set
# PGPASSWORD), SKIP_BUILD=1 uses the existing binary.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/bench/out/fleet"
RESULTS="$ROOT/bench/out/results"
COUNT=${COUNT:-200}
CONCURRENCY=${CONCURRENCY:-8}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
PREFIX=bellows_fleet_bench_
cd "$ROOT"
say() { printf '\n== %s\n' "$*" >&2; }
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres "$@"; }

rm -rf "$OUT"
mkdir -p "$OUT" "$RESULTS"

say "machine"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpus: $(nproc)  ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "rustc: $(rustc --version)"
  echo "server: $(psql_admin -Atc 'SELECT version()')"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null)$([ -n "$(git status --porcelain -uno 2>/dev/null)" ] && echo ' (dirty tree)')"
} | tee "$RESULTS/fleet-machine.txt" >&2

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "building bellows (release)"
  cargo build --release 2>&1 | tail -n 2 >&2
fi
BELLOWS="$ROOT/target/release/bellows"

names() { for i in $(seq 1 "$COUNT"); do printf '%s%04d\n' "$PREFIX" "$i"; done; }

drop_all() {
  say "dropping the $COUNT databases"
  names | sed 's/.*/DROP DATABASE IF EXISTS & WITH (FORCE);/' | psql_admin >/dev/null || true
}
trap drop_all EXIT

say "creating $COUNT databases"
drop_all
started=$(date +%s.%N)
names | sed 's/.*/CREATE DATABASE &;/' | psql_admin >/dev/null
echo "created in $(echo "$(date +%s.%N) - $started" | bc) s" >&2

say "writing the project"
cat > "$OUT/bellows.toml" <<'EOF'
dialect = "postgres"

[runner]
require-proof = false
EOF
m() { mkdir -p "$OUT/migrations/$1"; printf '%s\n' "$2" > "$OUT/migrations/$1/up.sql"; printf '%s\n' "$3" > "$OUT/migrations/$1/down.sql"; }
m 0001_create_accounts \
  "CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());" \
  "DROP TABLE accounts;"
m 0002_create_orders \
  "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), total numeric(12,2) NOT NULL DEFAULT 0);
CREATE INDEX orders_account_id_idx ON orders (account_id);" \
  "DROP TABLE orders;"
m 0003_add_accounts_name \
  "ALTER TABLE accounts ADD COLUMN name text;" \
  "ALTER TABLE accounts DROP COLUMN name;"
m 0004_create_order_notes \
  "CREATE TABLE order_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id), body text NOT NULL);
COMMENT ON TABLE order_notes IS 'free-text notes on an order';" \
  "DROP TABLE order_notes;"
m 0005_create_account_totals \
  "CREATE VIEW account_totals AS SELECT account_id, sum(total) AS total FROM orders GROUP BY account_id;" \
  "DROP VIEW account_totals;"

{
  echo '[strategy]'
  echo 'canary = 1'
  echo 'waves = ["10%", "50%", "100%"]'
  echo "concurrency = $CONCURRENCY"
  for name in $(names); do
    echo
    echo '[[target]]'
    echo "name = \"$name\""
    echo "url = \"postgres://$PGUSER@$PGHOST:$PGPORT/$name\""
    echo "labels = { bench = \"fleet\" }"
  done
} > "$OUT/targets.toml"

SUMMARY="$RESULTS/fleet.md"
{
  echo "# bellows fleet benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "$COUNT PostgreSQL databases, 5 migrations, canary 1, waves 10% / 50% / 100%, concurrency $CONCURRENCY; /usr/bin/time -v, one run each."
  echo
  echo "| run | command | exit | wall (s) | peak RSS (MiB) | per target (ms) |"
  echo "|---|---|---:|---:|---:|---:|"
} > "$SUMMARY"

measure() {
  local tag=$1; shift
  local file=${tag%% *}
  say "$tag: $*"
  set +e
  (cd "$OUT" && /usr/bin/time -v -o "$RESULTS/fleet-$file.time" "$BELLOWS" "$@" >"$RESULTS/fleet-$file.out" 2>"$RESULTS/fleet-$file.err")
  local rc=$?
  set -e
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$RESULTS/fleet-$file.time" |
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RESULTS/fleet-$file.time")
  tail -n 3 "$RESULTS/fleet-$file.out" >&2
  printf '| %s | `bellows %s` | %s | %.2f | %.1f | %.1f |\n' "$tag" "$*" "$rc" "$wall" "$(echo "$rss / 1024" | bc -l)" \
    "$(echo "$wall * 1000 / $COUNT" | bc -l)" >> "$SUMMARY"
}

measure "rollout" migrate apply --targets targets.toml
measure "again (nothing to do)" migrate apply --targets targets.toml
measure "status" migrate status --targets targets.toml

say "checking every database"
applied=0
for name in $(names); do
  n=$(psql -X -At -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$name" -c "SELECT count(*) FROM bellows_history WHERE success")
  [ "$n" = 5 ] && applied=$((applied + 1))
done
echo "databases with all 5 migrations applied: $applied / $COUNT" | tee -a "$SUMMARY" >&2

cat "$SUMMARY"
