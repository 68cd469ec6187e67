#!/usr/bin/env python3
"""Independent reference implementation of kpi's record kinds subscriptions, tickets,
responses and work_items, written from /work/shared/spec/METRICS.md (sections 1 and 2)
and CLI.md only.  Deliberately simple and slow: every snapshot is recomputed from the
rows.  Standard library only.

Usage (mirrors `kpi compute ... -f json`):
  records_reference.py --kind subscriptions [-p month] [--tz ZONE] [--from D] [--to D]
                       [--by COL]... [--target CHANNEL=DUR]... [--survey nps|csat] FILE...

Readings of the spec where it leaves room (each one is marked READING in the code):
 R1 range: the default range is the first..last local day of the columns that bucket a
    row (tickets: created_at; work_items: completed_at; responses: timestamp) and, for
    subscriptions, start and end of the rows that are not left out as trialing etc.
    (first draft used every timestamp column incl. first_response_at/resolved_at/due_at
    and trialing rows; kpi does not, and the spec's wording allows both -- adopted kpi's).
 R2 a period cut by --from starts (for snapshots, and for "before P") at local midnight of
    --from; cut by --to it ends at local midnight after --to.
 R3 "new" vs "reactivation": a *paid* subscription is a non-trial row with amount > 0
    and end > start (first draft also took zero-length rows; kpi does not -- adopted);
    "starting before P" means start < the first instant of P's in-range part (R2), rows
    before --from included (they are history).
 R4 `new_customers` (the reported metric) = customers with MRR 0 at the start and > 0 at
    the end, joined *or* reactivated, as the subscriptions bullet on retention_rate
    defines it; `reactivated_customers` is the reactivated subset.
 R5 `avg_customer_lifetime` / `ltv` have no value for --period all (no length in months);
    a cut period keeps the length of its kind.
 R6 segments: a segment exists for every value present in the column (for subscriptions:
    in the rows that are not left out as trialing/incomplete); each segment is computed
    from its own rows only over the common range.
 R7 tickets: "within target" means response time <= target; channel names compared
    case-insensitively; blank/unknown channel gets 24 h.  `--target others=DUR` names a
    channel literally called "others"; the fallback is set with `--target '*'=DUR` or
    `default=DUR` (kpi's documented extension, mirrored here).
 R10 percentiles of an empty set and every ratio with a zero denominator are null; counts
    and sums of an empty period are 0.
 R8 work_items: defects, deliveries, points are bucketed by completed_at; items without
    completed_at count nowhere; `defects` counts every bug/defect item completed in the
    period (with or without `found`); blank points count 0; blank sprint is not a sprint.
 R9 responses: the NPS metric group is reported when the input has NPS rows, the CSAT
    group when it has CSAT rows; tickets report the csat group only with a satisfaction
    column, first-response metrics only with a first_response_at column, escalation
    only with an escalated column; work_items delivery metrics only with due_at, defect
    metrics only with type (delivered_items always: without type every item is a
    non-defect).
"""
import argparse
import csv
import datetime as dt
import json
import math
import re
import sys
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


# ----------------------------------------------------------------------------- time
def parse_zone(s):
    m = re.fullmatch(r'([+-])(\d{2}):?(\d{2})', s)
    if m:
        sign = 1 if m.group(1) == '+' else -1
        return dt.timezone(sign * dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3))))
    if s.upper() in ('UTC', 'Z'):
        return UTC
    return ZoneInfo(s)


TS_RE = re.compile(r'(\d{4})-(\d{2})-(\d{2})'
                   r'(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
                   r'\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?')


