#!/usr/bin/env bash
# Where the time of `bellows migrate apply` goes, next to psql running the same statements.
#
#   bench/runner/profile.sh [apply [N]]              (default: apply 500)
#   bench/runner/profile.sh backfill [BATCH [ROWS]]  (default: backfill 1000 1000000)
#
# apply: the catalog of bench/runner/gen.py, applied once by bellows and once by
#   `psql -f all.sql`, each to a fresh database.
# backfill: table t of run.sh (ROWS rows, fillfactor 100, VACUUM ANALYZE + CHECKPOINT first),
#   backfilled once by bellows (batch_size BATCH) and once by `psql -f` of the same batch
#   UPDATEs in autocommit.
#
# The measured sessions run against a database with `log_min_duration_statement = 0` (ALTER
# DATABASE, so nothing else logs). The script reads the server log (PG_LOG, default the
# Debian /var/log/postgresql/postgresql-*-main.log) and sums, per kind of statement, how many
# protocol messages there were and how long the server spent on them. A simple query is one
# message; an extended-protocol statement logs parse, bind and execute (parse is one round
# trip, bind + execute another). What the server did not account for is the client, the wire
# and the waits between round trips: wall time − server time. Also: user+sys CPU of the
# client (/usr/bin/time) and, for apply with strace installed, how long bellows ran before
# its first connect() (reading, linting and planning the catalog).
#
# Logging adds a little to every message (bellows sends more of them), so use this to see
# which kinds cost what, and take the totals from run.sh.
# Environment: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PG_LOG, SKIP_BUILD=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
MODE=${1:-apply}
case $MODE in
  apply) N=${2:-500} ;;
  backfill) BATCH=${2:-1000} ROWS=${3:-1000000} ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
    ;;
esac
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGOPTIONS="-c client_min_messages=warning"
OUT="$ROOT/bench/out/runner"
LOGS="$OUT/logs"
DB=bellows_bench_profile
mkdir -p "$LOGS"
PG_LOG=${PG_LOG:-$(ls /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -n 1)}
[[ -r ${PG_LOG:-} ]] || {
  echo "cannot read the server log; set PG_LOG" >&2
  exit 1
}
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  cargo build --release 2>&1 | tail -n 1 >&2
fi
B="$ROOT/target/release/bellows"
URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"

PSQL=(psql -X -q -v ON_ERROR_STOP=1)
admin() { "${PSQL[@]}" -d postgres "$@" >/dev/null; }
trap 'admin -c "DROP DATABASE IF EXISTS $DB" 2>/dev/null || true' EXIT

logging() { admin -c "ALTER DATABASE $DB SET log_min_duration_statement = $1"; }

if [[ $MODE == apply ]]; then
  PROJ="$OUT/profile-apply"
  python3 "$ROOT/bench/runner/gen.py" catalog "$PROJ" "$N"
  UNITS=$N UNIT=migration
  prepare() {
    admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    logging 0
  }
else
  PROJ="$OUT/profile-backfill-$BATCH"
  python3 "$ROOT/bench/runner/gen.py" backfill "$PROJ" --batch-size "$BATCH"
  awk -v n="$ROWS" -v b="$BATCH" 'BEGIN { for (s = 1; s <= n; s += b) printf "UPDATE t SET b = a WHERE id >= %d AND id < %d;\n", s, s + b }' >"$PROJ/batches.sql"
  UNITS=$(((ROWS + BATCH - 1) / BATCH)) UNIT=batch
  admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  "${PSQL[@]}" -d "$DB" >/dev/null <<SQL
CREATE TABLE t_base (id bigint PRIMARY KEY, a text NOT NULL, b text);
INSERT INTO t_base SELECT g, md5(g::text), NULL FROM generate_series(1, $ROWS) g;
SQL
  prepare() {
    logging -1
    "${PSQL[@]}" -d "$DB" >/dev/null <<SQL
DROP TABLE IF EXISTS t;
DROP TABLE IF EXISTS bellows_history;
CREATE TABLE t (id bigint PRIMARY KEY, a text NOT NULL, b text) WITH (fillfactor = 100);
INSERT INTO t SELECT id, a, b FROM t_base;
VACUUM ANALYZE t;
CHECKPOINT;
SQL
    logging 0
  }
fi

run_one() { # NAME CMD...
  local name=$1
  shift
  prepare
  local from t0 t1
  from=$(stat -c %s "$PG_LOG")
  t0=$EPOCHREALTIME
  /usr/bin/time -f '%U %S' -o "$LOGS/profile-$name.cpu" "$@" >"$LOGS/profile-$name.out" 2>&1
  t1=$EPOCHREALTIME
  sleep 0.5 # let the server write its log
  tail -c +"$((from + 1))" "$PG_LOG" >"$LOGS/profile-$name.pglog"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >"$LOGS/profile-$name.wall"
}

