#!/usr/bin/env python3
"""Independent reference implementation of the `events` metrics of METRICS.md.

Written from /work/shared/spec/METRICS.md (section 2: "Time and range",
"Percentiles", "Segments", "events"; section 3: funnels and retention) and
CLI.md only, without reading kpi's C++ sources.  It is deliberately simple:
plain loops over Python sets and dicts, no clever incremental structures, so
that each number can be traced back to a sentence of the spec.

Usage (a subset of kpi's own command line; output is kpi's `-f json` shape):

    events_reference.py compute   FILE [--period P] [--tz Z] [--from D] [--to D] [--by COL]...
                                  [--event ROLE=NAME]... [--active-event E]... [--session-timeout DUR]
                                  [--activation-window DUR] [--early-churn-days N] [--time-to E]...
    events_reference.py funnel    FILE --steps A,B,C [--window DUR] [--order ordered|strict|any]
                                  [--period P] [--by COL]... [--tz Z] [--from D] [--to D]
    events_reference.py retention FILE [--period P] [--horizon N] [--mode on|on_or_after]
                                  [--cohort first|recurring] [--start-event E] [--return-event E]
                                  [--by COL]... [--tz Z] [--from D] [--to D]

Readings of places where the spec is silent or ambiguous (each marked AMBIGUITY in the code):
  A1  `wau` for `--period all`: every ISO week overlapping the range belongs to `all`
      (the whole range is one period, so the Thursday's period is always `all`).
  A2  The end of the range used by the "decidable" rule is the local midnight that ends the
      last in-range day (an instant, exclusive); `first + window <= that instant`.
  A3  A local time that does not exist or is ambiguous (DST) is resolved as Python's
      zoneinfo does with fold=0 (gap: offset before the change; overlap: first occurrence).
  A4  Features reported: every distinct non-empty `feature` of the (segment's) in-range rows,
      in every period (0 where unused).
  A5  Funnel `ordered`/`any`: a row already used by an earlier step is never reused (the spec
      only says "a different row" than step k-1).  Ties between equal timestamps: input order.
  A6  Funnel `funnel_median_time` for `any` is the signed difference t(k) - t(k-1).
  A7  Funnel step 1 rates with no entrants: null (zero denominator) rather than 100.
  A8  Retention `first` cohorts: offset 0 is forced to 100% / cohort size (Results sentence),
      even with a --return-event the user did not do in the cohort period.
  A9  Retention `first` with --start-event: the cohort occurrence (first start event in the
      whole input) must lie inside the range; users whose occurrence is before --from are
      not in any cohort.
  A10 Retention: `retained_users` of an empty cohort is 0 (rate null); of a cell beyond the
      range null.
  A11 Which --by segments exist: every value of the column over all rows of the input
      (history rows and rows after the range included), for compute, funnel and retention
      alike. (kpi: compute does the same; funnel and retention report only segments with
      at least one in-range row; the spec does not say.)
  A12 `--by` in a funnel: per section 3 the user belongs to the segment of the entry event,
      and their later steps are searched among all their rows (not only that segment's).
  A13 Fractional seconds are kept to the nanosecond here; kpi keeps microseconds (truncated).
      The spec names no precision; the difference is far below the 1e-9 relative tolerance.
"""
import argparse
import csv
import json
import math
import re
import sys
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from zoneinfo import ZoneInfo

NS = 10**9

# ----------------------------------------------------------------------------- parsing


def parse_tz(s):
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", s)
    if m:
        off = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
        return timezone(-off if m.group(1) == "-" else off)
    if s.upper() == "UTC":
        return timezone.utc
    return ZoneInfo(s)