def parse_ts(s, tz):
    """Return an aware UTC datetime."""
    s = s.strip()
    if re.fullmatch(r'-?\d+', s) and len(s.lstrip('-')) > 8:
        n = int(s)
        if abs(n) >= 10 ** 11:
            return EPOCH + dt.timedelta(milliseconds=n)
        return EPOCH + dt.timedelta(seconds=n)
    m = TS_RE.fullmatch(s)
    if not m:
        raise ValueError('bad timestamp %r' % s)
    y, mo, d, hh, mi, ss, frac, off = m.groups()
    us = 0
    if frac:
        us = int((frac + '000000')[:6])
    naive = dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), us)
    if off:
        if off in ('Z', 'z'):
            zone = UTC
        else:
            sign = 1 if off[0] == '+' else -1
            digits = off[1:].replace(':', '')
            h = int(digits[:2])
            mm = int(digits[2:4]) if len(digits) > 2 else 0
            zone = dt.timezone(sign * dt.timedelta(hours=h, minutes=mm))
        return naive.replace(tzinfo=zone).astimezone(UTC)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def local_date(inst, tz):
    return inst.astimezone(tz).date()


def local_midnight(d, tz):
    return dt.datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC)


# -------------------------------------------------------------------------- periods
def period_key(d, kind):
    """(label, calendar first day, calendar last day) of the period containing date d."""
    if kind == 'day':
        return d.isoformat(), d, d
    if kind == 'week':
        iy, iw, wd = d.isocalendar()
        first = d - dt.timedelta(days=wd - 1)
        return '%04d-W%02d' % (iy, iw), first, first + dt.timedelta(days=6)
    if kind == 'month':
        first = d.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return '%04d-%02d' % (d.year, d.month), first, nxt - dt.timedelta(days=1)
    if kind == 'quarter':
        q = (d.month - 1) // 3
        first = dt.date(d.year, 3 * q + 1, 1)
        nxt = dt.date(d.year + 1, 1, 1) if q == 3 else dt.date(d.year, 3 * q + 4, 1)
        return '%04d-Q%d' % (d.year, q + 1), first, nxt - dt.timedelta(days=1)
    if kind == 'year':
        return '%04d' % d.year, dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)
    raise ValueError(kind)


def make_periods(kind, d0, d1):
    """List of (label, first in-range day, last in-range day)."""
    if kind == 'all':
        return [('all', d0, d1)]
    out = []
    d = d0
    while d <= d1:
        label, first, last = period_key(d, kind)
        out.append((label, max(first, d0), min(last, d1)))
        d = last + dt.timedelta(days=1)
    return out


PERIOD_MONTHS = {'day': 12 / 365, 'week': 12 / 52, 'month': 1.0, 'quarter': 3.0, 'year': 12.0}


