#!/usr/bin/env python3
"""Run kpi and records_reference.py on the same input/options and report every differing
result (metric, period, dims) -- values, units, and results present on one side only.

  compare_records.py [--kpi PATH] [--quiet] -- KPI-COMPUTE-ARGS...
  compare_records.py --suite            # the built-in list of cases (examples + data/)

Exit status 1 when any case differs."""
import argparse
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REF = os.path.join(HERE, 'records_reference.py')
D = os.path.join('tests', 'crosscheck', 'data')


def default_kpi():
    for p in ('build/xcheck2/apps/kpi/kpi', 'build/lead/apps/kpi/kpi'):
        if os.path.exists(os.path.join(ROOT, p)):
            return os.path.join(ROOT, p)
    raise SystemExit('no kpi binary')


def key(r):
    return (r['metric'], r['period'], json.dumps(r.get('dims', {}), sort_keys=True))


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def run_case(kpi, args, quiet=False):
    cmd = [kpi, 'compute', '-f', 'json'] + args
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if p.returncode != 0:
        print('KPI FAILED (%d): %s\n%s' % (p.returncode, ' '.join(cmd), p.stderr[-2000:]))
        return None
    k = json.loads(p.stdout)
    q = subprocess.run([sys.executable, REF] + args, cwd=ROOT, capture_output=True, text=True)
    if q.returncode != 0:
        print('REFERENCE FAILED: %s\n%s' % (' '.join(args), q.stderr[-2000:]))
        return None
    if q.stderr.strip():
        print('reference stderr: ' + q.stderr.strip())
    r = json.loads(q.stdout)
    km = {key(x): x for x in k['results']}
    rm = {key(x): x for x in r['results']}
    diffs = []
    for kk in sorted(set(km) | set(rm)):
        a, b = km.get(kk), rm.get(kk)
        if a is None:
            diffs.append('only in reference: %s %s %s = %r' % (kk[0], kk[1], kk[2], b['value']))
        elif b is None:
            diffs.append('only in kpi:       %s %s %s = %r' % (kk[0], kk[1], kk[2], a['value']))
        elif not close(a['value'], b['value']) or a['unit'] != b['unit']:
            diffs.append('DIFF %s %s %s: kpi=%r %s ref=%r %s' % (
                kk[0], kk[1], kk[2] if kk[2] != '{}' else '', a['value'], a['unit'],
                b['value'], b['unit']))
    for d in diffs:
        BY_METRIC[d.split()[1] if d.startswith('DIFF') else d.split(':', 1)[1].split()[0]] = \
            BY_METRIC.get(d.split()[1] if d.startswith('DIFF') else d.split(':', 1)[1].split()[0], 0) + 1
    same = len(set(km) & set(rm)) - sum(1 for d in diffs if d.startswith('DIFF'))
    print('== kpi compute %s : %d kpi results, %d reference, %d equal, %d differences' % (
        ' '.join(shlex.quote(a) for a in args), len(km), len(rm), same, len(diffs)))
    if not quiet:
        for d in diffs:
            print('   ' + d)
    for w in k.get('warnings', []):
        if not quiet and ('identity' in w or 'bridge' in w):
            print('   kpi warning: ' + w)
    return dict(kpi=len(km), ref=len(rm), equal=same, diffs=len(diffs))


BY_METRIC = {}

SUITE = [
    # examples
    'examples/subscriptions.csv',
    'examples/subscriptions.csv -p week',
    'examples/subscriptions.csv -p day',
    'examples/subscriptions.csv -p quarter',
    'examples/subscriptions.csv -p year',
    'examples/subscriptions.csv -p all',
    'examples/subscriptions.csv --by plan',
    'examples/subscriptions.csv --by plan -p quarter',
    'examples/subscriptions.csv --tz America/New_York',
    'examples/subscriptions.csv --tz Asia/Tokyo -p week',
    'examples/subscriptions.csv --from 2025-02-10 --to 2025-05-20',
    'examples/subscriptions.csv --from 2025-03-15 --to 2025-04-30 -p week',
    'examples/subscriptions.csv --from 2025-02-01 --to 2025-12-31 -p quarter --by plan',
    'examples/tickets.csv',
    'examples/tickets.csv -p week',
    'examples/tickets.csv -p day',
    'examples/tickets.csv -p all',
    'examples/tickets.csv --by channel',
    'examples/tickets.csv --tz Pacific/Auckland',
    'examples/tickets.csv --tz=-08:00 -p week',
    'examples/tickets.csv --from 2025-03-05 --to 2025-04-10',
    'examples/tickets.csv --target email=2h --target chat=10m',
    'examples/responses.csv',
    'examples/responses.csv -p week',
    'examples/responses.csv -p quarter',
    'examples/responses.csv --tz America/Los_Angeles',
    'examples/responses.csv --from 2025-03-10 --to 2025-04-15 -p all',
    'examples/work_items.csv',
    'examples/work_items.csv -p week',
    'examples/work_items.csv -p all',
    'examples/work_items.csv --by type',
    'examples/work_items.csv --by sprint',
    'examples/work_items.csv --tz Asia/Kolkata',
    'examples/work_items.csv --from 2025-03-07 --to 2025-04-05 -p week',
]


def adversarial():
    out = []
    for f in sorted(os.listdir(os.path.join(ROOT, D))) if os.path.isdir(os.path.join(ROOT, D)) else []:
        if not f.startswith('rec_') or not f.endswith('.csv'):
            continue
        path = os.path.join(D, f)
        opts_file = os.path.join(ROOT, path[:-4] + '.opts')
        if os.path.exists(opts_file):
            for line in open(opts_file):
                line = line.strip()
                if line and not line.startswith('#'):
                    out.append(path + ' ' + line)
        else:
            out.append(path)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kpi')
    ap.add_argument('--suite', action='store_true')
    ap.add_argument('--quiet', action='store_true')
    ap.add_argument('--only', help='substring filter on suite cases')
    ap.add_argument('args', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    kpi = a.kpi or default_kpi()
    cases = []
    if a.suite:
        cases = [shlex.split(c) for c in SUITE + adversarial() if not a.only or a.only in c]
    extra = [x for x in a.args if x != '--']
    if extra:
        cases.append(extra)
    tot = dict(cases=0, kpi=0, ref=0, equal=0, diffs=0, failed=0)
    for c in cases:
        st = run_case(kpi, c, a.quiet)
        tot['cases'] += 1
        if st is None:
            tot['failed'] += 1
            continue
        for k in ('kpi', 'ref', 'equal', 'diffs'):
            tot[k] += st[k]
    print('TOTAL: %(cases)d cases, %(kpi)d kpi results, %(ref)d reference results, '
          '%(equal)d equal, %(diffs)d differences, %(failed)d failed runs' % tot)
    if BY_METRIC:
        print('differences by metric: ' + ', '.join('%s=%d' % kv for kv in sorted(BY_METRIC.items())))
    sys.exit(1 if tot['diffs'] or tot['failed'] else 0)


if __name__ == '__main__':
    main()
