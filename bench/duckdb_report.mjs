#!/usr/bin/env node
// duckdb_report.mjs — the DuckDB side of the kpi benchmark (benchmark-only dependency).
//
// Loads an events file into an in-memory DuckDB table and computes, in SQL, the equivalent of
//   kpi compute   --period month  (the events metrics listed in bench/README.md)
//   kpi funnel    --steps page_view,signup,activation,trial_start,purchase   (ordered, 14d window)
//   kpi retention --period week   (first-event cohorts, offsets 0..12, mode "on")
// prints the wall time of each query group, and writes the results in the shape of kpi's JSON
// output ({"results": [{"metric", "period", "value", "dims"?}]}) so both can be compared.
//
// Usage: node duckdb_report.mjs --variant typed|auto|ndjson [--out FILE] [--threads N] FILE
//   typed   read_csv with explicit column types (timestamp parsed as TIMESTAMP)
//   auto    read_csv_auto with default detection (timestamp detected as TIMESTAMPTZ, cast to UTC)
//   ndjson  read_ndjson with explicit column types
// Exit status: 0 ok, 2 usage, 3 a sanity check on the results failed (printed on stderr).

import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const STEPS = ['page_view', 'signup', 'activation', 'trial_start', 'purchase'];
const WINDOW_DAYS = 14;
const SESSION_TIMEOUT_S = 1800;
const HORIZON = 12;

function usage(msg) {
  process.stderr.write(`duckdb_report: ${msg}\n` +
    'usage: node duckdb_report.mjs --variant typed|auto|ndjson [--out FILE] [--threads N] FILE\n');
  process.exit(2);
}

const args = process.argv.slice(2);
let variant = 'typed', out = null, threads = null, file = null;
for (let i = 0; i < args.length; ++i) {
  const a = args[i];
  const val = () => (i + 1 < args.length ? args[++i] : usage(`missing value for ${a}`));
  if (a === '--variant') variant = val();
  else if (a === '--out') out = val();
  else if (a === '--threads') threads = Number(val());
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else if (file === null) file = a;
  else usage('one input file only');
}
if (!file) usage('no input file');
if (!['typed', 'auto', 'ndjson'].includes(variant)) usage(`unknown variant ${variant}`);

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;
const COLUMNS = `{'user_id': 'VARCHAR', 'timestamp': 'TIMESTAMP', 'event': 'VARCHAR',
  'session_id': 'VARCHAR', 'feature': 'VARCHAR', 'value': 'DOUBLE'}`;
const SOURCE = {
  typed: `read_csv(${sqlString(file)}, header = true, delim = ',', quote = '"', columns = ${COLUMNS})`,
  auto: `read_csv_auto(${sqlString(file)})`,
  ndjson: `read_ndjson(${sqlString(file)}, columns = ${COLUMNS})`,
}[variant];

// ---------------------------------------------------------------------------------------------
// SQL. Table `ev(user_id, ts TIMESTAMP (UTC), event, session_id, feature, value)`.

// The analysis range: first to last day present; months of the range (every one reported).
const RANGE_SQL = `
CREATE TEMP TABLE days AS
  SELECT CAST(d AS DATE) AS d
  FROM (SELECT min(ts)::DATE AS d0, max(ts)::DATE AS d1 FROM ev) r,
       generate_series(r.d0::TIMESTAMP, r.d1::TIMESTAMP, INTERVAL 1 DAY) g(d);
CREATE TEMP TABLE months AS
  SELECT date_trunc('month', d)::DATE AS m, count(*) AS ndays FROM days GROUP BY 1;`;

