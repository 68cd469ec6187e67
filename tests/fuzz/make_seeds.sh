#!/usr/bin/env bash
# Refreshes the committed seed corpora tests/fuzz/corpus/<target>/ from the
# inputs of examples/ and tests/golden/ (small files only: seeds are for
# coverage, not volume), plus the hand-written seeds kept in seeds/.
# Usage: tests/fuzz/make_seeds.sh   (from anywhere; rewrites corpus/ in place)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
max_bytes=4096
corpus="$here/corpus"
rm -rf "$corpus"
mkdir -p "$corpus"/{fuzz_csv_reader,fuzz_json_reader,fuzz_timestamp,fuzz_rules,fuzz_bulk}

# Copies $1 to corpus/$2/ under a name made from its path (cases reuse file names).
add() {
  local src="$1" target="$2"
  [ "$(stat -c %s "$src")" -le "$max_bytes" ] || return 0
  local rel="${src#"$root"/}"
  cp "$src" "$corpus/$target/${rel//\//_}"
}

shopt -s nullglob
for f in "$root"/examples/*.csv "$root"/tests/golden/*/*.csv "$root"/tests/golden/*/*.tsv; do
  add "$f" fuzz_csv_reader
done
for f in "$root"/examples/*.json "$root"/examples/*.ndjson "$root"/tests/golden/*/*.json \
         "$root"/tests/golden/*/*.ndjson "$root"/tests/golden/*/*.jsonl; do
  add "$f" fuzz_json_reader
done
for f in "$root"/examples/rules.txt "$root"/tests/golden/*/rules*.txt; do
  add "$f" fuzz_rules
done
# fuzz_bulk: events files behind the byte that picks the format and the chunks
# (csv 0, tsv 1, ndjson 2; (byte / 3) % 7 + 1 chunks).
add_bulk() {
  local src="$1" lead="$2"
  [ "$(stat -c %s "$src")" -le "$max_bytes" ] || return 0
  local rel="${src#"$root"/}"
  { printf "\\x$lead"; cat "$src"; } > "$corpus/fuzz_bulk/${rel//\//_}"
}
for f in "$root"/tests/golden/events_*/*.csv; do add_bulk "$f" 0f; done
for f in "$root"/tests/golden/events_*/*.tsv; do add_bulk "$f" 10; done
for f in "$root"/tests/golden/events_*/*.ndjson "$root"/examples/events_nested.ndjson; do add_bulk "$f" 11; done
# Keep at most a few dozen seeds per target: drop duplicates by content.
for dir in "$corpus"/*/; do
  declare -A seen=()
  for f in "$dir"*; do
    sum="$(sha1sum < "$f" | cut -c1-40)"
    if [ -n "${seen[$sum]:-}" ]; then rm "$f"; else seen[$sum]=1; fi
  done
  unset seen
done
# Hand-written seeds: timestamps/zones/formats/durations, and shapes the
# examples lack (quotes, CRLF, BOM, nesting, escapes, comments).
cp "$here"/seeds/fuzz_timestamp/* "$corpus/fuzz_timestamp/"
cp "$here"/seeds/fuzz_csv_reader/* "$corpus/fuzz_csv_reader/"
cp "$here"/seeds/fuzz_json_reader/* "$corpus/fuzz_json_reader/"
cp "$here"/seeds/fuzz_rules/* "$corpus/fuzz_rules/"
for dir in "$corpus"/*/; do
  echo "$(basename "$dir"): $(find "$dir" -type f | wc -l) seeds, $(du -sk "$dir" | cut -f1) KiB"
done
