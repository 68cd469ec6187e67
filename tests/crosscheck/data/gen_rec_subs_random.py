#!/usr/bin/env python3
"""Deterministic random subscriptions (3000 customers, 2024-01..2025-12) for compare_records.py."""
import datetime as dt
import random
import sys

rng = random.Random(20251122)
START = dt.date(2024, 1, 1)
DAYS = 730
PLANS = [('starter', 29, 'month'), ('growth', 99, 'month'), ('pro', 990, 'year'),
         ('team', 270, 'quarter'), ('weekly', 9, 'week'), ('daily', 2, 'day')]


def fmt(d):
    k = rng.random()
    if k < 0.6:
        return d.isoformat()
    if k < 0.8:
        return '%sT%02d:%02d:00Z' % (d.isoformat(), rng.randrange(24), rng.randrange(60))
    if k < 0.9:
        return '%sT%02d:%02d:00%s' % (d.isoformat(), rng.randrange(24), rng.randrange(60),
                                      rng.choice(['+02:00', '-05:00', '+09:00']))
    return '%s %02d:%02d:%02d' % (d.isoformat(), rng.randrange(24), rng.randrange(60), rng.randrange(60))


w = sys.stdout
w.write('customer_id,start,end,amount,interval,plan,status\n')
for c in range(3000):
    cid = 'c%04d' % c
    t = START + dt.timedelta(days=rng.randrange(DAYS))
    if rng.random() < 0.15:
        e = t + dt.timedelta(days=14)
        w.write('%s,%s,%s,%d,month,starter,trialing\n' % (cid, fmt(t), fmt(e), 29))
        t = e
    for k in range(rng.choice([1, 1, 2, 2, 3, 4])):
        plan, amt, iv = rng.choice(PLANS)
        amt = amt * rng.choice([1, 1, 2, 3])
        length = rng.randrange(10, 500)
        e = t + dt.timedelta(days=length)
        open_end = rng.random() < 0.25 and k > 0
        status = 'active' if open_end else rng.choice(['canceled', 'active', 'past_due'])
        w.write('%s,%s,%s,%d,%s,%s,%s\n' % (cid, fmt(t), '' if open_end else fmt(e), amt, iv,
                                            plan, status))
        if open_end:
            break
        r = rng.random()
        if r < 0.4:
            t = e                      # plan change at the boundary
        elif r < 0.6:
            t = e - dt.timedelta(days=rng.randrange(1, 20))   # overlap
        else:
            t = e + dt.timedelta(days=rng.randrange(1, 120))  # gap -> reactivation
        if (t - START).days > DAYS + 60:
            break