// Activity per month: DAU (mean over the month's in-range days, empty days count as 0), MAU
// (= distinct users of the month for --period month), WAU (mean over ISO weeks whose Thursday
// lies in the month), new and total users.
const ACTIVITY_SQL = `
WITH daily AS (
  SELECT ts::DATE AS d, count(DISTINCT user_id) AS n FROM ev GROUP BY 1),
dau AS (
  SELECT date_trunc('month', days.d)::DATE AS m, avg(coalesce(daily.n, 0)) AS dau
  FROM days LEFT JOIN daily USING (d) GROUP BY 1),
monthly AS (
  SELECT date_trunc('month', ts)::DATE AS m, count(DISTINCT user_id) AS active_users FROM ev GROUP BY 1),
weekly AS (
  SELECT date_trunc('week', ts)::DATE AS w, count(DISTINCT user_id) AS n FROM ev GROUP BY 1),
wau AS (
  SELECT date_trunc('month', w + 3)::DATE AS m, avg(n) AS wau FROM weekly GROUP BY 1),
firsts AS (
  SELECT user_id, min(ts) AS f FROM ev GROUP BY 1),
newu AS (
  SELECT date_trunc('month', f)::DATE AS m, count(*) AS new_users FROM firsts GROUP BY 1)
SELECT strftime(months.m, '%Y-%m') AS period,
       dau.dau, coalesce(wau.wau, 0) AS wau, coalesce(monthly.active_users, 0) AS active_users,
       coalesce(newu.new_users, 0) AS new_users,
       sum(coalesce(newu.new_users, 0)) OVER (ORDER BY months.m) AS total_users
FROM months
LEFT JOIN dau USING (m) LEFT JOIN monthly USING (m) LEFT JOIN wau USING (m) LEFT JOIN newu USING (m)
ORDER BY months.m`;

// Sessions by the 30-minute gap rule: a new session when the gap to the user's previous event is
// greater than the timeout; a session belongs to the month in which it starts.
const SESSIONS_SQL = `
WITH marked AS (
  SELECT user_id, ts, event,
         CASE WHEN lag(ts) OVER w IS NULL
                OR epoch(ts) - epoch(lag(ts) OVER w) > ${SESSION_TIMEOUT_S} THEN 1 ELSE 0 END AS is_new
  FROM ev WINDOW w AS (PARTITION BY user_id ORDER BY ts)),
numbered AS (
  SELECT *, sum(is_new) OVER (PARTITION BY user_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS s
  FROM marked),
sessions AS (
  SELECT user_id, s, min(ts) AS st, epoch(max(ts)) - epoch(min(ts)) AS dur,
         count(*) FILTER (WHERE event = 'page_view') AS page_views,
         count(*) FILTER (WHERE event = 'click') AS clicks, count(*) AS actions
  FROM numbered GROUP BY 1, 2),
per_month AS (
  SELECT date_trunc('month', st)::DATE AS m, count(*) AS sessions, sum(dur) AS total_session_duration,
         sum(page_views) AS page_views, sum(clicks) AS clicks, sum(actions) AS actions
  FROM sessions GROUP BY 1)
SELECT strftime(months.m, '%Y-%m') AS period, coalesce(sessions, 0) AS sessions,
       coalesce(total_session_duration, 0) AS total_session_duration,
       coalesce(page_views, 0) AS page_views, coalesce(clicks, 0) AS clicks,
       coalesce(actions, 0) AS actions
FROM months LEFT JOIN per_month USING (m) ORDER BY months.m`;

// Conversions per month (distinct users with the role's event) and revenue.
const CONVERSIONS_SQL = `
WITH per_month AS (
  SELECT date_trunc('month', ts)::DATE AS m,
         count(DISTINCT user_id) FILTER (WHERE event = 'page_view') AS visitors,
         count(DISTINCT user_id) FILTER (WHERE event = 'trial_start') AS trial_signups,
         count(DISTINCT user_id) FILTER (WHERE event = 'purchase') AS paying_users,
         count(DISTINCT user_id) FILTER (WHERE event = 'onboarding_start') AS onboarding_started,
         count(DISTINCT user_id) FILTER (WHERE event = 'onboarding_complete') AS onboarding_completed,
         sum(value) FILTER (WHERE event = 'purchase') AS revenue
  FROM ev GROUP BY 1)
SELECT strftime(months.m, '%Y-%m') AS period, coalesce(visitors, 0) AS visitors,
       coalesce(trial_signups, 0) AS trial_signups, coalesce(paying_users, 0) AS paying_users,
       coalesce(onboarding_started, 0) AS onboarding_started,
       coalesce(onboarding_completed, 0) AS onboarding_completed, coalesce(revenue, 0) AS revenue
FROM months LEFT JOIN per_month USING (m) ORDER BY months.m`;