cd "$PROJ"
rm -f "$LOGS/profile-strace.txt"
if [[ $MODE == apply ]]; then
  run_one bellows "$B" migrate apply --database-url "$URL"
  run_one psql "${PSQL[@]}" -d "$DB" -f all.sql
  if command -v strace >/dev/null; then
    prepare
    # --seccomp-bpf: only execve and connect stop the process, so file reads run at speed.
    strace -f --seccomp-bpf -ttt -e trace=execve,connect -o "$LOGS/profile-strace.txt" \
      "$B" migrate apply --database-url "$URL" >/dev/null 2>&1 || true
  fi
else
  run_one bellows "$B" migrate apply --database-url "$URL"
  run_one psql "${PSQL[@]}" -d "$DB" -f batches.sql
fi
logging -1
cd "$ROOT"

python3 - "$LOGS" "$DB" "$UNITS" "$UNIT" <<'PY'
import re, sys
from collections import OrderedDict
logs, db, units, unit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
line_re = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] \S+@" + re.escape(db) +
                     r" LOG:  duration: ([\d.]+) ms  (statement|parse|bind|execute)[^:]*: (.*)$")

def kind(step, text):
    t = text.strip()
    u = t.upper()
    sfx = "" if step == "statement" else " (%s)" % step
    if "bellows_history" in t:
        if u.startswith("INSERT"):
            return "history row INSERT" + sfx
        if u.startswith("UPDATE"):
            return "history row UPDATE" + sfx
        if u.startswith("CREATE TABLE"):
            return "history table CREATE IF NOT EXISTS" + sfx
        return "history other" + sfx
    if u in ("BEGIN", "COMMIT", "ROLLBACK"):
        return u
    if u.startswith('SELECT "ID" FROM'):
        return "next batch key: SELECT … OFFSET" + sfx
    if u.startswith("UPDATE T SET B = A"):
        return "batch UPDATE" + sfx
    body = "\n".join(l for l in t.splitlines() if not l.lstrip().startswith("--")).strip().upper()
    for p in ("CREATE TABLE", "CREATE UNIQUE INDEX", "CREATE INDEX", "CREATE VIEW",
              "ALTER TABLE", "COMMENT ON"):
        if body.startswith(p) or u.startswith(p):
            return "migration: " + p + sfx
    return "setup and checks" + sfx

for name in ("bellows", "psql"):
    wall = float(open("%s/profile-%s.wall" % (logs, name)).read())
    user, sys_ = (float(x) for x in open("%s/profile-%s.cpu" % (logs, name)).read().split()[-2:])
    stats = OrderedDict()
    total, count = 0.0, 0
    for line in open("%s/profile-%s.pglog" % (logs, name), errors="replace"):
        m = line_re.match(line)
        if not m:
            continue
        ms = float(m.group(2))
        k = kind(m.group(3), m.group(4))
        c, s = stats.get(k, (0, 0.0))
        stats[k] = (c + 1, s + ms)
        total += ms
        count += 1
    print("### %s: wall %.0f ms, client CPU %.0f ms (user %.0f, sys %.0f)\n" % (
        name, wall * 1000, (user + sys_) * 1000, user * 1000, sys_ * 1000))
    print("| kind of message | messages | server ms | ms per %s |" % unit)
    print("|---|---:|---:|---:|")
    rest = [0, 0.0]
    for k, (c, s) in sorted(stats.items(), key=lambda kv: -kv[1][1]):
        if s < 0.5 and k.startswith(("setup", "history other")):
            rest[0] += c
            rest[1] += s
            continue
        print("| %s | %d | %.0f | %.3f |" % (k, c, s, s / units))
    if rest[0]:
        print("| setup and checks (the rest) | %d | %.0f | %.3f |" % (rest[0], rest[1], rest[1] / units))
    print("| **server total** | %d | %.0f | %.3f |" % (count, total, total / units))
    print("| **wall − server** (client, wire, waits between round trips) | | %.0f | %.3f |" % (
        wall * 1000 - total, (wall * 1000 - total) / units))
    print()

try:
    lines = open("%s/profile-strace.txt" % logs).read().splitlines()
    t_exec = next(float(l.split()[1]) for l in lines if "execve(" in l)
    t_conn = next(float(l.split()[1]) for l in lines if "connect(" in l and "sin" in l)
    print("bellows before its first connect() (read, lint and plan the catalog; strace --seccomp-bpf): %.0f ms"
          % ((t_conn - t_exec) * 1000))
except (OSError, StopIteration):
    pass
PY
