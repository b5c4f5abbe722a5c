#!/usr/bin/env bash
# bellows catalog benchmark: `catalog check` and `migrate plan` on generated projects of
# N = 500 / 1,000 / 2,000 migrations x 20 releases x 500 queries each (bench/catalog/gen.py).
#
# Builds bellows (release), generates the projects into bench/out/catalog/n<N>, writes
# bellows.sum once per project (`catalog sum`), then times each command with hyperfine
# (-N --warmup 1 --runs RUNS -i --output=null) and measures peak RSS with /usr/bin/time.
# Results: bench/out/results/catalog.md (hyperfine tables + a summary with ratios),
# bench/out/results/catalog-<cmd>-<N>.{md,json}, catalog-machine.txt. See docs/benchmarks.md.
#
# Environment: SIZES (default "500 1000 2000"), RUNS (default 5), SEED (default 7),
# RELEASES (default 20), QUERIES (default 500), SKIP_BUILD=1 uses the existing binary.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/bench/out/catalog"
RESULTS="$ROOT/bench/out/results"
SIZES=${SIZES:-"500 1000 2000"}
RUNS=${RUNS:-5}
SEED=${SEED:-7}
RELEASES=${RELEASES:-20}
QUERIES=${QUERIES:-500}
cd "$ROOT"
mkdir -p "$OUT" "$RESULTS"
say() { printf '\n== %s\n' "$*" >&2; }

say "machine"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpus: $(nproc)  ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "rustc: $(rustc --version)"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null)$([ -n "$(git status --porcelain -uno 2>/dev/null)" ] && echo ' (dirty tree)')"
} | tee "$RESULTS/catalog-machine.txt" >&2

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "building bellows (release)"
  cargo build --release 2>&1 | tail -n 2 >&2
fi
BELLOWS="$ROOT/target/release/bellows"
command -v hyperfine >/dev/null || { echo "hyperfine is required" >&2; exit 1; }

SUMMARY="$RESULTS/catalog.md"
{
  echo "# bellows catalog benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "$RELEASES releases x $QUERIES queries each; hyperfine -N --warmup 1 --runs $RUNS -i; peak RSS from /usr/bin/time -f %M (one run)."
  echo
  echo "| command | N | mean (s) | min (s) | max (s) | peak RSS (MiB) | exit |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
} > "$SUMMARY"

declare -A MEAN
for n in $SIZES; do
  dir="$OUT/n$n"
  say "generating N=$n"
  python3 "$ROOT/bench/catalog/gen.py" "$dir" "$n" --seed "$SEED" --releases "$RELEASES" --queries "$QUERIES"
  (cd "$dir" && "$BELLOWS" catalog sum --dir migrations >&2)
  for cmd in "catalog check" "migrate plan"; do
    tag=${cmd// /-}
    say "$cmd, N=$n"
    (cd "$dir" && hyperfine -N --warmup 1 --runs "$RUNS" -i --output=null \
        --export-markdown "$RESULTS/catalog-$tag-$n.md" --export-json "$RESULTS/catalog-$tag-$n.json" \
        "$BELLOWS $cmd --dir migrations" >&2)
    set +e
    (cd "$dir" && /usr/bin/time -f %M -o "$RESULTS/catalog-$tag-$n.rss" "$BELLOWS" $cmd --dir migrations >/dev/null 2>&1)
    rc=$?
    set -e
    rss=$(tail -n 1 "$RESULTS/catalog-$tag-$n.rss")
    read -r mean min max < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.3f %.3f %.3f" % (r["mean"], r["min"], r["max"]))' "$RESULTS/catalog-$tag-$n.json")
    MEAN[$tag-$n]=$mean
    echo "| \`$cmd\` | $n | $mean | $min | $max | $((rss / 1024)) | $rc |" >> "$SUMMARY"
  done
done

{
  echo
  echo "Growth (mean time ratio; linear = 2.00):"
  echo
  for tag in catalog-check migrate-plan; do
    python3 - "$tag" "${MEAN[$tag-500]:-}" "${MEAN[$tag-1000]:-}" "${MEAN[$tag-2000]:-}" <<'PY'
import sys
tag, a, b, c = sys.argv[1], *[float(x) if x else None for x in sys.argv[2:]]
r1 = "%.2f" % (b / a) if a and b else "-"
r2 = "%.2f" % (c / b) if b and c else "-"
print("- `%s`: 1,000/500 = %s, 2,000/1,000 = %s" % (tag.replace("-", " "), r1, r2))
PY
  done
} >> "$SUMMARY"
cat "$SUMMARY" >&2