const FEATURES_SQL = `
SELECT strftime(date_trunc('month', ts), '%Y-%m') AS period, feature,
       count(DISTINCT user_id) AS feature_users
FROM ev WHERE feature IS NOT NULL AND feature <> '' GROUP BY 1, 2 ORDER BY 1, 2`;

// Ordered funnel: a user enters at their first step-1 event; step k is the earliest Sk at or
// after step k-1 and within WINDOW_DAYS (inclusive) of the entry.
function funnelSql() {
  const parts = [`s1 AS (SELECT user_id, min(ts) AS t1 FROM ev WHERE event = ${sqlString(STEPS[0])} GROUP BY 1)`];
  for (let k = 2; k <= STEPS.length; ++k) {
    const prevCols = Array.from({ length: k - 1 }, (_, i) => `p.t${i + 1}`).join(', ');
    const groupCols = Array.from({ length: k }, (_, i) => i + 1).join(', ');
    parts.push(`s${k} AS (
  SELECT p.user_id, ${prevCols}, min(e.ts) AS t${k}
  FROM s${k - 1} p JOIN ev e
    ON e.user_id = p.user_id AND e.event = ${sqlString(STEPS[k - 1])}
   AND e.ts >= p.t${k - 1} AND e.ts <= p.t1 + INTERVAL ${WINDOW_DAYS} DAY
  GROUP BY ${groupCols})`);
  }
  const selects = STEPS.map((_, i) => {
    const k = i + 1;
    const median = k === 1 ? 'NULL::DOUBLE'
      : `quantile_cont(epoch(t${k}) - epoch(t${k - 1}), 0.5)`;
    return `SELECT ${k} AS k, count(*) AS users, ${median} AS median_time FROM s${k}`;
  });
  return `WITH ${parts.join(',\n')}\n${selects.join('\nUNION ALL\n')}\nORDER BY k`;
}

// Weekly retention: cohort = ISO week of the user's first event; retained at offset k when
// active in week cohort+k; cells beyond the last week of the range are null.
const RETENTION_SQL = `
WITH firsts AS (
  SELECT user_id, date_trunc('week', min(ts))::DATE AS c FROM ev GROUP BY 1),
active AS (
  SELECT DISTINCT user_id, date_trunc('week', ts)::DATE AS w FROM ev),
cells AS (
  SELECT f.c, (a.w - f.c) // 7 AS k, count(*) AS n
  FROM firsts f JOIN active a USING (user_id)
  WHERE a.w >= f.c AND a.w - f.c <= ${HORIZON * 7} GROUP BY 1, 2),
sizes AS (SELECT c, count(*) AS size FROM firsts GROUP BY 1),
bounds AS (SELECT min(date_trunc('week', d))::DATE AS w0, max(date_trunc('week', d))::DATE AS w1 FROM days),
cohorts AS (
  SELECT CAST(g.c AS DATE) AS c FROM bounds,
         generate_series(bounds.w0::TIMESTAMP, bounds.w1::TIMESTAMP, INTERVAL 7 DAY) g(c)),
grid AS (SELECT c, k FROM cohorts, range(0, ${HORIZON + 1}) r(k))
SELECT strftime(grid.c, '%G-W%V') AS cohort, grid.k AS k, coalesce(sizes.size, 0) AS size,
       CASE WHEN grid.c + INTERVAL (7 * grid.k) DAY > bounds.w1 THEN NULL
            ELSE coalesce(cells.n, 0) END AS retained
FROM grid CROSS JOIN bounds LEFT JOIN sizes USING (c) LEFT JOIN cells USING (c, k)
ORDER BY grid.c, grid.k`;

