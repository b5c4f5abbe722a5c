#!/usr/bin/env bash
# bellows runner benchmark: `bellows migrate apply` against the physical floor.
#
#   bench/runner/run.sh [--quick] [--mysql]
#
# 1. apply: N small migrations (bench/runner/gen.py catalog: CREATE TABLE + index + comment,
#    ADD COLUMN nullable, COMMENT ON COLUMN, CREATE VIEW; every one in a transaction), each
#    variant on a PostgreSQL database created just before it:
#      - bellows migrate apply --database-url postgres://…  (whole process: read, lint,
#        plan, connect, history table, one transaction + history row per migration)
#      - psql -X -q -v ON_ERROR_STOP=1 -f all.sql  (the up scripts concatenated, autocommit:
#        the target's baseline)
#      - psql … -f all_tx.sql  (context: BEGIN/COMMIT around each migration, i.e. the
#        commits bellows makes, without its history rows)
#      - psql … -1 -f all.sql  (context: everything in one transaction)
#    RUNS repetitions, interleaved (the order rotates every repetition); each repetition
#    runs the four again on databases with synchronous_commit = off (ASYNC=0 skips that):
#    no commit waits for the disk, so statements and round trips are all that is left.
#    Also timed RUNS
#    times: `bellows migrate plan` offline (read + lint + plan, no database) and
#    `migrate apply --dry-run` on an empty database (+ connect, read the history).
# 2. backfill: table t (id bigint primary key, a text not null, b text), fillfactor 100,
#    ROWS rows (a = md5(id)), loaded fresh from a base table, VACUUM ANALYZE + CHECKPOINT
#    before every timed operation:
#      - psql -c 'UPDATE t SET b = a'  (one statement; rows/s from psql's \timing of it)
#      - bellows migrate apply of a backfill migration, batch_size 1000 and 10000 (rows/s
#        from bellows' own "backfilled N rows in M ms" line; wall time also shown)
#      - context (BATCH_FLOOR=0 skips it): psql -f of the very batch UPDATEs bellows runs,
#        autocommit, one commit per batch, no bookkeeping (rows/s from psql's wall time)
#    BF_RUNS repetitions, the order reversed every other repetition.
# --mysql (or MYSQL=1) repeats both on MySQL/MariaDB (`mariadb db < all.sql` as the floor;
# DDL commits by itself there, so no per-transaction variant). MariaDB takes ~25 s per apply
# of the 500 migrations on the reference machine, so it is opt-in.
#
# Prints Markdown tables on stdout; writes bench/out/results/runner.md (the tables),
# runner-samples.tsv (every sample), runner-machine.txt; logs in bench/out/runner/logs/.
# Databases: bellows_bench_apply, bellows_bench_backfill (created and dropped here).
# bench/runner/profile.sh shows where the time of one apply goes (server log per statement).
#
# --quick: RUNS=3, ROWS=200000, BF_RUNS=1.
# Environment: RUNS (5), N (500), ROWS (1000000), BF_RUNS (2), BATCHES ("1000 10000"),
# SEED (7), SKIP_BUILD=1, SKIP_APPLY=1, SKIP_BACKFILL=1, ASYNC=0, BATCH_FLOOR=0, MYSQL=1, PG=0,
# MY_RUNS (2), PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), MY_HOST (127.0.0.1),
# MY_PORT (3306), MY_USER (root). Made for password-less local servers; otherwise set PGPASSWORD / MYSQL_PWD
# for the clients and PG_URL_BASE / MY_URL_BASE (postgres://user:pw@host:port) for bellows.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

QUICK=0
MYSQL=${MYSQL:-0}
for arg in "$@"; do
  case $arg in
    --quick) QUICK=1 ;;
    --mysql) MYSQL=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done
if [[ $QUICK == 1 ]]; then
  RUNS=${RUNS:-3} ROWS=${ROWS:-200000} BF_RUNS=${BF_RUNS:-1}
