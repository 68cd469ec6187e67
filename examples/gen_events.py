#!/usr/bin/env python3
"""Deterministic generator of examples/events.csv and examples/events_nested.ndjson.

A small SaaS over 2025-01-01..2025-03-31: users sign up, browse, try features,
go through onboarding, start trials, activate and purchase. Run from the repo
root: python3 examples/gen_events.py
"""
import csv
import json
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(20250101)
START = datetime(2025, 1, 1, tzinfo=timezone.utc)
DAYS = 90
FEATURES = ["search", "export", "dashboard", "share"]
PLANS = [("free", 0.6), ("pro", 0.3), ("team", 0.1)]
PRICES = {"free": 19.0, "pro": 49.0, "team": 199.0}


def pick_plan():
    x = rng.random()
    for plan, w in PLANS:
        if x < w:
            return plan
        x -= w
    return PLANS[-1][0]


def simulate():
    rows = []
    for n in range(1, 241):
        user = f"u{n:04d}"
        plan = pick_plan()
        t = START + timedelta(seconds=rng.randrange(0, DAYS * 86400 - 3600))
        end = START + timedelta(days=DAYS)
        engagement = rng.random()
        session = 0
        rows.append((user, t, "signup", "", "", "", plan))
        onboarding = rng.random() < 0.8
        trial_day = rng.random() < 0.5
        while t < end:
            session += 1
            sid = f"{user}-s{session}" if rng.random() < 0.5 else ""
            for _ in range(rng.randint(1, 8)):
                t += timedelta(seconds=rng.randint(5, 900))
                if t >= end:
                    break
                r = rng.random()
                if onboarding and session == 1:
                    for ev in ("onboarding_view", "onboarding_start") + (("onboarding_complete",) if rng.random() < 0.6 else ()):
                        rows.append((user, t, ev, sid, "", "", plan))
                        t += timedelta(seconds=rng.randint(20, 300))
                    onboarding = False
                    continue
                if r < 0.45:
                    rows.append((user, t, "page_view", sid, "", "", plan))
                elif r < 0.70:
                    rows.append((user, t, "click", sid, "", "", plan))
                else:
                    rows.append((user, t, "feature_used", sid, rng.choice(FEATURES), "", plan))
            if session == 1 and trial_day:
                t += timedelta(minutes=rng.randint(1, 20))
                rows.append((user, t, "trial_start", sid, "", "", plan))
            if session == 2 and rng.random() < 0.6:
                rows.append((user, t + timedelta(seconds=30), "activation", sid, "", "", plan))
            if session >= 2 and rng.random() < 0.08:
                value = PRICES[plan] if rng.random() < 0.95 else ""
                rows.append((user, t + timedelta(seconds=45), "purchase", sid, "", value, plan))
            # Next visit: engaged users come back sooner; some never come back.
            if rng.random() > 0.55 + 0.4 * engagement:
                break
            t += timedelta(hours=rng.uniform(6, 24 * (1 + 10 * (1 - engagement))))
    rows.sort(key=lambda r: (r[1], r[0]))
    return rows


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    rows = simulate()
    with open("examples/events.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["user_id", "timestamp", "event", "session_id", "feature", "value", "plan"])
        for user, t, ev, sid, feat, value, plan in rows:
            w.writerow([user, iso(t), ev, sid, feat, value, plan])
    # Mixpanel-like export of the first 400 events: epoch seconds under properties.
    with open("examples/events_nested.ndjson", "w") as f:
        for user, t, ev, sid, feat, value, plan in rows[:400]:
            props = {"distinct_id": user, "time": int(t.timestamp()), "plan": plan}
            if feat:
                props["feature"] = feat
            if value != "":
                props["value"] = value
            f.write(json.dumps({"event": ev, "properties": props}) + "\n")


if __name__ == "__main__":
    main()
