#!/usr/bin/env bash
# bellows verify benchmark: `migrate verify` over a generated catalog of N PostgreSQL
# migrations (bench/verify/gen.sh: tables, indexes, columns with checks, views; every one
# with a down script), on the scratch server SCRATCH_URL. Prints the wall time, the
# summary line, and the machine's load (the figure depends on it).
#
# Environment: N (default 1000), BELLOWS_VERIFY_TIMING (set: print the time per phase), SCRATCH_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# BELLOWS (default target/release/bellows, built when missing; SKIP_BUILD=1 uses it as is).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-1000}
SCRATCH_URL=${SCRATCH_URL:-postgres://postgres@127.0.0.1:5432/postgres}
BELLOWS=${BELLOWS:-$ROOT/target/release/bellows}
OUT="$ROOT/bench/out/verify"
cd "$ROOT"

if [ "${SKIP_BUILD:-0}" != 1 ] && [ ! -x "$BELLOWS" ]; then
  cargo build --release 2>&1 | tail -n 2 >&2
fi

dir="$OUT/n$N"
"$ROOT/bench/verify/gen.sh" "$dir" "$N"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpus: $(nproc); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "bellows: $BELLOWS ($(git rev-parse --short HEAD 2>/dev/null))"
} >&2
start=$(date +%s.%N)
set +e
(cd "$dir" && "$BELLOWS" migrate verify --scratch-url "$SCRATCH_URL" --no-write 2>"$OUT/n$N.err") >"$OUT/n$N.txt"
code=$?
set -e
end=$(date +%s.%N)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
tail -n 1 "$OUT/n$N.txt"
# BELLOWS_VERIFY_TIMING=1: the time per phase, as verify printed it.
if [ -n "${BELLOWS_VERIFY_TIMING:-}" ]; then grep -E '^(verify|snapshot):' "$OUT/n$N.err" || true; fi
printf 'wall: %.1f s (exit %d)\n' "$(echo "$end - $start" | bc)" "$code"
