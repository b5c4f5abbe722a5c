#!/usr/bin/env bash
# bellows speed benchmark.
#
# Builds bellows (release), generates the corpus into bench/out/corpus, installs squawk
# 2.70.0 into a venv under bench/out, then times:
#   1. bellows vs squawk on the 10 MiB PostgreSQL file (both with output to /dev/null)
#   2. bellows (and squawk) on the directory of 10,000 migrations
#   3. bellows on one small migration (whole process)
#   4. the parse-only baseline: `cargo bench --bench parse` (criterion; sqlparser's
#      parse_sql on the same 10 MiB text, bellows' lint_source, the splitter alone)
# Results go to bench/out/results/. See docs/benchmarks.md.
# The catalog benchmark (`catalog check`, `migrate plan` on 500/1,000/2,000 migrations x 20
# releases x 500 queries) is separate: bench/catalog/run.sh.
#
# Environment: RUNS (default 10) timed runs per big command; SKIP_CRITERION=1 skips step 4;
# SKIP_SQUAWK=1 skips squawk; SQUAWK_BIN=path uses that squawk 2.70.0 instead of installing
# one; SQUAWK_TTY_RUNS (default 1, 0 skips) runs of squawk's slow
# default reporter on the 10 MiB file; NO_HYPERFINE=1 uses the date loop even when
# hyperfine is installed; SEED (default the generator's) changes the corpus.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/bench/out"
CORPUS="$OUT/corpus"
RESULTS="$OUT/results"
RUNS=${RUNS:-10}
cd "$ROOT"
mkdir -p "$OUT" "$RESULTS"
rm -f "$RESULTS/load.txt"

say() { printf '\n== %s\n' "$*" >&2; }

say "machine"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpus: $(nproc)  ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "rustc: $(rustc --version)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$RESULTS/machine.txt" >&2

say "building bellows (release)"
cargo build --release 2>&1 | tail -n 2 >&2
BELLOWS="$ROOT/target/release/bellows"

say "generating the corpus"
cargo build --release --quiet --manifest-path bench/gen/Cargo.toml --target-dir "$OUT/target"
GEN_ARGS=(--out "$CORPUS")
[[ -n "${SEED:-}" ]] && GEN_ARGS+=(--seed "$SEED")
"$OUT/target/release/gen_corpus" "${GEN_ARGS[@]}"
BIG="$CORPUS/pg_10mb.sql"
BIG_SP="$CORPUS/pg_10mb_sqlparser.sql"
SMALL="$CORPUS/small.sql"
MIGS="$CORPUS/migrations"

SQUAWK=""
if [[ "${SKIP_SQUAWK:-0}" != 1 ]]; then
  if [[ -n "${SQUAWK_BIN:-}" ]]; then
    SQUAWK="$SQUAWK_BIN"
  else
    if [[ ! -x "$OUT/venv/bin/squawk" ]]; then
      say "installing squawk-cli 2.70.0 into $OUT/venv"
      python3 -m venv "$OUT/venv"
      "$OUT/venv/bin/pip" install --quiet squawk-cli==2.70.0
    fi
    SQUAWK="$OUT/venv/bin/squawk"
  fi
  "$SQUAWK" --version >&2
fi

# Sanity: bellows must get through the corpus without crashing (exit 0 = clean,
# 1 = findings; anything else is a failure worth stopping for).
say "checking that bellows reads the corpus"
for f in "$BIG" "$BIG_SP" "$SMALL" "$MIGS"; do
  set +e
  "$BELLOWS" lint --dialect postgres "$f" >/dev/null 2>"$RESULTS/stderr.txt"
  rc=$?
  set -e
  if [[ $rc -ne 0 && $rc -ne 1 ]]; then
    echo "bellows exited $rc on $f:" >&2
    head -n 20 "$RESULTS/stderr.txt" >&2
    exit 1
  fi
  echo "bellows $f: exit $rc" >&2
done