// ---------------------------------------------------------------------------------------------
const num = (v) => (v === null || v === undefined ? null : Number(v));
const pct = (a, b) => (a === null || b === null || b === 0 ? null : (a / b) * 100);
const ratio = (a, b) => (a === null || b === null || b === 0 ? null : a / b);

const instance = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : {});
const con = await instance.connect();
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJS();
const timings = {};
async function timed(name, fn) {
  const t0 = performance.now();
  const r = await fn();
  timings[name] = (performance.now() - t0) / 1000;
  process.stdout.write(`${variant.padEnd(6)} ${name.padEnd(10)} ${timings[name].toFixed(3)} s\n`);
  return r;
}

const wall0 = performance.now();
await con.run(`SET TimeZone = 'UTC'`);  // auto detects TIMESTAMPTZ; casts must not use the local zone
await timed('load', async () => {
  await con.run(`CREATE TABLE ev AS
    SELECT user_id, CAST("timestamp" AS TIMESTAMP) AS ts, event, session_id, feature,
           CAST(value AS DOUBLE) AS value
    FROM ${SOURCE}`);
  await con.run(RANGE_SQL);
});

const results = [];
const push = (metric, period, value, dims) =>
  results.push(dims ? { metric, period, value, dims } : { metric, period, value });

// The events group is four queries; their own times are kept too (timings_s.events_*).
const part = async (name, sql) => {
  const t0 = performance.now();
  const r = await rows(sql);
  timings[`events_${name}`] = (performance.now() - t0) / 1000;
  return r;
};
const ev = await timed('events', async () => ({
  activity: await part('activity', ACTIVITY_SQL),
  sessions: await part('sessions', SESSIONS_SQL),
  conversions: await part('conversions', CONVERSIONS_SQL),
  features: await part('features', FEATURES_SQL),
}));
process.stdout.write(`${' '.repeat(7)}(events: ${['activity', 'sessions', 'conversions', 'features']
  .map((n) => `${n} ${timings[`events_${n}`].toFixed(3)} s`).join(', ')})\n`);
const funnel = await timed('funnel', () => rows(funnelSql()));
const retention = await timed('retention', () => rows(RETENTION_SQL));
timings.total = (performance.now() - wall0) / 1000;
process.stdout.write(`${variant.padEnd(6)} ${'total'.padEnd(10)} ${timings.total.toFixed(3)} s\n`);

// Events metrics, in the catalog's vocabulary (kpi metric ids).
const activeByPeriod = new Map();
for (let i = 0; i < ev.activity.length; ++i) {
  const a = ev.activity[i], s = ev.sessions[i], c = ev.conversions[i];
  const p = a.period;
  const dau = num(a.dau), mau = num(a.active_users), active = num(a.active_users);
  const newUsers = num(a.new_users), total = num(a.total_users);
  activeByPeriod.set(p, active);
  const sessions = num(s.sessions);
  const metrics = {
    active_users: active, dau, wau: num(a.wau), mau, stickiness: pct(dau, mau),
    new_users: newUsers, total_users: total, product_adoption_rate: pct(newUsers, total),
    sessions, total_session_duration: num(s.total_session_duration),
    page_views: num(s.page_views), clicks: num(s.clicks), actions: num(s.actions),
    avg_session_duration: ratio(num(s.total_session_duration), sessions),
    pages_per_session: ratio(num(s.page_views), sessions),
    clicks_per_session: ratio(num(s.clicks), sessions),
    actions_per_session: ratio(num(s.actions), sessions),
    visitors: num(c.visitors), trial_signups: num(c.trial_signups), paying_users: num(c.paying_users),
    onboarding_started: num(c.onboarding_started), onboarding_completed: num(c.onboarding_completed),
    revenue: num(c.revenue),
    conversion_rate: pct(num(c.paying_users), total),
    visitor_to_trial_rate: pct(num(c.trial_signups), num(c.visitors)),
    onboarding_completion_rate: pct(num(c.onboarding_completed), num(c.onboarding_started)),
  };
  for (const [m, v] of Object.entries(metrics)) push(m, p, v);
}
for (const f of ev.features) {
  const users = num(f.feature_users);
  push('feature_users', f.period, users, { feature: f.feature });
  push('feature_adoption_rate', f.period, pct(users, activeByPeriod.get(f.period) ?? null), { feature: f.feature });
}