def percentile7(xs, p):
    xs = sorted(xs)
    n = len(xs)
    if n == 0:
        return None
    h = (n - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def div(a, b, scale=1.0):
    if a is None or b is None or b == 0:
        return None
    return a / b * scale


# ----------------------------------------------------------------------------- input
def read_rows(files, delimiter=','):
    rows, header = [], None
    for f in files:
        fh = sys.stdin if f == '-' else open(f, newline='', encoding='utf-8')
        with fh:
            rd = csv.DictReader(fh, delimiter=delimiter)
            if header is None:
                header = list(rd.fieldnames or [])
            for r in rd:
                rows.append({k: (v if v is not None else '') for k, v in r.items()})
    return header or [], rows


def blank(v):
    return v is None or v.strip() == ''


# ---------------------------------------------------------------------- subscriptions
EXCLUDED_STATUSES = {'trialing', 'trial', 'incomplete', 'incomplete_expired'}
INTERVAL_FACTOR = {'day': 365 / 12, 'week': 52 / 12, 'month': 1.0, 'quarter': 1 / 3, 'year': 1 / 12}


def sub_rows(rows, tz):
    out = []
    for i, r in enumerate(rows):
        status = (r.get('status') or '').strip().lower()
        interval = (r.get('interval') or '').strip().lower() or 'month'
        amount = float(r['amount'])
        start = parse_ts(r['start'], tz)
        end = None if blank(r.get('end')) else parse_ts(r['end'], tz)
        out.append(dict(idx=i, cust=r['customer_id'].strip(), start=start, end=end,
                        mrr=amount * INTERVAL_FACTOR[interval], amount=amount,
                        excluded=status in EXCLUDED_STATUSES, row=r))
    return out


def snapshot(subs, B):
    """customer -> MRR at the last instant before B (start < B <= end)."""
    parts = {}
    for s in subs:
        if s['start'] < B and (s['end'] is None or B <= s['end']):
            parts.setdefault(s['cust'], []).append(s['mrr'])
    # fsum is correctly rounded, so the same amounts always give the same MRR (no 1-ulp
    # "expansion" when a customer swaps a plan for one at the same price).
    return {c: math.fsum(v) for c, v in parts.items()}


def subscriptions_metrics(subs, periods, tz, pkind):
    subs = [s for s in subs if not s['excluded']]
    paid_starts = {}
    for s in subs:
        # READING R3: paid = amount > 0 and not zero-length (end > start).
        if s['amount'] > 0 and (s['end'] is None or s['end'] > s['start']):
            paid_starts.setdefault(s['cust'], []).append(s['start'])
    out = []  # (metric, period, value)
    for label, d0, d1 in periods:
        S = local_midnight(d0, tz)
        B = local_midnight(d1 + dt.timedelta(days=1), tz)
        a, b = snapshot(subs, S), snapshot(subs, B)
        mrr_start = sum(a.values())
        mrr = sum(b.values())
        cust_start = sum(1 for v in a.values() if v > 0)
        cust_end = sum(1 for v in b.values() if v > 0)
        new = react = exp = con = churned = 0.0
        n_new = n_react = n_lost = 0
        for c in sorted(set(a) | set(b)):
            x, y = a.get(c, 0.0), b.get(c, 0.0)
            if x <= 0 and y > 0:
                if any(t < S for t in paid_starts.get(c, [])):  # READING R3
                    react += y
                    n_react += 1
                else:
                    new += y
                    n_new += 1
            elif x > 0 and y <= 0:
                churned += x
                n_lost += 1
            elif x > 0 and y > x:
                exp += y - x
            elif x > 0 and 0 < y < x:
                con += x - y
        ident = mrr_start + new + react + exp - con - churned
        if abs(ident - mrr) > 1e-6 * max(1.0, abs(mrr)):
            print('reference: bridge identity broken in %s: %r != %r' % (label, ident, mrr),
                  file=sys.stderr)
        churn = div(n_lost, cust_start, 100.0)
        new_customers = n_new + n_react  # READING R4
        retention = div(cust_end - new_customers, cust_start, 100.0)
        arpu = div(mrr, cust_end)
        months = PERIOD_MONTHS.get(pkind)  # READING R5
        lifetime = None if (months is None or churn is None or churn == 0) else months * 100.0 / churn
        ltv = None if (arpu is None or lifetime is None) else arpu * lifetime
        vals = [
            ('mrr', mrr), ('customers', cust_end), ('arpu', arpu), ('arr', mrr * 12),
            ('ltv', ltv), ('avg_customer_lifetime', lifetime),
            ('new_customers', new_customers), ('churn_rate', churn),
            ('lost_customers', n_lost), ('customers_start', cust_start),
            ('retention_rate', retention),
            ('net_revenue_retention', div(mrr_start + exp - con - churned, mrr_start, 100.0)),
            ('mrr_start', mrr_start), ('expansion_mrr', exp), ('contraction_mrr', con),
            ('churned_mrr', churned),
            ('gross_mrr_churn_rate', div(churned + con, mrr_start, 100.0)),
            ('new_mrr', new), ('reactivation_mrr', react),
            ('reactivated_customers', n_react),
        ]
        out.extend((m, label, v) for m, v in vals)
    return out


SUB_UNITS = {'mrr': 'currency', 'customers': 'count', 'arpu': 'currency', 'arr': 'currency',
             'ltv': 'currency', 'avg_customer_lifetime': 'months', 'new_customers': 'count',
             'churn_rate': '%', 'lost_customers': 'count', 'customers_start': 'count',
             'retention_rate': '%', 'net_revenue_retention': '%', 'mrr_start': 'currency',
             'expansion_mrr': 'currency', 'contraction_mrr': 'currency',
             'churned_mrr': 'currency', 'gross_mrr_churn_rate': '%', 'new_mrr': 'currency',
             'reactivation_mrr': 'currency', 'reactivated_customers': 'count'}


# ---------------------------------------------------------------------------- tickets
DEFAULT_TARGETS = {'email': 24 * 3600, 'social': 3600, 'phone': 180}


def parse_duration(s):
    m = re.fullmatch(r'(\d+(?:\.\d+)?)\s*([smhd])', s.strip())
    return float(m.group(1)) * {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}[m.group(2)]


def bucket(periods, d):
    for i, (_, d0, d1) in enumerate(periods):
        if d0 <= d <= d1:
            return i
    return None


def ticket_metrics(rows, header, periods, tz, targets):
    has_resp = 'first_response_at' in header
    has_esc = 'escalated' in header
    has_sat = 'satisfaction' in header
    per = [dict(t=0, esc=0, frts=[], within=0, sat=0, pos=0) for _ in periods]
    for r in rows:
        created = parse_ts(r['created_at'], tz)
        i = bucket(periods, local_date(created, tz))
        if i is None:
            continue
        p = per[i]
        p['t'] += 1
        if has_esc and (r.get('escalated') or '').strip().lower() in ('true', '1', 'yes'):
            p['esc'] += 1
        if has_resp and not blank(r.get('first_response_at')):
            frt = (parse_ts(r['first_response_at'], tz) - created).total_seconds()
            p['frts'].append(frt)
            ch = (r.get('channel') or '').strip().lower()
            target = targets.get(ch, targets.get('*', 24 * 3600))
            if frt <= target:  # READING R7
                p['within'] += 1
        if has_sat and not blank(r.get('satisfaction')):
            v = float(r['satisfaction'])
            p['sat'] += 1
            if v >= 4:
                p['pos'] += 1
    out = []
    for (label, _, _), p in zip(periods, per):
        vals = [('ticket_count', p['t']), ('tickets', p['t'])]
        if has_esc:
            vals += [('escalation_rate', div(p['esc'], p['t'], 100.0)),
                     ('escalated_tickets', p['esc'])]
        if has_resp:
            n = len(p['frts'])
            tot = float(sum(p['frts']))
            vals += [('first_response_time', div(tot, n)),
                     ('total_first_response_time', tot),
                     ('responded_tickets', n),
                     ('first_response_time_median', percentile7(p['frts'], 0.5)),
                     ('first_response_time_p90', percentile7(p['frts'], 0.9)),
                     ('first_response_within_target_rate', div(p['within'], n, 100.0))]
        if has_sat:
            vals += [('csat', div(p['pos'], p['sat'], 100.0)),
                     ('positive_responses', p['pos']), ('survey_responses', p['sat'])]
        out.extend((m, label, v) for m, v in vals)
    return out


TICKET_UNITS = {'ticket_count': 'count', 'tickets': 'count', 'escalation_rate': '%',
                'escalated_tickets': 'count', 'first_response_time': 's',
                'total_first_response_time': 's', 'responded_tickets': 'count',
                'first_response_time_median': 's', 'first_response_time_p90': 's',
                'first_response_within_target_rate': '%', 'csat': '%',
                'positive_responses': 'count', 'survey_responses': 'count'}


# -------------------------------------------------------------------------- responses
def response_kinds(rows, default_survey):
    out = []
    for r in rows:
        sv = (r.get('survey') or '').strip().lower() or default_survey
        out.append(sv)
    return out


def response_metrics(rows, header, periods, tz, default_survey, groups):
    has_ts = 'timestamp' in header
    per = [dict(pro=0, pas=0, det=0, n=0, pos=0) for _ in periods]
    for r, sv in zip(rows, response_kinds(rows, default_survey)):
        score = float(r['score'])
        assert score == int(score)
        score = int(score)
        if has_ts:
            i = bucket(periods, local_date(parse_ts(r['timestamp'], tz), tz))
            if i is None:
                continue
        else:
            i = 0
        p = per[i]
        if sv == 'nps':
            if score >= 9:
                p['pro'] += 1
            elif score >= 7:
                p['pas'] += 1
            else:
                p['det'] += 1
        else:
            p['n'] += 1
            if score >= 4:
                p['pos'] += 1
    out = []
    for (label, _, _), p in zip(periods, per):
        vals = []
        if 'nps' in groups:
            tot = p['pro'] + p['pas'] + p['det']
            vals += [('nps', div(p['pro'] - p['det'], tot, 100.0)), ('promoters', p['pro']),
                     ('passives', p['pas']), ('detractors', p['det'])]
        if 'csat' in groups:
            vals += [('csat', div(p['pos'], p['n'], 100.0)),
                     ('positive_responses', p['pos']), ('survey_responses', p['n'])]
        out.extend((m, label, v) for m, v in vals)
    return out


RESP_UNITS = {'nps': 'score', 'promoters': 'count', 'passives': 'count', 'detractors': 'count',
              'csat': '%', 'positive_responses': 'count', 'survey_responses': 'count'}


# ------------------------------------------------------------------------- work_items
def work_metrics(rows, header, periods, tz):
    has_sprint = 'sprint' in header
    has_due = 'due_at' in header
    has_type = 'type' in header
    per = [dict(pts=0.0, sprints=set(), dl=0, ot=0, pre=0, post=0, defects=0, delivered=0)
           for _ in periods]
    for r in rows:
        if blank(r.get('completed_at')):
            continue
        c = local_date(parse_ts(r['completed_at'], tz), tz)
        i = bucket(periods, c)
        if i is None:
            continue
        p = per[i]
        p['pts'] += 0.0 if blank(r.get('points')) else float(r['points'])
        if has_sprint and not blank(r.get('sprint')):
            p['sprints'].add(r['sprint'].strip())
        if has_due and not blank(r.get('due_at')):
            p['dl'] += 1
            if c <= local_date(parse_ts(r['due_at'], tz), tz):
                p['ot'] += 1
        typ = (r.get('type') or '').strip().lower()
        if typ in ('bug', 'defect'):
            p['defects'] += 1
            found = (r.get('found') or '').strip().lower()
            if found in ('pre_release', 'internal'):
                p['pre'] += 1
            elif found in ('post_release', 'production'):
                p['post'] += 1
        else:
            p['delivered'] += 1
    out = []
    for (label, _, _), p in zip(periods, per):
        ns = len(p['sprints']) if has_sprint else 1
        vals = [('velocity', div(p['pts'], ns)), ('completed_points', p['pts']), ('sprints', ns),
                ('delivered_items', p['delivered'])]
        if has_due:
            vals += [('on_time_delivery_rate', div(p['ot'], p['dl'], 100.0)),
                     ('on_time_deliveries', p['ot']), ('deliveries', p['dl'])]
        if has_type:
            vals += [('defect_detection_efficiency', div(p['pre'], p['pre'] + p['post'], 100.0)),
                     ('defects_pre_release', p['pre']), ('defects_post_release', p['post']),
                     ('defect_rate', div(p['defects'], p['delivered'], 100.0)),
                     ('defects', p['defects'])]
        out.extend((m, label, v) for m, v in vals)
    return out


WORK_UNITS = {'velocity': 'points', 'completed_points': 'points', 'sprints': 'count',
              'on_time_delivery_rate': '%', 'on_time_deliveries': 'count',
              'deliveries': 'count', 'defect_detection_efficiency': '%',
              'defects_pre_release': 'count', 'defects_post_release': 'count',
              'defect_rate': '%', 'defects': 'count', 'delivered_items': 'count'}


# ------------------------------------------------------------------------------ main
# READING R1: the columns that place a row in a period (plus `end` for subscriptions,
# which the spec names explicitly); first_response_at/resolved_at/due_at do not stretch
# the range.
TS_COLUMNS = {'subscriptions': ['start', 'end'],
              'tickets': ['created_at'],
              'responses': ['timestamp'],
              'work_items': ['completed_at']}


def detect_kind(header):
    h = set(header)
    if {'customer_id', 'start', 'amount'} <= h:
        return 'subscriptions'
    if {'ticket_id', 'created_at'} <= h:
        return 'tickets'
    if {'id', 'completed_at'} <= h:
        return 'work_items'
    if 'score' in h:
        return 'responses'
    raise SystemExit('cannot detect kind')


def compute(args):
    tz = parse_zone(args.tz)
    header, rows = read_rows(args.files)
    kind = args.kind or detect_kind(header)
    # READING R1 (see TS_COLUMNS).
    days = []
    for r in rows:
        if kind == 'subscriptions' and \
                (r.get('status') or '').strip().lower() in EXCLUDED_STATUSES:
            continue  # READING R1: rows left out do not stretch the range
        for c in TS_COLUMNS[kind]:
            if c in header and not blank(r.get(c)):
                days.append(local_date(parse_ts(r[c], tz), tz))
    d0 = dt.date.fromisoformat(args.from_) if args.from_ else (min(days) if days else None)
    d1 = dt.date.fromisoformat(args.to) if args.to else (max(days) if days else None)
    pkind = args.period
    if kind == 'responses' and 'timestamp' not in header:
        periods = [('all', None, None)]
    else:
        periods = make_periods(pkind, d0, d1)

    by = args.by or []
    if by:
        # READING R6: subscriptions rows left out (trialing...) do not create a segment.
        seg_rows = rows
        if kind == 'subscriptions':
            seg_rows = [r for r in rows
                        if (r.get('status') or '').strip().lower() not in EXCLUDED_STATUSES]
        seg_values = sorted({tuple((r.get(c) or '').strip() for c in by) for r in seg_rows})
        segments = [(dict(zip(by, v)), [r for r in rows if tuple((r.get(c) or '').strip() for c in by) == v])
                    for v in seg_values]
    else:
        segments = [(None, rows)]

    targets = dict(DEFAULT_TARGETS)
    for t in args.target or []:
        ch, dur = t.split('=', 1)
        ch = ch.strip().lower()
        targets['*' if ch == 'default' else ch] = parse_duration(dur)
    groups = set(response_kinds(rows, args.survey)) if kind == 'responses' else set()

    results = []
    units = {'subscriptions': SUB_UNITS, 'tickets': TICKET_UNITS, 'responses': RESP_UNITS,
             'work_items': WORK_UNITS}[kind]
    for dims, srows in segments:
        if kind == 'subscriptions':
            res = subscriptions_metrics(sub_rows(srows, tz), periods, tz, pkind)
        elif kind == 'tickets':
            res = ticket_metrics(srows, header, periods, tz, targets)
        elif kind == 'responses':
            res = response_metrics(srows, header, periods, tz, args.survey, groups)
        else:
            res = work_metrics(srows, header, periods, tz)
        for m, p, v in res:
            if isinstance(v, float) and v == int(v) and abs(v) < 2 ** 53:
                pass
            o = {'metric': m, 'period': p, 'value': v, 'unit': units[m]}
            if dims is not None:
                o['dims'] = dims
            results.append(o)
    order = {m: i for i, m in enumerate(units)}
    pidx = {p[0]: i for i, p in enumerate(periods)}
    results.sort(key=lambda o: (order[o['metric']], pidx[o['period']],
                                json.dumps(o.get('dims', {}), sort_keys=True)))
    return {'results': results, 'inputs': {'files': args.files, 'kind': kind, 'rows': len(rows),
                                           'skipped_rows': 0}, 'warnings': []}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--kind')
    ap.add_argument('-p', '--period', default='month')
    ap.add_argument('--tz', default='UTC')
    ap.add_argument('--from', dest='from_')
    ap.add_argument('--to')
    ap.add_argument('--by', action='append')
    ap.add_argument('--target', action='append')
    ap.add_argument('--survey', default='nps')
    ap.add_argument('files', nargs='+')
    args = ap.parse_args(argv)
    json.dump(compute(args), sys.stdout, indent=1)
    print()


if __name__ == '__main__':
    main()