# time NAME RUNS WARMUP CMD... : hyperfine when present, else a loop with date +%s.%N.
# Exit codes are ignored (both tools exit non-zero when they find problems).
time_cmds() {
  local name=$1 runs=$2 warmup=$3
  shift 3
  # The machine may be shared: the load average goes with the numbers.
  echo "$name: load average before $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS/load.txt" >&2
  if [[ "${NO_HYPERFINE:-0}" != 1 ]] && command -v hyperfine >/dev/null; then
    hyperfine -i -N --output=null --warmup "$warmup" --runs "$runs" \
      --export-markdown "$RESULTS/$name.md" --export-json "$RESULTS/$name.json" "$@" >&2
  else
    # Fallback: a plain loop timed with date +%s.%N (commands run without a shell).
    echo "| Command | Mean [s] | Min [s] | Max [s] | Runs |" >"$RESULTS/$name.md"
    echo "|:---|---:|---:|---:|---:|" >>"$RESULTS/$name.md"
    local cmd i t0 t1 times
    for cmd in "$@"; do
      read -r -a argv <<<"$cmd"
      for ((i = 0; i < warmup; i++)); do "${argv[@]}" >/dev/null 2>&1 || true; done
      times=""
      for ((i = 0; i < runs; i++)); do
        t0=$(date +%s.%N)
        "${argv[@]}" >/dev/null 2>&1 || true
        t1=$(date +%s.%N)
        times+="$t0 $t1"$'\n'
      done
      printf '%s' "$times" | awk -v cmd="$cmd" -v n="$runs" '
        { d = $2 - $1; s += d; if (NR == 1 || d < mn) mn = d; if (d > mx) mx = d }
        END { printf "| `%s` | %.4f | %.4f | %.4f | %d |\n", cmd, s / n, mn, mx, n }' |
        tee -a "$RESULTS/$name.md" >&2
    done
  fi
}

say "1. the 10 MiB file: bellows vs squawk"
# squawk's default (tty) reporter is quadratic in the number of issues (about 400 s on this
# file), so it is timed once, separately; its gcc and json reporters are linear.
CMDS=("$BELLOWS lint --dialect postgres $BIG" "$BELLOWS lint --dialect postgres --format json $BIG")
[[ -n "$SQUAWK" ]] && CMDS+=("$SQUAWK --reporter gcc $BIG" "$SQUAWK --reporter json $BIG")
time_cmds big "$RUNS" 1 "${CMDS[@]}"
if [[ -n "$SQUAWK" && "${SQUAWK_TTY_RUNS:-1}" -gt 0 ]]; then
  time_cmds big_squawk_tty "${SQUAWK_TTY_RUNS:-1}" 0 "$SQUAWK $BIG"
fi

say "1b. the sqlparser-only 10 MiB file: bellows vs squawk"
CMDS=("$BELLOWS lint --dialect postgres $BIG_SP")
[[ -n "$SQUAWK" ]] && CMDS+=("$SQUAWK --reporter gcc $BIG_SP")
time_cmds big_sqlparser "$RUNS" 1 "${CMDS[@]}"

say "2. 10,000 migrations"
CMDS=("$BELLOWS lint --dialect postgres $MIGS" "$BELLOWS lint --dialect postgres --format json $MIGS")
# squawk expands the glob itself (hyperfine runs the commands without a shell).
[[ -n "$SQUAWK" ]] && CMDS+=("$SQUAWK $MIGS/*/up.sql" "$SQUAWK --reporter gcc $MIGS/*/up.sql"
  "$SQUAWK --reporter json $MIGS/*/up.sql")
time_cmds dir "$RUNS" 1 "${CMDS[@]}"

say "3. one small migration (whole process)"
CMDS=("$BELLOWS lint --dialect postgres $SMALL")
[[ -n "$SQUAWK" ]] && CMDS+=("$SQUAWK $SMALL")
time_cmds small 100 5 "${CMDS[@]}"

if [[ "${SKIP_CRITERION:-0}" != 1 ]]; then
  say "4. parse-only baseline (criterion, cargo bench --bench parse)"
  cargo bench --bench parse 2>&1 | tee "$RESULTS/criterion.txt" | grep -E '^(sqlparser|bellows)/|time:|thrpt:|^corpus:' >&2
fi

say "summary"
{
  echo "### load average"
  cat "$RESULTS/load.txt"
  echo
} | tee "$RESULTS/summary.md"
for f in big big_squawk_tty big_sqlparser dir small; do
  [[ -f "$RESULTS/$f.md" ]] || continue
  echo "### $f"
  cat "$RESULTS/$f.md"
  echo
done | tee -a "$RESULTS/summary.md"