fi
RUNS=${RUNS:-5}
N=${N:-500}
ROWS=${ROWS:-1000000}
BF_RUNS=${BF_RUNS:-2}
MY_RUNS=${MY_RUNS:-2}
SEED=${SEED:-7}
BATCHES=${BATCHES:-"1000 10000"}

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
# Quiet "does not exist, skipping" notices from psql (bellows' driver ignores PGOPTIONS).
export PGOPTIONS="${PGOPTIONS:--c client_min_messages=warning}"
MY_HOST=${MY_HOST:-127.0.0.1} MY_PORT=${MY_PORT:-3306} MY_USER=${MY_USER:-root}
PG_URL_BASE=${PG_URL_BASE:-"postgres://$PGUSER@$PGHOST:$PGPORT"}
MY_URL_BASE=${MY_URL_BASE:-"mysql://$MY_USER@$MY_HOST:$MY_PORT"}

OUT="$ROOT/bench/out/runner"
LOGS="$OUT/logs"
RESULTS="$ROOT/bench/out/results"
SAMPLES="$RESULTS/runner-samples.tsv"
mkdir -p "$OUT" "$LOGS" "$RESULTS"
: >"$SAMPLES"

say() { printf '\n== %s\n' "$*" >&2; }
die() {
  echo "error: $*" >&2
  exit 1
}

PSQL=(psql -X -q -v ON_ERROR_STOP=1)
pg_admin() { "${PSQL[@]}" -d postgres "$@" >/dev/null; }
pg_db() {
  local db=$1
  shift
  "${PSQL[@]}" -d "$db" "$@"
}
MYCLI=$(command -v mariadb || command -v mysql || true)
my() { "$MYCLI" -h "$MY_HOST" -P "$MY_PORT" -u "$MY_USER" "$@"; }

APPLY_DB=bellows_bench_apply
BF_DB=bellows_bench_backfill
cleanup() {
  set +e
  pg_admin -c "DROP DATABASE IF EXISTS $APPLY_DB" -c "DROP DATABASE IF EXISTS $BF_DB" 2>/dev/null
  if [[ $MYSQL == 1 && -n $MYCLI ]]; then
    my -e "DROP DATABASE IF EXISTS $APPLY_DB; DROP DATABASE IF EXISTS $BF_DB" 2>/dev/null
  fi
}
trap cleanup EXIT

# sample ENGINE BENCH VARIANT SECONDS [EXTRA]: one line of the samples file.
sample() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5:-}" >>"$SAMPLES"; }

# timed LOG CMD...: runs CMD (stdout+stderr to LOG), sets ELAPSED (seconds, µs resolution)
# from bash's $EPOCHREALTIME (no fork around the measured command). Fails on non-zero exit.
timed() {
  local log=$1 t0 t1 rc
  shift
  t0=$EPOCHREALTIME
  set +e
  "$@" >"$log" 2>&1
  rc=$?
  set -e
  t1=$EPOCHREALTIME
  if [[ $rc != 0 ]]; then
    echo "command failed (exit $rc): $*" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
}

# in_dir DIR CMD...: runs CMD (a function: its variables stay set) from DIR.
in_dir() {
  local dir=$1
  shift
  cd "$dir"
  "$@"
  cd "$ROOT"
}

