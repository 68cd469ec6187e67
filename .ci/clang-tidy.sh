#!/usr/bin/env bash
# The clang-tidy gate: runs clang-tidy (checks in /.clang-tidy) over every
# translation unit of src/, apps/ and tests/ in build/dev/compile_commands.json
# and fails on any finding. Needs `cmake --preset dev` first (the dev build is not
# needed, only its compile database).
#
#   bash .ci/clang-tidy.sh                 # everything, 2 jobs (CI)
#   bash .ci/clang-tidy.sh src/check/ apps # only files under these paths (regexes)
#   KPI_TIDY_JOBS=1 bash .ci/clang-tidy.sh # on a machine that is busy
#
# Prints each finding once (a header's finding repeats in every file that includes
# it), then a count per check and the wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${KPI_TIDY_BUILD:-build/dev}
jobs=${KPI_TIDY_JOBS:-2}
db=$build/compile_commands.json
if [ ! -f "$db" ]; then
  echo "clang-tidy: $db is missing: run 'cmake --preset dev' first" >&2
  exit 2
fi
tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [ -z "$tidy" ]; then
  echo "clang-tidy: clang-tidy is not installed (Debian package clang-tidy; .ci/install-deps.sh)" >&2
  exit 2
fi
# KPI_TIDY_RUNNER= (empty) forces the xargs fallback.
runner=${KPI_TIDY_RUNNER-$(command -v run-clang-tidy-14 || command -v run-clang-tidy || true)}

# Project translation units only (the database also lists nothing else today, but
# a vendored or generated file must not slip in).
files_re="^$root/(src|apps|tests)/"
[ $# -gt 0 ] && files_re="^$root/($(IFS='|'; echo "$*"))"
count=$(sed -n 's/^ *"file": "\(.*\)".*/\1/p' "$db" | grep -Ec "$files_re" || true)
if [ "$count" -eq 0 ]; then
  echo "clang-tidy: no translation unit in $db matches $files_re" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
echo "clang-tidy: $("$tidy" --version | sed -n 's/.*LLVM version \([0-9.]*\).*/\1/p'), $count files, $jobs jobs, $(basename "${runner:-xargs}")"
status=0
if [ -n "$runner" ]; then
  "$runner" -quiet -j "$jobs" -p "$build" -clang-tidy-binary "$tidy" "$files_re" >"$work/log" 2>&1 || status=$?
else
  sed -n 's/^ *"file": "\(.*\)".*/\1/p' "$db" | grep -E "$files_re" |
    xargs -P "$jobs" -I{} sh -c '"$1" -quiet -p "$2" "$3" >"$4/$(echo "$3" | tr / _).log" 2>&1' \
      _ "$tidy" "$build" {} "$work" || status=$?
  cat "$work"/*.log >"$work/log"
fi
elapsed=$((SECONDS - start))

# Findings: "<file>:<line>:<col>: warning|error: <message> [<check>(,-warnings-as-errors)]",
# colours stripped (run-clang-tidy forces --use-color), each location+check once. A
# message that runs over several lines has its [check] on a later line: such a
# finding is still counted, under the check "(see the log)".
sed 's/\x1b\[[0-9;]*m//g' "$work/log" |
  sed -n -e 's/^\(\/[^ :]*:[0-9]*:[0-9]*\): \(warning\|error\): \(.*\) \[\([^]]*\)\]$/\1\t\4\t\3/p' \
         -e 't' \
         -e 's/^\(\/[^ :]*:[0-9]*:[0-9]*\): \(warning\|error\): \(.*\)$/\1\t(see the log)\t\3/p' |
  sed 's/,-warnings-as-errors\t/\t/' | sort -u -t$'\t' -k1,1V -k2,2 >"$work/findings"
n=$(wc -l <"$work/findings")
if [ "$n" -gt 0 ]; then
  awk -F'\t' -v root="$root/" '{ f = $1; sub("^" root, "", f); printf "%s: [%s] %s\n", f, $2, $3 }' "$work/findings"
  echo "-- findings per check:"
  cut -f2 "$work/findings" | sort | uniq -c | sort -rn
fi
if [ "$status" -ne 0 ] && [ "$n" -eq 0 ]; then
  # clang-tidy failed without a finding we could parse (a crash, a compile error
  # in an unusual format): show its output as is.
  sed 's/\x1b\[[0-9;]*m//g' "$work/log" | grep -v '^\(/usr/bin/\)\?clang-tidy' | tail -50
fi
if [ "$n" -gt 0 ] || [ "$status" -ne 0 ]; then
  echo "clang-tidy: FAILED, $n finding(s) in $count files, ${elapsed}s"
  exit 1
fi
echo "clang-tidy: OK, no findings in $count files, ${elapsed}s"