def parse_duration(s):
    """'90s', '30m', '24h', '14d' (a bare number: days, for --early-churn-days) -> ns."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", s.strip())
    if not m:
        raise SystemExit(f"bad duration {s!r}")
    mult = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 86400}[m.group(2)]
    return int(round(float(m.group(1)) * mult * NS))


ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_ts(s, tz):
    """-> integer nanoseconds since the epoch (UTC)."""
    s = s.strip()
    if re.fullmatch(r"\d+", s):
        v = int(s)
        return v * 1_000_000 if v >= 10**11 else v * NS  # ms when >= 10^11
    m = ISO.fullmatch(s)
    if not m:
        raise SystemExit(f"bad timestamp {s!r}")
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hh = int(m.group(4) or 0)
    mi = int(m.group(5) or 0)
    ss = int(m.group(6) or 0)
    frac = m.group(7) or ""
    frac_ns = int((frac + "000000000")[:9]) if frac else 0
    off = m.group(8)
    if off:
        if off in ("Z", "z"):
            zone = timezone.utc
        else:
            zone = parse_tz(off if ":" in off else off[:3] + ":" + off[3:])
    else:
        zone = tz  # AMBIGUITY A3: fold=0
    dt = datetime(y, mo, d, hh, mi, ss, tzinfo=zone)
    return int(dt.timestamp()) * NS + frac_ns


def parse_date(s):
    return date.fromisoformat(s)


class Row:
    __slots__ = ("i", "user", "ts", "event", "session", "feature", "value", "props", "day")


def read_rows(path, tz):
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for i, rec in enumerate(csv.DictReader(f)):
            r = Row()
            r.i = i
            r.user = rec["user_id"]
            r.ts = parse_ts(rec["timestamp"], tz)
            r.event = rec["event"]
            r.session = (rec.get("session_id") or "").strip()
            r.feature = (rec.get("feature") or "").strip()
            v = (rec.get("value") or "").strip()
            r.value = float(v) if v != "" else None
            r.props = rec
            r.day = local_day(r.ts, tz)
            rows.append(r)
    return rows


def local_day(ts_ns, tz):
    return datetime.fromtimestamp(ts_ns // NS, tz).date()


def local_midnight_ns(d, tz):
    """Instant (ns) of the local midnight starting day d."""
    return int(datetime.combine(d, time(0), tzinfo=tz).timestamp()) * NS


# ----------------------------------------------------------------------------- periods


def period_label(d, period):
    if period == "day":
        return d.isoformat()
    if period == "week":
        y, w, _ = d.isocalendar()
        return f"{y}-W{w:02d}"
    if period == "month":
        return f"{d.year}-{d.month:02d}"
    if period == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if period == "year":
        return f"{d.year}"
    if period == "all":
        return "all"
    raise SystemExit(f"bad period {period}")


def period_start(d, period):
    if period == "day":
        return d
    if period == "week":
        return d - timedelta(days=d.weekday())
    if period == "month":
        return d.replace(day=1)
    if period == "quarter":
        return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    if period == "year":
        return date(d.year, 1, 1)
    raise SystemExit(f"bad period {period}")


def add_months(d, n):
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def next_period_start(start, period):
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return add_months(start, 1)
    if period == "quarter":
        return add_months(start, 3)
    if period == "year":
        return date(start.year + 1, 1, 1)
    raise SystemExit(f"bad period {period}")


def days_between(a, b):
    """Inclusive list of dates a..b."""
    out = []
    d = a
    while d <= b:
        out.append(d)
        d += timedelta(days=1)
    return out


class Range:
    def __init__(self, rows, args, tz):
        days = [r.day for r in rows]
        self.first = parse_date(args.from_) if args.from_ else min(days)
        self.last = parse_date(args.to) if args.to else max(days)
        self.tz = tz
        self.start_ns = local_midnight_ns(self.first, tz)
        self.end_ns = local_midnight_ns(self.last + timedelta(days=1), tz)  # exclusive
        self.days = days_between(self.first, self.last)

    def contains_day(self, d):
        return self.first <= d <= self.last

    def in_range(self, r):
        return self.first <= r.day <= self.last


def percentile7(xs, p):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return None
    h = (n - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def ratio(num, den, scale=100.0):
    if den == 0 or num is None or den is None:
        return None
    return num / den * scale


# ----------------------------------------------------------------------------- compute

ROLE_DEFAULTS = {
    "page_view": "page_view", "click": "click", "trial": "trial_start", "mql": "mql",
    "sql": "sql", "pql": "pql", "purchase": "purchase", "activation": "activation",
    "onboarding_view": "onboarding_view", "onboarding_start": "onboarding_start",
    "onboarding_complete": "onboarding_complete",
}


def compute_segment(rows, rng, args, dims, out, warnings):
    period = args.period
    tz = rng.tz
    roles = dict(ROLE_DEFAULTS)
    for kv in args.event or []:
        k, v = kv.split("=", 1)
        roles[k] = v
    roles.setdefault("value", roles["purchase"])
    active_events = set(args.active_event or [])
    timeout = parse_duration(args.session_timeout)
    act_window = parse_duration(args.activation_window)
    churn_window = parse_duration(args.early_churn_days)
    present_events = {r.event for r in rows}
    for role, name in roles.items():
        if name not in present_events:
            warnings.append(f"role {role} ({name}) never occurs")

    inr = [r for r in rows if rng.in_range(r)]  # rows after the range are ignored;
    # rows before --from are history only (first events, earlier trials)

    # the periods of the range, in order, each with its in-range days
    labels = []
    pdays = defaultdict(list)
    for d in rng.days:
        lab = period_label(d, period)
        if lab not in pdays:
            labels.append(lab)
        pdays[lab].append(d)
    reported = set(labels)
    p_first = {lab: ds[0] for lab, ds in pdays.items()}
    p_last = {lab: ds[-1] for lab, ds in pdays.items()}

    def emit(metric, lab, value, unit, extra=None):
        dd = dict(dims)
        if extra:
            dd.update(extra)
        res = {"metric": metric, "period": lab, "value": value, "unit": unit}
        if dd:
            res["dims"] = dd
        out.append(res)

    def is_active(r):
        return not active_events or r.event in active_events

    # active users per day
    day_users = defaultdict(set)
    for r in inr:
        if is_active(r):
            day_users[r.day].add(r.user)

    def users_over(days):
        s = set()
        for d in days:
            s |= day_users.get(d, set())
        return s

    # first event of each user in the whole input (history included; rows after the
    # range are ignored, and could never be a first event of a user seen in range anyway)
    first_ts = {}
    last_ts = {}
    for r in rows:
        if r.ts >= rng.end_ns:
            continue
        if r.user not in first_ts or r.ts < first_ts[r.user]:
            first_ts[r.user] = r.ts
        if r.user not in last_ts or r.ts > last_ts[r.user]:
            last_ts[r.user] = r.ts
    first_day = {u: local_day(t, tz) for u, t in first_ts.items()}

    # first occurrence of an event per user (history included, range end excluded)
    def first_of(event):
        f = {}
        for r in rows:
            if r.event == event and r.ts < rng.end_ns:
                if r.user not in f or r.ts < f[r.user]:
                    f[r.user] = r.ts
        return f

    # rows per period
    prow = defaultdict(list)
    for r in inr:
        prow[period_label(r.day, period)].append(r)

    # sessions: in-range events of one user ordered by time
    by_user = defaultdict(list)
    for r in inr:
        by_user[r.user].append(r)
    sessions = []  # lists of rows
    for u, rs in by_user.items():
        rs.sort(key=lambda r: (r.ts, r.i))
        keyed = defaultdict(list)
        blank = []
        for r in rs:
            if r.session:
                keyed[r.session].append(r)
            else:
                blank.append(r)
        sessions.extend(keyed.values())
        cur = []
        for r in blank:
            if cur and r.ts - cur[-1].ts > timeout:
                sessions.append(cur)
                cur = []
            cur.append(r)
        if cur:
            sessions.append(cur)
    psess = defaultdict(list)
    for s in sessions:
        start = min(r.ts for r in s)
        psess[period_label(local_day(start, tz), period)].append(s)

    features = sorted({r.feature for r in inr if r.feature})

    # ISO weeks overlapping the range, with the period they belong to
    weeks = {}
    for d in rng.days:
        mon = d - timedelta(days=d.weekday())
        weeks.setdefault(mon, []).append(d)
    months = {}
    for d in rng.days:
        months.setdefault((d.year, d.month), []).append(d)

    first_trial = first_of(roles["trial"])
    trial_times = defaultdict(list)
    for r in rows:
        if r.event == roles["trial"] and r.ts < rng.end_ns:
            trial_times[r.user].append(r.ts)
    activation_times = defaultdict(list)
    for r in rows:
        if r.event == roles["activation"] and r.ts < rng.end_ns:
            activation_times[r.user].append(r.ts)
    time_to_events = [("time_to_value", roles["value"])] + [
        (f"time_to_{e}", e) for e in (args.time_to or [])]
    first_of_tt = {name: first_of(ev) for name, ev in time_to_events}

    for lab in labels:
        days = pdays[lab]
        rs = prow[lab]
        lo_ns = local_midnight_ns(days[0], tz)
        hi_ns = local_midnight_ns(days[-1] + timedelta(days=1), tz)  # exclusive end of period

        active = users_over(days)
        emit("active_users", lab, len(active), "count")
        dau = sum(len(day_users.get(d, ())) for d in days) / len(days)
        emit("dau", lab, dau, "count")
        if period != "day":
            if period == "week":
                wk = [days]
            else:
                wk = []
                for mon, wdays in weeks.items():
                    thu = mon + timedelta(days=3)
                    # AMBIGUITY A1: `all` owns every week
                    owner = "all" if period == "all" else period_label(thu, period)
                    if owner == lab and owner in reported:
                        wk.append(wdays)
            wau = sum(len(users_over(w)) for w in wk) / len(wk) if wk else None
            emit("wau", lab, wau, "count")
        if period in ("month", "quarter", "year", "all"):
            ms = [mdays for key, mdays in months.items()
                  if any(d in set(days) for d in mdays)]
            mau = sum(len(users_over(m)) for m in ms) / len(ms)
            emit("mau", lab, mau, "count")
            emit("stickiness", lab, ratio(dau, mau), "%")

        new = {u for u, d in first_day.items() if days[0] <= d <= days[-1]}
        total = {u for u, t in first_ts.items() if t < hi_ns}
        emit("new_users", lab, len(new), "count")
        emit("total_users", lab, len(total), "count")
        emit("product_adoption_rate", lab, ratio(len(new), len(total)), "%")

        for f in features:
            fu = len({r.user for r in rs if r.feature == f})
            emit("feature_users", lab, fu, "count", {"feature": f})
            emit("feature_adoption_rate", lab, ratio(fu, len(active)), "%", {"feature": f})

        ss = psess[lab]
        n_s = len(ss)
        dur = sum((max(r.ts for r in s) - min(r.ts for r in s)) for s in ss) / NS
        pv = sum(1 for s in ss for r in s if r.event == roles["page_view"])
        ck = sum(1 for s in ss for r in s if r.event == roles["click"])
        ac = sum(len(s) for s in ss)
        emit("sessions", lab, n_s, "count")
        emit("total_session_duration", lab, dur, "s")
        emit("page_views", lab, pv, "count")
        emit("clicks", lab, ck, "count")
        emit("actions", lab, ac, "count")
        emit("pages_per_session", lab, ratio(pv, n_s, 1), "ratio")
        emit("clicks_per_session", lab, ratio(ck, n_s, 1), "ratio")
        emit("actions_per_session", lab, ratio(ac, n_s, 1), "ratio")
        emit("avg_session_duration", lab, ratio(dur, n_s, 1), "s")

        def users_with(event):
            return {r.user for r in rs if r.event == event}

        visitors = len(users_with(roles["page_view"]))
        trials = len(users_with(roles["trial"]))
        mqls = len(users_with(roles["mql"]))
        sqls = len(users_with(roles["sql"]))
        pqls = len(users_with(roles["pql"]))
        paying = len(users_with(roles["purchase"]))
        conv = set()
        for r in rs:
            if r.event == roles["purchase"] and any(t <= r.ts for t in trial_times[r.user]):
                conv.add(r.user)
        emit("visitors", lab, visitors, "count")
        emit("trial_signups", lab, trials, "count")
        emit("mqls", lab, mqls, "count")
        emit("sqls", lab, sqls, "count")
        emit("pqls", lab, pqls, "count")
        emit("paying_users", lab, paying, "count")
        emit("trial_conversions", lab, len(conv), "count")
        ov = len(users_with(roles["onboarding_view"]))
        ost = len(users_with(roles["onboarding_start"]))
        oc = len(users_with(roles["onboarding_complete"]))
        emit("onboarding_views", lab, ov, "count")
        emit("onboarding_started", lab, ost, "count")
        emit("onboarding_completed", lab, oc, "count")
        emit("onboarding_completion_rate", lab, ratio(oc, ost), "%")
        emit("conversion_rate", lab, ratio(paying, len(total)), "%")
        emit("visitor_to_trial_rate", lab, ratio(trials, visitors), "%")
        emit("visitor_to_sql_rate", lab, ratio(sqls, visitors), "%")
        emit("trial_to_pql_rate", lab, ratio(pqls, trials), "%")
        emit("trial_to_paid_rate", lab, ratio(len(conv), trials), "%")

        # windows after a user's first event; AMBIGUITY A2 for the range end
        dec_a = [u for u in new if first_ts[u] + act_window <= rng.end_ns]
        activated = [u for u in dec_a
                     if any(first_ts[u] <= t <= first_ts[u] + act_window
                            for t in activation_times[u])]
        emit("activated_users", lab, len(activated), "count")
        emit("activation_rate", lab, ratio(len(activated), len(dec_a)), "%")
        if len(dec_a) < len(new):
            warnings.append(f"activation {lab}: {len(new) - len(dec_a)} undecidable")
        dec_c = [u for u in new if first_ts[u] + churn_window <= rng.end_ns]
        churned = [u for u in dec_c if last_ts[u] - first_ts[u] < churn_window]
        emit("early_churned_users", lab, len(churned), "count")
        emit("early_churn_rate", lab, ratio(len(churned), len(dec_c)), "%")

        for name, _ev in time_to_events:
            fo = first_of_tt[name]
            xs = [(fo[u] - first_ts[u]) / NS for u in new if u in fo]
            emit(name, lab, percentile7(xs, 0.5), "s")
            emit(name + "_p90", lab, percentile7(xs, 0.9), "s")

        rev = 0.0
        for r in rs:
            if r.event == roles["purchase"]:
                if r.value is None:
                    warnings.append(f"revenue {lab}: purchase without value")
                else:
                    rev += r.value
        emit("revenue", lab, rev, "currency")


def segments_of(rows, by):
    if not by:
        return [({}, rows)]
    groups = defaultdict(list)
    for r in rows:
        key = tuple((r.props.get(c) or "").strip() for c in by)
        groups[key].append(r)
    return [(dict(zip(by, key)), groups[key]) for key in sorted(groups)]


def cmd_compute(args):
    tz = parse_tz(args.tz)
    rows = read_rows(args.file, tz)
    rng = Range(rows, args, tz)
    out, warnings = [], []
    for dims, rs in segments_of(rows, args.by):
        compute_segment(rs, rng, args, dims, out, warnings)
    return out, warnings


# ----------------------------------------------------------------------------- funnel


def cmd_funnel(args):
    tz = parse_tz(args.tz)
    rows = read_rows(args.file, tz)
    rng = Range(rows, args, tz)
    steps = args.steps.split(",")
    window = parse_duration(args.window)
    period = args.period
    labels = []
    for d in rng.days:
        lab = period_label(d, period)
        if lab not in labels:
            labels.append(lab)

    by_user = defaultdict(list)
    for r in rows:
        if rng.in_range(r):
            by_user[r.user].append(r)

    # per user: the times of the steps reached, and the entry row
    results = {}  # user -> (entry_row, [t1, t2, ...])
    for u, rs in by_user.items():
        rs.sort(key=lambda r: (r.ts, r.i))
        entries = [r for r in rs if r.event == steps[0]]
        if not entries:
            continue
        entry = entries[0]
        wend = entry.ts + window
        reached = [entry]
        used = {entry.i}
        if args.order == "strict":
            pos = rs.index(entry)
            for s in steps[1:]:
                if pos + 1 >= len(rs):
                    break
                nxt = rs[pos + 1]
                if nxt.event != s or nxt.ts > wend:
                    break
                reached.append(nxt)
                pos += 1
        elif args.order == "ordered":
            prev = entry
            for s in steps[1:]:
                cands = [r for r in rs if r.event == s and r.ts >= prev.ts and r.ts <= wend
                         and r.i not in used]  # AMBIGUITY A5
                if not cands:
                    break
                prev = min(cands, key=lambda r: (r.ts, r.i))
                used.add(prev.i)
                reached.append(prev)
        elif args.order == "any":
            for s in steps[1:]:
                cands = [r for r in rs if r.event == s and entry.ts <= r.ts <= wend
                         and r.i not in used]
                if not cands:
                    break
                c = min(cands, key=lambda r: (r.ts, r.i))
                used.add(c.i)
                reached.append(c)
        else:
            raise SystemExit("bad order")
        results[u] = (entry, [r.ts for r in reached])

    seg_cols = args.by or []
    seg_values = sorted({tuple((r.props.get(c) or "").strip() for c in seg_cols) for r in rows}) \
        if seg_cols else [()]
    out = []
    cells = defaultdict(list)  # (seg, label) -> list of times lists
    for u, (entry, ts) in results.items():
        seg = tuple((entry.props.get(c) or "").strip() for c in seg_cols)
        cells[(seg, period_label(entry.day, period))].append(ts)
    for seg in seg_values:
        dims0 = dict(zip(seg_cols, seg))
        for lab in labels:
            lst = cells[(seg, lab)]
            n = [sum(1 for ts in lst if len(ts) > k) for k in range(len(steps))]
            for k, s in enumerate(steps):
                dims = dict(dims0)
                dims["step"] = f"{k + 1}:{s}"
                out.append({"metric": "funnel_users", "period": lab, "value": n[k],
                            "unit": "count", "dims": dims})
                out.append({"metric": "funnel_conversion", "period": lab,
                            "value": ratio(n[k], n[0]), "unit": "%", "dims": dims})
                out.append({"metric": "funnel_step_conversion", "period": lab,
                            "value": ratio(n[k], n[k - 1]) if k else ratio(n[0], n[0]),
                            "unit": "%", "dims": dims})
                if k:
                    xs = [(ts[k] - ts[k - 1]) / NS for ts in lst if len(ts) > k]
                    out.append({"metric": "funnel_median_time", "period": lab,
                                "value": percentile7(xs, 0.5), "unit": "s", "dims": dims})
    return out, []


# ----------------------------------------------------------------------------- retention


def cmd_retention(args):
    tz = parse_tz(args.tz)
    rows = read_rows(args.file, tz)
    rng = Range(rows, args, tz)
    out, warnings = [], []
    for dims, rs in segments_of(rows, args.by):
        retention_segment(rs, rng, args, dims, out, warnings)
    return out, warnings


def retention_segment(rows, rng, args, dims, out, warnings):
    period = args.period
    tz = rng.tz
    # cohorts: every period of the range, by start date
    starts = []
    for d in rng.days:
        st = period_start(d, period)
        if st not in starts:
            starts.append(st)
    label_of = {st: period_label(st, period) for st in starts}

    # activity: in-range periods where the user is active (or does the return event)
    activity = defaultdict(set)
    for r in rows:
        if rng.in_range(r) and (not args.return_event or r.event == args.return_event):
            activity[r.user].add(period_start(r.day, period))

    members = defaultdict(set)  # cohort start -> users
    if args.cohort == "first":
        first = {}
        for r in rows:
            if args.start_event and r.event != args.start_event:
                continue
            if r.ts >= rng.end_ns:
                continue
            if r.user not in first or r.ts < first[r.user]:
                first[r.user] = r.ts
        for u, t in first.items():
            d = local_day(t, tz)
            if rng.contains_day(d):  # AMBIGUITY A9
                members[period_start(d, period)].add(u)
    elif args.cohort == "recurring":
        for r in rows:
            if rng.in_range(r) and (not args.start_event or r.event == args.start_event):
                members[period_start(r.day, period)].add(r.user)
    else:
        raise SystemExit("bad cohort")

    def emit(metric, lab, value, unit, extra=None):
        dd = dict(dims)
        if extra:
            dd.update(extra)
        res = {"metric": metric, "period": lab, "value": value, "unit": unit}
        if dd:
            res["dims"] = dd
        out.append(res)

    for st in starts:
        lab = label_of[st]
        coh = members[st]
        emit("cohort_size", lab, len(coh), "count")
        p = st
        for k in range(args.horizon + 1):
            if k:
                p = next_period_start(p, period)
            if p > rng.last:  # the period lies beyond the range
                emit("retained_users", lab, None, "count", {"offset": str(k)})
                emit("retention_rate", lab, None, "%", {"offset": str(k)})
                continue
            if k == 0 and args.cohort == "first":  # AMBIGUITY A8
                n = len(coh)
            elif args.mode == "on":
                n = sum(1 for u in coh if p in activity[u])
            else:
                n = sum(1 for u in coh if any(q >= p for q in activity[u]))
            emit("retained_users", lab, n, "count", {"offset": str(k)})  # AMBIGUITY A10
            emit("retention_rate", lab, ratio(n, len(coh)), "%", {"offset": str(k)})


# ----------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p, default_period):
        p.add_argument("file")
        p.add_argument("--tz", default="UTC")
        p.add_argument("--from", dest="from_")
        p.add_argument("--to")
        p.add_argument("--by", action="append")
        p.add_argument("-p", "--period", default=default_period)
        p.add_argument("-f", "--format", default="json")

    c = sub.add_parser("compute")
    common(c, "month")
    c.add_argument("--event", action="append")
    c.add_argument("--active-event", action="append")
    c.add_argument("--session-timeout", default="30m")
    c.add_argument("--activation-window", default="14d")
    c.add_argument("--early-churn-days", default="14")
    c.add_argument("--time-to", action="append")

    fu = sub.add_parser("funnel")
    common(fu, "all")
    fu.add_argument("--steps", required=True)
    fu.add_argument("--window", default="14d")
    fu.add_argument("--order", default="ordered")

    re_ = sub.add_parser("retention")
    common(re_, "week")
    re_.add_argument("--horizon", type=int, default=12)
    re_.add_argument("--mode", default="on")
    re_.add_argument("--cohort", default="first")
    re_.add_argument("--start-event")
    re_.add_argument("--return-event")

    args = ap.parse_args(argv)
    if args.cmd == "compute":
        out, warnings = cmd_compute(args)
    elif args.cmd == "funnel":
        out, warnings = cmd_funnel(args)
    else:
        out, warnings = cmd_retention(args)
    json.dump({"results": out, "warnings": warnings}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