// Funnel (one period, "all").
const entered = funnel.length ? num(funnel[0].users) : 0;
for (let i = 0; i < STEPS.length; ++i) {
  const users = i < funnel.length ? num(funnel[i].users) : 0;
  const prev = i === 0 ? users : num(funnel[i - 1].users);
  const dims = { step: STEPS[i] };
  push('funnel_users', 'all', users, dims);
  push('funnel_conversion', 'all', pct(users, entered), dims);
  push('funnel_step_conversion', 'all', pct(users, prev), dims);
  push('funnel_median_time', 'all', i === 0 ? null : num(funnel[i].median_time), dims);
}

// Retention.
for (const r of retention) {
  const size = num(r.size), retained = num(r.retained), k = num(r.k);
  if (k === 0) push('cohort_size', r.cohort, size);
  push('retained_users', r.cohort, retained, { offset: String(k) });
  push('retention_rate', r.cohort, pct(retained, size), { offset: String(k) });
}

// Sanity checks: cheap invariants that catch a wrong query or a broken generator.
const problems = [];
const byMetric = (m) => results.filter((r) => r.metric === m);
for (const r of byMetric('stickiness'))
  if (r.value !== null && !(r.value > 0 && r.value <= 100)) problems.push(`stickiness ${r.period} = ${r.value}`);
for (const r of byMetric('dau')) {
  const mau = results.find((x) => x.metric === 'mau' && x.period === r.period)?.value;
  if (r.value > mau) problems.push(`dau > mau in ${r.period}`);
}
const fu = byMetric('funnel_users').map((r) => r.value);
for (let i = 1; i < fu.length; ++i)
  if (fu[i] > fu[i - 1]) problems.push(`funnel not monotone at step ${i + 1}: ${fu.join(' > ')}`);
if (!(fu[0] > 0)) problems.push('nobody entered the funnel');
for (const r of byMetric('retention_rate'))
  if (r.dims.offset === '0' && r.value !== null && Math.abs(r.value - 100) > 1e-9)
    problems.push(`retention offset 0 of ${r.period} = ${r.value}`);
const newSum = byMetric('new_users').reduce((a, r) => a + r.value, 0);
const cohortSum = byMetric('cohort_size').reduce((a, r) => a + r.value, 0);
if (newSum !== cohortSum) problems.push(`new users ${newSum} != cohort sizes ${cohortSum}`);

const [{ n: nrows }] = await rows('SELECT count(*) AS n FROM ev');
const report = {
  tool: 'duckdb', duckdb_version: (await rows('SELECT version() AS v'))[0].v, variant,
  threads: num((await rows(`SELECT current_setting('threads') AS t`))[0].t),
  inputs: { files: [file], kind: 'events', rows: num(nrows) },
  timings_s: timings, sanity_problems: problems, results,
};
if (out) writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
con.closeSync();
instance.closeSync?.();
if (problems.length) {
  process.stderr.write(`duckdb_report: sanity check failed:\n  ${problems.join('\n  ')}\n`);
  process.exit(3);
}
