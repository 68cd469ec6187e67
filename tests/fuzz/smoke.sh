#!/usr/bin/env bash
# The short fuzz pass CI runs: each target for a fixed budget (default 15 s,
# KPI_FUZZ_SECONDS overrides) on its committed seed corpus, one at a time.
# New inputs go to a scratch directory, never into tests/fuzz/corpus/.
# Usage: tests/fuzz/smoke.sh BUILD_DIR_OF_THE_FUZZERS   (e.g. build/fuzz/tests/fuzz)
# Exit: 0 when no target found anything; else the failing target's status
# (its crash-* / timeout-* / leak-* file is left in the scratch directory, named in the log).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "${1:?usage: smoke.sh DIR_WITH_FUZZ_BINARIES}" && pwd)"
seconds="${KPI_FUZZ_SECONDS:-15}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/kpi-fuzz-smoke.XXXXXX")"
status=0
for target in fuzz_csv_reader fuzz_json_reader fuzz_timestamp fuzz_rules fuzz_bulk; do
  mkdir -p "$scratch/$target/new"
  echo "== $target ($seconds s)"
  if ! (cd "$scratch/$target" &&
        "$bin/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
          -print_final_stats=1 \
          new "$here/corpus/$target" > log 2>&1); then
    status=1
    echo "$target FAILED; log and reproducer in $scratch/$target:"
    tail -n 40 "$scratch/$target/log"
    ls "$scratch/$target"
    continue
  fi
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
    "$scratch/$target/log" || true
  rm -rf "${scratch:?}/$target"
done
[ "$status" -eq 0 ] && rm -rf "$scratch"
exit "$status"
