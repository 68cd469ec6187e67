#!/usr/bin/env node
// compare.mjs — compare two result files in kpi's JSON shape ({"results": [{metric, period,
// value, dims?}]}), e.g. kpi's output against duckdb_report.mjs's, or two DuckDB variants.
//
// Usage: node compare.mjs [--rel 1e-9] REFERENCE.json OTHER.json [MORE.json...]
//   Every result of REFERENCE is looked up in the union of the OTHER files by
//   (metric, period, dims); numbers must agree within the relative tolerance (DuckDB sums in
//   parallel, so its floating-point sums differ in the last bits from run to run), nulls must
//   be null. Results only in the OTHER files are fine (kpi computes more metrics than the SQL).
//   kpi's funnel step "<n>:<event>" is matched to the SQL's "<event>", and a null
//   funnel_median_time (step 1) to kpi leaving it out.
// Exit status: 0 all matched, 1 differences or missing results (listed, first 20), 2 usage.

import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let rel = 1e-9;
const files = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--rel') rel = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length < 2 || !(rel >= 0)) {
  process.stderr.write('usage: node compare.mjs [--rel 1e-9] REFERENCE.json OTHER.json [MORE.json...]\n');
  process.exit(2);
}

const load = (f) => {
  const j = JSON.parse(readFileSync(f, 'utf8'));
  return Array.isArray(j) ? j : j.results;
};
// kpi labels a funnel step "<n>:<event>" (CLI.md: `step` = "<n>:<event>", so a step given
// twice stays two steps); the SQL labels it "<event>". Both are compared by the event name.
const dimValue = (name, value) =>
  name === 'step' && typeof value === 'string' ? value.replace(/^[0-9]+:/, '') : value;
const key = (r) => {
  const dims = r.dims
    ? Object.keys(r.dims).sort().map((k) => `${k}=${dimValue(k, r.dims[k])}`).join(',')
    : '';
  return `${r.metric}|${r.period}|${dims}`;
};

const ref = load(files[0]);
const other = new Map();
for (const f of files.slice(1)) for (const r of load(f)) other.set(key(r), r.value);

const problems = [];
const missing = new Map();  // metric -> [count, first key]
let matched = 0;
for (const r of ref) {
  const k = key(r);
  // METRICS.md §3: funnel_median_time has no value for step 1 ("none for step 1"); kpi leaves
  // that result out, the SQL writes it as null. Same meaning: a match.
  if (!other.has(k) && r.value === null && r.metric === 'funnel_median_time') {
    ++matched;
    continue;
  }
  if (!other.has(k)) {
    const m = missing.get(r.metric) ?? [0, k];
    missing.set(r.metric, [m[0] + 1, m[1]]);
    continue;
  }
  const a = r.value, b = other.get(k);
  const same = a === null || b === null
    ? a === b
    : Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
  if (same) ++matched;
  else problems.push(`differs  ${k}: ${a} vs ${b}`);
}
process.stdout.write(`compare: ${matched}/${ref.length} results of ${files[0]} match` +
  ` (relative tolerance ${rel})\n`);
for (const [metric, [count, first]] of missing)
  problems.push(`missing  ${metric}: ${count} result(s), e.g. ${first}`);
if (problems.length) {
  process.stdout.write(problems.slice(0, 20).map((p) => `  ${p}\n`).join(''));
  if (problems.length > 20) process.stdout.write(`  ... and ${problems.length - 20} more\n`);
  process.exit(1);
}