# psql_ms LOG: the last "Time: X ms" psql's \timing printed, in whole ms.
psql_ms() { sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$1" | tail -n 1 | awk '{ printf "%d", $1 + 0.5 }'; }

say "machine"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpus: $(nproc)  ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rustc: $(rustc --version 2>/dev/null || echo '?')"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null)$([ -n "$(git status --porcelain -uno 2>/dev/null)" ] && echo ' (dirty tree)')"
  echo "postgres: $("${PSQL[@]}" -d postgres -Atc 'SHOW server_version') (fsync $("${PSQL[@]}" -d postgres -Atc 'SHOW fsync'), synchronous_commit $("${PSQL[@]}" -d postgres -Atc 'SHOW synchronous_commit'), shared_buffers $("${PSQL[@]}" -d postgres -Atc 'SHOW shared_buffers'))"
  echo "psql: $(psql --version)"
  if [[ $MYSQL == 1 ]]; then
    echo "mysql server: $(my -N -e 'SELECT VERSION()') (innodb_flush_log_at_trx_commit $(my -N -e 'SELECT @@innodb_flush_log_at_trx_commit'))"
  fi
  echo "settings: N=$N RUNS=$RUNS ROWS=$ROWS BF_RUNS=$BF_RUNS BATCHES=\"$BATCHES\" SEED=$SEED MYSQL=$MYSQL"
} | tee "$RESULTS/runner-machine.txt" >&2

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  say "building bellows (release)"
  cargo build --release 2>&1 | tail -n 2 >&2
fi
[[ -x $ROOT/target/release/bellows ]] || die "target/release/bellows not found (cargo build --release)"
# A private copy: a `cargo build` elsewhere during the run cannot swap the binary under it.
B="$OUT/bellows"
cp "$ROOT/target/release/bellows" "$B"
echo "binary: target/release/bellows built $(date -u -r "$ROOT/target/release/bellows" +%Y-%m-%dT%H:%M:%SZ), sha256 $(sha256sum "$B" | cut -c1-12)" | tee -a "$RESULTS/runner-machine.txt" >&2

say "generating"
python3 "$ROOT/bench/runner/gen.py" catalog "$OUT/pg" "$N" --seed "$SEED"
for b in $BATCHES; do
  python3 "$ROOT/bench/runner/gen.py" backfill "$OUT/pg-backfill-$b" --batch-size "$b"
done
if [[ $MYSQL == 1 ]]; then
  [[ -n $MYCLI ]] || die "--mysql: no mariadb or mysql client"
  python3 "$ROOT/bench/runner/gen.py" catalog "$OUT/my" "$N" --seed "$SEED" --dialect mysql
  for b in $BATCHES; do
    python3 "$ROOT/bench/runner/gen.py" backfill "$OUT/my-backfill-$b" --batch-size "$b" --dialect mysql
  done
fi
STMTS=$(grep -c ';$' "$OUT/pg/all.sql")
echo "$N migrations, $STMTS statements, $(wc -c <"$OUT/pg/all.sql") bytes of up scripts" >&2
MY_STMTS=0
[[ $MYSQL == 1 ]] && MY_STMTS=$(grep -c ';$' "$OUT/my/all.sql")

# ---------------------------------------------------------------------------------------
# 1. apply
# ---------------------------------------------------------------------------------------
fresh_pg() { pg_admin -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }
fresh_my() { my -e "DROP DATABASE IF EXISTS $1; CREATE DATABASE $1"; }

# The tables (and views) the catalog creates, to check that every variant did the work.
EXPECT_RELS=$(grep -cE '^CREATE (TABLE|VIEW)' "$OUT/pg/all.sql")

check_pg_apply() {
  local what=$1 got
  got=$(pg_db "$APPLY_DB" -Atc "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r','v') AND c.relname <> 'bellows_history'")
  [[ $got == "$EXPECT_RELS" ]] || die "$what: $got tables and views in $APPLY_DB, expected $EXPECT_RELS"
}

