#!/usr/bin/env bash
# The workload benchmark on PostgreSQL and MariaDB/MySQL (bench/workload/README.md), both
# changes: email-norm (docs/img/workload-<engine>.svg) and rename
# (docs/img/workload-rename-<engine>.svg).
#   bench/workload/run.sh            1,000,000 rows; plots to docs/img/
#   bench/workload/run.sh --quick    20,000 rows, ~20 s per engine and change, debug build; plots to target/workload
# Extra arguments go to the harness (e.g. --rate 800 --connections 16 --database-url URL,
# which then applies to one engine only: pass --engine too and it runs just that one;
# --scenario rename runs just that change).
set -euo pipefail
cd "$(dirname "$0")/../.."

engines=(postgres mysql)
scenarios=(email-norm rename)
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --engine) engines=("$2"); shift 2 ;;
    --engine=*) engines=("${1#--engine=}"); shift ;;
    --scenario) scenarios=("$2"); shift 2 ;;
    --scenario=*) scenarios=("${1#--scenario=}"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
case " ${args[*]-} " in
  *" --quick "*|*" --out "*) ;;
  *) args+=(--out docs/img) ;;
esac
# --quick is a smoke test (no application query may fail), not a measurement: it runs the
# debug build the test suite has just made instead of waiting for a release build.
profile=release
case " ${args[*]-} " in
  *" --quick "*) profile=debug ;;
esac
if [ "$profile" = release ]; then
  cargo build --release --quiet --bin bellows --example workload
else
  cargo build --quiet --bin bellows --example workload
fi

status=0
for engine in "${engines[@]}"; do
  for scenario in "${scenarios[@]}"; do
    target/$profile/examples/workload --engine "$engine" --scenario "$scenario" \
      ${args[@]+"${args[@]}"} || status=$?
  done
done
exit "$status"
