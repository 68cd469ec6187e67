#!/usr/bin/env bash
# kpi in a shell pipeline: data on stdout, diagnostics on stderr, '-' reads stdin.
# Run from the repository root after building (see README.md); needs jq for step 3.
set -euo pipefail
kpi=${KPI:-build/release/apps/kpi/kpi}

# 1. Stream an export through kpi and keep one metric as CSV.
cat examples/summary.csv | "$kpi" compute - -m churn_rate -f csv

# 2. Monthly MRR movements from a subscriptions export, as NDJSON lines for other tools.
"$kpi" compute examples/subscriptions.csv -f ndjson \
    -m mrr,new_mrr,expansion_mrr,contraction_mrr,churned_mrr 2>/dev/null | head -n 6

# 3. Which plans had churn above 3% in the latest month? (jq filters the JSON lines)
if command -v jq >/dev/null; then
  "$kpi" compute examples/summary.csv -m churn_rate -f ndjson |
    jq -r 'select(.period == "2025-06" and .value > 3) | "\(.dims.plan): \(.value)%"'
fi