# pg_apply_variant VARIANT [async]: async sets synchronous_commit = off on the database
# (ALTER DATABASE: every session of it, bellows' and psql's alike), taking the disk's flush
# time out of every commit, so what is left is statements and round trips.
pg_apply_variant() {
  local v=$1 mode=${2:-} log="$LOGS/pg-apply-$1${2:+-$2}.log"
  fresh_pg "$APPLY_DB"
  if [[ $mode == async ]]; then
    pg_admin -c "ALTER DATABASE $APPLY_DB SET synchronous_commit = off"
  fi
  case $v in
    bellows) in_dir "$OUT/pg" timed "$log" "$B" migrate apply --database-url "$PG_URL_BASE/$APPLY_DB" ;;
    psql) timed "$log" "${PSQL[@]}" -d "$APPLY_DB" -f "$OUT/pg/all.sql" ;;
    psql-tx) timed "$log" "${PSQL[@]}" -d "$APPLY_DB" -f "$OUT/pg/all_tx.sql" ;;
    psql-1) timed "$log" "${PSQL[@]}" -1 -d "$APPLY_DB" -f "$OUT/pg/all.sql" ;;
  esac
  check_pg_apply "$v"
  if [[ $v == bellows ]]; then
    local applied
    applied=$(pg_db "$APPLY_DB" -Atc "SELECT count(*) FROM bellows_history WHERE success")
    [[ $applied == "$N" ]] || die "bellows recorded $applied applied migrations, expected $N"
  fi
  sample postgres "apply${mode:+-$mode}" "$v" "$ELAPSED"
  printf '  %-8s %-6s %7.3f s\n' "$v" "$mode" "$ELAPSED" >&2
}

my_apply_variant() {
  local v=$1 log="$LOGS/my-apply-$1.log"
  fresh_my "$APPLY_DB"
  case $v in
    bellows) in_dir "$OUT/my" timed "$log" "$B" migrate apply --database-url "$MY_URL_BASE/$APPLY_DB" ;;
    client) timed "$log" my "$APPLY_DB" <"$OUT/my/all.sql" ;;
  esac
  local got
  got=$(my -N -e "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$APPLY_DB' AND TABLE_NAME <> 'bellows_history'")
  [[ $got == "$EXPECT_RELS" ]] || die "mysql $v: $got tables and views, expected $EXPECT_RELS"
  sample mysql apply "$v" "$ELAPSED"
  printf '  %-8s %7.3f s\n' "$v" "$ELAPSED" >&2
}

