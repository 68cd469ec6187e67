#!/usr/bin/env bash
# run.sh — the kpi benchmark, end to end: generate data, build kpi (release), time kpi and
# DuckDB on the same files, print checksums of kpi's outputs, compare results, and write the
# results table into bench/README.md (between <!-- bench:begin --> and <!-- bench:end -->).
#
#   bash bench/run.sh                      # 10M rows, 3 runs each, CSV and NDJSON
#   bash bench/run.sh --rows 1000000       # a quick run
#   bash bench/run.sh --huge               # kpi only, 100M CSV rows (~5.7 GB), 1 run: memory
#
# Options:
#   --rows N          events to generate (default 10000000)
#   --runs R          timed runs per command; the median wall time is reported (default 3)
#   --seed S          generator seed (default 42)
#   --formats LIST    csv,ndjson (default both)
#   --huge            kpi only on 100M CSV rows, one run; table between <!-- bench-huge:... -->
#   --skip-duckdb     time kpi only            --skip-kpi   time DuckDB only
#   --threads N       DuckDB threads (default: DuckDB's own default, all cores)
#   --no-readme       print the table, leave bench/README.md alone
#   --no-build        do not (re)build kpi; use build/release/apps/kpi/kpi as it is
# Everything generated goes to bench/data/ (git-ignored); outputs of the last run of each
# command are in bench/data/out/.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
cd "$ROOT"  # paths below are relative to the repo root, so kpi's outputs (which name the
            # input file) and their checksums are the same on every machine

ROWS=10000000 RUNS=3 SEED=42 FORMATS=csv,ndjson HUGE=0 DO_DUCK=1 DO_KPI=1 THREADS= README=1 BUILD=1
STEPS=page_view,signup,activation,trial_start,purchase
die() { echo "run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=${2:?}; shift ;;
    --runs) RUNS=${2:?}; shift ;;
    --seed) SEED=${2:?}; shift ;;
    --formats) FORMATS=${2:?}; shift ;;
    --huge) HUGE=1 ;;
    --skip-duckdb) DO_DUCK=0 ;;
    --skip-kpi) DO_KPI=0 ;;
    --threads) THREADS=${2:?}; shift ;;
    --no-readme) README=0 ;;
    --no-build) BUILD=0 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
if [ "$HUGE" = 1 ]; then ROWS=100000000 RUNS=1 FORMATS=csv DO_DUCK=0; fi
[[ "$ROWS" =~ ^[0-9]+$ && "$RUNS" =~ ^[1-9][0-9]*$ && "$SEED" =~ ^[0-9]+$ ]] || die "bad --rows/--runs/--seed"
[ -x /usr/bin/time ] || die "needs GNU time at /usr/bin/time (apt-get install time)"

DATA=bench/data OUT=bench/data/out
mkdir -p "$DATA" "$OUT"
log() { printf '== %s\n' "$*" >&2; }

# ---- 1. generator --------------------------------------------------------------------------
GEN=$DATA/gen_events
if [ ! -x "$GEN" ] || [ bench/gen_events.cpp -nt "$GEN" ]; then
  log "building the generator"
  g++ -O2 -std=c++20 -ffp-contract=off -o "$GEN" bench/gen_events.cpp
fi
GEN_SHA=$(sha256sum bench/gen_events.cpp | cut -c1-16)

# gen FORMAT -> prints the path; reuses the file when rows, seed and generator are unchanged.
gen() {
  local fmt=$1 path=$DATA/events_${ROWS}_s${SEED}.$1
  local stamp="rows=$ROWS seed=$SEED format=$fmt generator=$GEN_SHA"
  if [ -f "$path" ] && [ "$(cat "$path.stamp" 2>/dev/null)" = "$stamp" ]; then
    log "reusing $path"
  else
    log "generating $path ($ROWS rows)"
    local t0=$SECONDS
    "$GEN" --rows "$ROWS" --seed "$SEED" --format "$fmt" --out "$path.tmp"
    mv "$path.tmp" "$path"
    echo "$stamp" > "$path.stamp"
    log "generated in $((SECONDS - t0)) s, $(du -h "$path" | cut -f1)"
  fi
  echo "$path"
}