if [[ ${SKIP_APPLY:-0} != 1 ]]; then
  if [[ ${PG:-1} == 1 ]]; then
    say "1. apply $N migrations, PostgreSQL ($RUNS runs, interleaved)"
    VARIANTS=(bellows psql psql-tx psql-1)
    for ((r = 0; r < RUNS; r++)); do
      echo " run $((r + 1))/$RUNS" >&2
      for ((k = 0; k < ${#VARIANTS[@]}; k++)); do
        pg_apply_variant "${VARIANTS[$(((k + r) % ${#VARIANTS[@]}))]}"
      done
      if [[ ${ASYNC:-1} == 1 ]]; then
        for ((k = 0; k < ${#VARIANTS[@]}; k++)); do
          pg_apply_variant "${VARIANTS[$(((k + r) % ${#VARIANTS[@]}))]}" async
        done
      fi
    done

    say "   before connecting: migrate plan (offline) and apply --dry-run ($RUNS runs each)"
    fresh_pg "$APPLY_DB"
    for ((r = 0; r < RUNS; r++)); do
      in_dir "$OUT/pg" timed "$LOGS/pg-plan.log" "$B" migrate plan
      sample postgres apply "plan-offline" "$ELAPSED"
      in_dir "$OUT/pg" timed "$LOGS/pg-dry-run.log" "$B" migrate apply --dry-run --database-url "$PG_URL_BASE/$APPLY_DB"
      sample postgres apply "dry-run" "$ELAPSED"
    done
    grep -q "^  ready" "$LOGS/pg-plan.log" || die "migrate plan did not list ready steps"
  fi

  if [[ $MYSQL == 1 ]]; then
    say "1b. apply $N migrations, MySQL/MariaDB ($MY_RUNS runs, interleaved)"
    for ((r = 0; r < MY_RUNS; r++)); do
      echo " run $((r + 1))/$MY_RUNS" >&2
      if ((r % 2 == 0)); then order=(bellows client); else order=(client bellows); fi
      for v in "${order[@]}"; do my_apply_variant "$v"; done
    done
    for ((r = 0; r < RUNS; r++)); do
      in_dir "$OUT/my" timed "$LOGS/my-plan.log" "$B" migrate plan
      sample mysql apply "plan-offline" "$ELAPSED"
    done
  fi
fi

# ---------------------------------------------------------------------------------------
# 2. backfill
# ---------------------------------------------------------------------------------------
# "backfilled N rows in M ms (R rows/s)" from bellows' stderr -> "N M".
bellows_rate() {
  sed -n 's/.*backfilled \([0-9]*\) rows in \([0-9]*\) ms.*/\1 \2/p' "$1" | tail -n 1
}

pg_bf_prepare() {
  pg_db "$BF_DB" >/dev/null <<SQL
DROP TABLE IF EXISTS t;
DROP TABLE IF EXISTS bellows_history;
CREATE TABLE t (id bigint PRIMARY KEY, a text NOT NULL, b text) WITH (fillfactor = 100);
INSERT INTO t SELECT id, a, b FROM t_base;
VACUUM ANALYZE t;
CHECKPOINT;
SQL
}

pg_bf_check() {
  local left
  left=$(pg_db "$BF_DB" -Atc "SELECT count(*) FROM t WHERE b IS DISTINCT FROM a")
  [[ $left == 0 ]] || die "$1: $left rows of t not backfilled"
}

pg_bf_variant() {
  local v=$1 log="$LOGS/pg-backfill-$1.log"
  pg_bf_prepare
  if [[ $v == update ]]; then
    timed "$log" "${PSQL[@]}" -d "$BF_DB" -c '\timing on' -c "UPDATE t SET b = a"
    pg_bf_check "$v"
    local ms
    ms=$(psql_ms "$log")
    [[ -n $ms && $ms -gt 0 ]] || die "no \\timing line in $log"
    sample postgres backfill update "$ELAPSED" "$ROWS $ms"
    printf '  %-18s %7.3f s  %9.0f rows/s (statement: %s ms)\n' "$v" "$ELAPSED" "$(awk -v n="$ROWS" -v m="$ms" 'BEGIN { print n * 1000 / m }')" "$ms" >&2
  elif [[ $v == psql-batches-* ]]; then
    local b=${v#psql-batches-}
    timed "$log" "${PSQL[@]}" -d "$BF_DB" -f "$OUT/pg-batches-$b.sql"
    pg_bf_check "$v"
    local ms
    ms=$(awk -v s="$ELAPSED" 'BEGIN { printf "%d", s * 1000 }')
    sample postgres backfill "$v" "$ELAPSED" "$ROWS $ms"
    printf '  %-18s %7.3f s  %9.0f rows/s\n' "$v" "$ELAPSED" "$(awk -v n="$ROWS" -v m="$ms" 'BEGIN { print n * 1000 / m }')" >&2
  else
    local b=${v#bellows-}
    in_dir "$OUT/pg-backfill-$b" timed "$log" "$B" migrate apply --database-url "$PG_URL_BASE/$BF_DB"
    pg_bf_check "$v"
    read -r rows ms < <(bellows_rate "$log")
    [[ $rows == "$ROWS" ]] || die "$v: bellows backfilled '$rows' rows, expected $ROWS"
    sample postgres backfill "$v" "$ELAPSED" "$rows $ms"
    printf '  %-18s %7.3f s  %9.0f rows/s (bellows: %s ms)\n' "$v" "$ELAPSED" "$(awk -v n="$rows" -v m="$ms" 'BEGIN { print n * 1000 / m }')" "$ms" >&2
  fi
}

my_bf_prepare() {
  my "$BF_DB" <<SQL
DROP TABLE IF EXISTS t;
DROP TABLE IF EXISTS bellows_history;
CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, a VARCHAR(64) NOT NULL, b VARCHAR(64) NULL) ENGINE=InnoDB;
INSERT INTO t SELECT id, a, b FROM t_base;
ANALYZE TABLE t;
SQL
}

my_bf_variant() {
  local v=$1 log="$LOGS/my-backfill-$1.log"
  my_bf_prepare >/dev/null
  if [[ $v == update ]]; then
    timed "$log" my "$BF_DB" -e "UPDATE t SET b = a"
    # The client has no statement timer in batch mode: the whole client process is timed.
    sample mysql backfill update "$ELAPSED" "$ROWS $(awk -v s="$ELAPSED" 'BEGIN { printf "%d", s * 1000 }')"
    printf '  %-18s %7.3f s  %9.0f rows/s\n' "$v" "$ELAPSED" "$(awk -v n="$ROWS" -v s="$ELAPSED" 'BEGIN { print n / s }')" >&2
  else
    local b=${v#bellows-}
    in_dir "$OUT/my-backfill-$b" timed "$log" "$B" migrate apply --database-url "$MY_URL_BASE/$BF_DB"
    read -r rows ms < <(bellows_rate "$log")
    [[ $rows == "$ROWS" ]] || die "mysql $v: bellows backfilled '$rows' rows, expected $ROWS"
    sample mysql backfill "$v" "$ELAPSED" "$rows $ms"
    printf '  %-18s %7.3f s  %9.0f rows/s (bellows: %s ms)\n' "$v" "$ELAPSED" "$(awk -v n="$rows" -v m="$ms" 'BEGIN { print n * 1000 / m }')" "$ms" >&2
  fi
  local left
  left=$(my -N "$BF_DB" -e "SELECT count(*) FROM t WHERE NOT (b <=> a)")
  [[ $left == 0 ]] || die "mysql $v: $left rows of t not backfilled"
}

if [[ ${SKIP_BACKFILL:-0} != 1 ]]; then
  BF_VARIANTS=(update)
  for b in $BATCHES; do BF_VARIANTS+=("bellows-$b"); done

  if [[ ${PG:-1} == 1 ]]; then
    PG_BF_VARIANTS=("${BF_VARIANTS[@]}")
    if [[ ${BATCH_FLOOR:-1} == 1 ]]; then
      # Context: the same batch statements bellows runs (keys are dense, so the ranges are
      # the same), sent by psql in autocommit: one commit per batch, no bookkeeping.
      for b in $BATCHES; do
        PG_BF_VARIANTS+=("psql-batches-$b")
        awk -v n="$ROWS" -v b="$b" 'BEGIN { for (s = 1; s <= n; s += b) printf "UPDATE t SET b = a WHERE id >= %d AND id < %d;\n", s, s + b }' >"$OUT/pg-batches-$b.sql"
      done
    fi
    say "2. backfill $ROWS rows, PostgreSQL ($BF_RUNS runs, order reversed every other run)"
    fresh_pg "$BF_DB"
    pg_db "$BF_DB" >/dev/null <<SQL
CREATE TABLE t_base (id bigint PRIMARY KEY, a text NOT NULL, b text);
INSERT INTO t_base SELECT g, md5(g::text), NULL FROM generate_series(1, $ROWS) g;
SQL
    for ((r = 0; r < BF_RUNS; r++)); do
      echo " run $((r + 1))/$BF_RUNS" >&2
      order=("${PG_BF_VARIANTS[@]}")
      if ((r % 2 == 1)); then
        order=()
        for ((k = ${#PG_BF_VARIANTS[@]} - 1; k >= 0; k--)); do order+=("${PG_BF_VARIANTS[$k]}"); done
      fi
      for v in "${order[@]}"; do pg_bf_variant "$v"; done
    done
  fi

  if [[ $MYSQL == 1 ]]; then
    say "2b. backfill $ROWS rows, MySQL/MariaDB ($BF_RUNS runs)"
    fresh_my "$BF_DB"
    # Rows from a recursive CTE (works on MySQL 8 and MariaDB), in chunks of 100,000.
    my "$BF_DB" -e "CREATE TABLE t_base (id BIGINT NOT NULL PRIMARY KEY, a VARCHAR(64) NOT NULL, b VARCHAR(64) NULL) ENGINE=InnoDB"
    for ((s = 0; s < ROWS; s += 100000)); do
      e=$((s + 100000 < ROWS ? s + 100000 : ROWS))
      my "$BF_DB" -e "SET SESSION cte_max_recursion_depth = 200000; INSERT INTO t_base (id, a) WITH RECURSIVE g(n) AS (SELECT $((s + 1)) UNION ALL SELECT n + 1 FROM g WHERE n < $e) SELECT n, md5(n) FROM g" 2>/dev/null ||
        my "$BF_DB" -e "SET SESSION max_recursive_iterations = 200000; INSERT INTO t_base (id, a) WITH RECURSIVE g(n) AS (SELECT $((s + 1)) UNION ALL SELECT n + 1 FROM g WHERE n < $e) SELECT n, md5(n) FROM g"
    done
    for ((r = 0; r < BF_RUNS; r++)); do
      echo " run $((r + 1))/$BF_RUNS" >&2
      order=("${BF_VARIANTS[@]}")
      if ((r % 2 == 1)); then
        order=()
        for ((k = ${#BF_VARIANTS[@]} - 1; k >= 0; k--)); do order+=("${BF_VARIANTS[$k]}"); done
      fi
      for v in "${order[@]}"; do my_bf_variant "$v"; done
    done
  fi
fi

# ---------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS/runner-machine.txt" >&2
say "summary"
python3 - "$SAMPLES" "$N" "$STMTS" "$ROWS" "$MY_STMTS" <<'PY' | tee "$RESULTS/runner.md"
import statistics, sys
from collections import OrderedDict

path, n, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[4])
statements = {"postgres": int(sys.argv[3]), "mysql": int(sys.argv[5])}
data = OrderedDict()
extra = {}
for line in open(path):
    eng, bench, var, secs, ext = line.rstrip("\n").split("\t")
    data.setdefault((eng, bench), OrderedDict()).setdefault(var, []).append(float(secs))
    if ext:
        extra.setdefault((eng, bench, var), []).append(tuple(int(x) for x in ext.split()))

def ms(s):
    return "{:,.0f} ms".format(s * 1000)

LABELS = {
    ("postgres", "bellows"): "`bellows migrate apply` (whole process)",
    ("postgres", "psql"): "`psql -X -q -v ON_ERROR_STOP=1 -f all.sql` (autocommit)",
    ("postgres", "psql-tx"): "`psql … -f all_tx.sql` (BEGIN/COMMIT around each migration)",
    ("postgres", "psql-1"): "`psql … -1 -f all.sql` (one transaction)",
    ("postgres", "plan-offline"): "`bellows migrate plan` (offline: read + lint + plan)",
    ("postgres", "dry-run"): "`bellows migrate apply --dry-run` (+ connect, read history)",
    ("mysql", "bellows"): "`bellows migrate apply` (whole process)",
    ("mysql", "client"): "`mariadb db < all.sql`",
    ("mysql", "plan-offline"): "`bellows migrate plan` (offline: read + lint + plan)",
}

for (eng, bench), vs in data.items():
    name = "PostgreSQL" if eng == "postgres" else "MySQL/MariaDB"
    if bench.startswith("apply"):
        print("### apply %d migrations (%d statements), %s%s\n" % (
            n, statements[eng], name,
            ", `synchronous_commit = off` on the database (no wait for the disk at commit)"
            if bench == "apply-async" else ""))
        base = "psql" if eng == "postgres" else "client"
        bmed = statistics.median(vs[base]) if base in vs else None
        bmin = min(vs[base]) if base in vs else None
        print("| command | runs | median | min | max | median / floor | min / floor |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for var, xs in vs.items():
            med, mn = statistics.median(xs), min(xs)
            r1 = "%.2f×" % (med / bmed) if bmed else "-"
            r2 = "%.2f×" % (mn / bmin) if bmin else "-"
            print("| %s | %d | %s | %s | %s | %s | %s |" % (
                LABELS.get((eng, var), var), len(xs), ms(med), ms(mn), ms(max(xs)), r1, r2))
        if "bellows" in vs and base in vs:
            r = statistics.median(vs["bellows"]) / bmed
            verdict = "met" if r <= 1.3 else "NOT met"
            print("\n%s (bellows ≤ 1.3× of `%s`, medians): **%.2f×**, %s." % (
                "Target" if bench == "apply" else "Same target, sensitivity check",
                "psql -f" if eng == "postgres" else "mariadb <", r, verdict))
            pairs = [x / y for x, y in zip(vs["bellows"], vs[base])]
            print("Ratio within each repetition (bellows ÷ %s of the same round): %s; median %.2f×." % (
                base, ", ".join("%.2f" % p for p in pairs), statistics.median(pairs)))
        if "plan-offline" in vs and "bellows" in vs:
            print("Before connecting (offline `migrate plan`, median): %s = %.1f%% of bellows' median apply." % (
                ms(statistics.median(vs["plan-offline"])),
                100 * statistics.median(vs["plan-offline"]) / statistics.median(vs["bellows"])))
        print()
    else:
        print("### backfill %s rows, %s\n" % ("{:,}".format(rows), name))
        print("| variant | runs | rows/s (median) | rows/s (min … max) | time (median) | wall, whole process (median) | ÷ single UPDATE |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        rates = {}
        for var, xs in vs.items():
            ex = extra.get((eng, bench, var), [])
            rs = [r * 1000.0 / m for r, m in ex if m > 0]
            rates[var] = statistics.median(rs) if rs else None
        base = rates.get("update")
        for var, xs in vs.items():
            ex = extra.get((eng, bench, var), [])
            rs = [r * 1000.0 / m for r, m in ex if m > 0]
            t = statistics.median([m for _, m in ex]) / 1000.0 if ex else statistics.median(xs)
            label = (("`UPDATE t SET b = a` (psql, one statement; psql's \\timing)" if eng == "postgres"
                      else "`UPDATE t SET b = a` (mariadb -e, one statement; client process)")
                     if var == "update"
                     else "`psql -f` of the same batch UPDATEs, autocommit (context), batch %s" % var.rsplit("-", 1)[1]
                     if var.startswith("psql-batches-")
                     else "`bellows migrate apply`, batch_size %s" % var.split("-", 1)[1])
            ratio = "%.2f" % (rates[var] / base) if base and rates[var] else "-"
            print("| %s | %d | %s | %s … %s | %s | %s | %s |" % (
                label, len(xs), "{:,.0f}".format(rates[var]), "{:,.0f}".format(min(rs)),
                "{:,.0f}".format(max(rs)), ms(t), ms(statistics.median(xs)), ratio))
        if base:
            print()
            for var in vs:
                if not var.startswith("bellows-"):
                    continue
                r = rates[var] / base
                floor = rates.get("psql-batches-" + var.split("-", 1)[1])
                per_run = lambda v: [r_ * 1000.0 / m for r_, m in extra.get((eng, bench, v), []) if m > 0]
                pairs = [x / y for x, y in zip(per_run(var), per_run("update"))]
                print("- batch_size %s: %.2f of the single UPDATE's rows/s (per repetition: %s) — target (≥ 0.5) %s%s" % (
                    var.split("-", 1)[1], r, ", ".join("%.2f" % p for p in pairs),
                    "met" if r >= 0.5 else "NOT met",
                    "; %.2f of psql running the same batches" % (rates[var] / floor) if floor else ""))
        print()
PY