# ---- 2. DuckDB (npm) and kpi (CMake release) -----------------------------------------------
if [ "$DO_DUCK" = 1 ] && [ ! -d bench/node_modules/@duckdb/node-api ]; then
  log "npm install in bench/"
  (cd bench && npm install --no-audit --no-fund >&2)
fi
KPI=${KPI_BIN:-build/release/apps/kpi/kpi}  # KPI_BIN: time another binary (implies --no-build)
[ -n "${KPI_BIN:-}" ] && BUILD=0
KPI_STATE=ok
if [ "$DO_KPI" = 1 ]; then
  if [ "$BUILD" = 1 ]; then
    log "building kpi (release); log in $OUT/build.log"
    if ! { cmake --preset release && cmake --build --preset release; } > "$OUT/build.log" 2>&1; then
      KPI_STATE="kpi did not build"
      log "kpi did not build (see $OUT/build.log); kpi rows will say so"
    fi
  fi
  [ -x "$KPI" ] || KPI_STATE="kpi did not build"
fi

# ---- 3. timing -------------------------------------------------------------------------------
# measure NAME OUTFILE CMD... : runs CMD $RUNS times (stdout to OUTFILE), sets
#   M_STATUS (ok | not implemented | failed (exit N) | sanity check failed), M_WALL (median s),
#   M_RSS (max peak RSS, KB). Stops at the first failed run.
measure() {
  local name=$1 outfile=$2; shift 2
  local walls=() rss=0 i rc line w m
  M_STATUS=ok M_WALL= M_RSS=
  for ((i = 1; i <= RUNS; i++)); do
    rc=0
    /usr/bin/time -f '%e %M' -o "$OUT/$name.time" -- "$@" > "$outfile" 2> "$OUT/$name.err" || rc=$?
    if [ "$rc" != 0 ]; then
      if grep -qiE 'unknown (sub)?command|not (yet )?implemented|unrecognized command|invalid command' "$OUT/$name.err"; then
        M_STATUS="not implemented"
      elif [ "$rc" = 3 ] && grep -q 'sanity check failed' "$OUT/$name.err"; then
        M_STATUS="sanity check failed"
      else
        M_STATUS="failed (exit $rc)"
      fi
      log "$name: $M_STATUS: $(head -c 300 "$OUT/$name.err" | head -3)"
      return 0
    fi
    line=$(tail -n 1 "$OUT/$name.time")
    w=${line% *} m=${line#* }
    walls+=("$w")
    [ "$m" -gt "$rss" ] && rss=$m
    log "$name run $i: ${w} s, $((m / 1024)) MB"
  done
  M_WALL=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  M_RSS=$rss
}

ROWS_MD=()   # table rows: "tool|format|wall|rss_kb|status|ref"
declare -A REF_WALL
CHECKSUMS=()
add_row() { ROWS_MD+=("$1|$2|${M_WALL}|${M_RSS}|${M_STATUS}|$3"); }

IFS=, read -r -a FMTS <<< "$FORMATS"
for fmt in "${FMTS[@]}"; do
  [ "$fmt" = csv ] || [ "$fmt" = ndjson ] || die "unknown format $fmt"
  file=$(gen "$fmt")
  log "warming the page cache for $file"
  cat "$file" > /dev/null

  if [ "$DO_DUCK" = 1 ]; then
    node_args=()
    [ -n "$THREADS" ] && node_args+=(--threads "$THREADS")
    if [ "$fmt" = csv ]; then variants=(typed auto); else variants=(ndjson); fi
    for v in "${variants[@]}"; do
      measure "duckdb_$v" "$OUT/duckdb_$v.log" \
        node bench/duckdb_report.mjs --variant "$v" --out "$OUT/duckdb_$v.json" "${node_args[@]}" "$file"
      [ "$M_STATUS" = ok ] && [ -z "${REF_WALL[$fmt]:-}" ] && REF_WALL[$fmt]=$M_WALL
      add_row "DuckDB $(node -p "require('./bench/node_modules/@duckdb/node-api/package.json').version" 2>/dev/null | sed 's/-r\..*//') ($v, full report)" "$fmt" "$fmt"
    done
  fi

  if [ "$DO_KPI" = 1 ]; then
    total=0 total_rss=0 total_ok=1 sums=()
    for cmd in compute funnel retention; do
      out="$OUT/kpi_${cmd}_$fmt.json"
      case $cmd in
        compute)   args=(compute --period month "$file" -f json) ;;
        funnel)    args=(funnel --steps "$STEPS" "$file" -f json) ;;
        retention) args=(retention --period week "$file" -f json) ;;
      esac
      if [ "$KPI_STATE" != ok ]; then
        M_STATUS=$KPI_STATE M_WALL= M_RSS=
      else
        # stdout, not "-o /dev/null": -o writes atomically (temp file + rename), which must
        # never be pointed at a device; the output is wanted for the checksum anyway.
        measure "kpi_${cmd}_$fmt" "$out" "$KPI" "${args[@]}"
      fi
      add_row "kpi $cmd" "$fmt" "$fmt"
      if [ "$M_STATUS" = ok ]; then
        total=$(awk -v a="$total" -v b="$M_WALL" 'BEGIN {print a + b}')
        [ "$M_RSS" -gt "$total_rss" ] && total_rss=$M_RSS
        sums+=("$out")
        CHECKSUMS+=("$(sha256sum "$out" | cut -c1-64)  kpi $cmd ($fmt)")
      else
        total_ok=0
      fi
    done
    if [ "$total_ok" = 1 ]; then
      M_STATUS=ok M_WALL=$total M_RSS=$total_rss
      CHECKSUMS+=("$(cat "${sums[@]}" | sha256sum | cut -c1-64)  kpi all three ($fmt)")
    else
      M_STATUS="incomplete (a command above did not run)" M_WALL= M_RSS=
    fi
    add_row "**kpi total** (compute + funnel + retention)" "$fmt" "$fmt"

    # The same three commands reading standard input from a pipe, and the pipe alone.
    if [ "$KPI_STATE" = ok ] && [ "$HUGE" != 1 ]; then
      measure "pipe_alone_$fmt" /dev/null sh -c 'cat "$1" | cat > /dev/null' sh "$file"
      add_row "the pipe alone (cat FILE, piped to cat)" "$fmt" "$fmt"
      ptotal=0 prss=0 pipe_ok=1
      for cmd in compute funnel retention; do
        out="$OUT/kpi_${cmd}_pipe_$fmt.json"
        case $cmd in
          compute)   args=(compute --period month - -f json) ;;
          funnel)    args=(funnel --steps "$STEPS" - -f json) ;;
          retention) args=(retention --period week - -f json) ;;
        esac
        measure "kpi_${cmd}_pipe_$fmt" "$out" sh -c 'f=$1; shift; cat "$f" | "$@"' sh "$file" "$KPI" "${args[@]}"
        add_row "kpi $cmd, from a pipe (cat FILE, piped to kpi … -)" "$fmt" "$fmt"
        if [ "$M_STATUS" = ok ]; then
          ptotal=$(awk -v a="$ptotal" -v b="$M_WALL" 'BEGIN {print a + b}')
          [ "$M_RSS" -gt "$prss" ] && prss=$M_RSS
          # Same results as from the file: only the input's name ("-") differs.
          sed "s|\"files\": \[\"-\"\]|\"files\": [\"$file\"]|" "$out" | cmp -s - "$OUT/kpi_${cmd}_$fmt.json" ||
            log "kpi $cmd ($fmt): the output read from a pipe differs from the file's"
        else
          pipe_ok=0
        fi
      done
      if [ "$pipe_ok" = 1 ]; then M_STATUS=ok M_WALL=$ptotal M_RSS=$prss; else M_STATUS="incomplete" M_WALL= M_RSS=; fi
      add_row "**kpi total from a pipe**" "$fmt" "$fmt"
    fi

    # Do kpi and DuckDB agree? (Informational: definitions are listed in bench/README.md.)
    if [ "$DO_DUCK" = 1 ] && [ ${#sums[@]} -gt 0 ]; then
      ref=$OUT/duckdb_typed.json; [ "$fmt" = ndjson ] && ref=$OUT/duckdb_ndjson.json
      if [ -f "$ref" ]; then
        log "comparing kpi ($fmt) with DuckDB"
        node bench/compare.mjs --rel 1e-6 "$ref" "${sums[@]}" >&2 || log "kpi and DuckDB differ (see above)"
      fi
    fi
  fi
done

# ---- 4. report -------------------------------------------------------------------------------
fmt_row() {  # tool|format|wall|rss|status|ref -> markdown row
  local tool fmt wall rss status ref ratio
  IFS='|' read -r tool fmt wall rss status ref <<< "$1"
  if [ "$status" != ok ]; then
    echo "| $tool | $fmt | $status | | |"
    return
  fi
  ratio=
  local rw=${REF_WALL[$ref]:-}
  [ -n "$rw" ] && ratio=$(awk -v a="$wall" -v b="$rw" 'BEGIN {if (b > 0) printf "%.2f", a / b}')
  printf '| %s | %s | %.2f | %.0f | %s |\n' "$tool" "$fmt" "$wall" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$ratio"
}

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
mem=$(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo 2>/dev/null || true)
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
sizes=$(for f in "${FMTS[@]}"; do printf '%s %s, ' "$f" "$(du -h "$DATA/events_${ROWS}_s${SEED}.$f" | cut -f1)"; done)
kpi_version=$([ -x "$KPI" ] && "$KPI" --version 2>/dev/null | head -1 || echo "n/a")
table=$(
  echo "Measured $(date -u +%Y-%m-%d) on $(nproc) CPUs ($cpu, $mem RAM), commit \`$commit\`, kpi \`$kpi_version\`, node $(node --version 2>/dev/null || echo n/a)."
  echo "$(printf "%'d" "$ROWS" 2>/dev/null || echo "$ROWS") events (seed $SEED; ${sizes%, }), warm page cache, median of $RUNS run(s); peak RSS is the maximum over the runs."
  echo "\"vs DuckDB\" is wall time ÷ DuckDB's on the same file (typed CSV for CSV rows): below 1.00 is faster than DuckDB."
  echo
  echo "| tool | format | wall s | peak RSS MB | vs DuckDB |"
  echo "|---|---|---:|---:|---:|"
  for r in "${ROWS_MD[@]}"; do fmt_row "$r"; done
  if [ "$DO_DUCK" = 1 ]; then
    echo
    echo "DuckDB's own split of its last run (seconds: load = read the file into a table):"
    echo
    echo "| variant | load | events | funnel | retention | total |"
    echo "|---|---:|---:|---:|---:|---:|"
    for v in typed auto ndjson; do
      [ -f "$OUT/duckdb_$v.json" ] && [[ ",$FORMATS," == *",$([ $v = ndjson ] && echo ndjson || echo csv),"* ]] || continue
      node -e 'const t=JSON.parse(require("fs").readFileSync(process.argv[1])).timings_s; const f=x=>x.toFixed(2);
        console.log(`| ${process.argv[2]} | ${f(t.load)} | ${f(t.events)} | ${f(t.funnel)} | ${f(t.retention)} | ${f(t.total)} |`)' \
        "$OUT/duckdb_$v.json" "$v"
    done
  fi
  if [ ${#CHECKSUMS[@]} -gt 0 ]; then
    echo
    echo "sha256 of kpi's JSON outputs (identical results ⇔ identical checksums):"
    echo
    echo '```'
    printf '%s\n' "${CHECKSUMS[@]}"
    echo '```'
  fi
)

echo
echo "$table"
if [ ${#CHECKSUMS[@]} -gt 0 ]; then
  echo
  echo "checksums:"; printf '  %s\n' "${CHECKSUMS[@]}"
fi

if [ "$README" = 1 ]; then
  begin='<!-- bench:begin -->' end='<!-- bench:end -->'
  [ "$HUGE" = 1 ] && begin='<!-- bench-huge:begin -->' end='<!-- bench-huge:end -->'
  readme=bench/README.md
  if grep -qF "$begin" "$readme" && grep -qF "$end" "$readme"; then
    printf '%s\n' "$table" > "$OUT/table.md"
    awk -v b="$begin" -v e="$end" -v tf="$OUT/table.md" '
      $0 == b { print; while ((getline l < tf) > 0) print l; skip = 1; next }
      $0 == e { skip = 0 }
      !skip { print }' "$readme" > "$readme.tmp" && mv "$readme.tmp" "$readme"
    log "wrote the table into $readme"
  else
    log "markers $begin / $end not found in $readme; table not written"
  fi
fi
