// kpi/formulas/revenue.hpp — revenue and business formulas (METRICS.md §1
// "Revenue and business", plus the subscription LTV of §2).
//
// MRR, ARPU, ARR, customer value, lifetime value, acquisition cost, the
// LTV:CAC ratio and market share. Money is a plain number in whatever currency
// the data uses (no conversion). Each function is pure, `constexpr noexcept`,
// and returns no value for a zero denominator or a non-finite result; missing
// inputs are the caller's business (it does not call the function).
#pragma once

#include <optional>

#include "kpi/formulas/common.hpp"

namespace kpi::formulas {

/// Monthly recurring revenue: `customers × arpu`, currency (doc).
/// Undefined only on overflow.
/// Example: 120 customers × 49.5 ARPU = 5940.
constexpr std::optional<double> mrr(double customers, double arpu) noexcept {
  return product_of(customers, arpu);
}

/// Average revenue per user (per paying customer): `mrr / customers`, currency.
/// Undefined when customers is 0.
/// Example: 5940 MRR / 120 customers = 49.5.
constexpr std::optional<double> arpu(double mrr, double customers) noexcept {
  return ratio_of(mrr, customers);
}

/// Annual recurring revenue: `mrr × 12`, currency.
/// Undefined only on overflow.
/// Example: 5940 MRR × 12 = 71280.
constexpr std::optional<double> arr(double mrr) noexcept {
  return product_of(mrr, 12.0);
}

/// Customer value: `avg_purchase_value × avg_purchases`, currency (doc) — what
/// one customer is worth over the measured span.
/// Undefined only on overflow.
/// Example: 80 per purchase × 2.5 purchases = 200.
constexpr std::optional<double> customer_value(double avg_purchase_value,
                                               double avg_purchases) noexcept {
  return product_of(avg_purchase_value, avg_purchases);
}

/// Lifetime value: `customer_value × avg_customer_lifetime`, currency (doc);
/// the lifetime is in the unit customer_value is measured over (months for
/// subscriptions).
/// Undefined only on overflow.
/// Example: 200 × 36 months = 7200.
constexpr std::optional<double> ltv(double customer_value, double avg_customer_lifetime) noexcept {
  return product_of(customer_value, avg_customer_lifetime);
}

/// Customer acquisition cost: `sales_marketing_cost / new_customers`, currency (doc).
/// Undefined when new_customers is 0.
/// Example: 12000 spent / 40 new customers = 300.
constexpr std::optional<double> cac(double sales_marketing_cost, double new_customers) noexcept {
  return ratio_of(sales_marketing_cost, new_customers);
}

/// LTV to CAC ratio: `ltv / cac`, a multiple written "x" (doc).
/// Undefined when cac is 0.
/// Example: 7200 LTV / 300 CAC = 24 (24x).
constexpr std::optional<double> ltv_cac_ratio(double ltv, double cac) noexcept {
  return ratio_of(ltv, cac);
}

/// Market share: `revenue / market_revenue × 100`, percent (doc, "market position").
/// Undefined when market_revenue is 0.
/// Example: 250000 / 10000000 market revenue = 2.5%.
constexpr std::optional<double> market_share(double revenue, double market_revenue) noexcept {
  return percent_of(revenue, market_revenue);
}

/// Expected customer lifetime from churn, in months:
/// `period_months × 100 / churn_rate_percent` (METRICS.md §2 subscriptions);
/// period_months is the period's length in months (month 1, quarter 3, year 12,
/// week 12/52, day 12/365).
/// Undefined when churn_rate_percent is 0 (nobody leaves: no finite lifetime).
/// Example: a month with 4% churn → 1 × 100 / 4 = 25 months.
constexpr std::optional<double> customer_lifetime_months(double period_months,
                                                         double churn_rate_percent) noexcept {
  return ratio_of(period_months * 100.0, churn_rate_percent);
}

/// Subscription lifetime value: `arpu × (period_months × 100 / churn_rate)`,
/// currency (METRICS.md §2 subscriptions). The lifetime is computed first, as
/// the spec groups it, so `ltv == arpu × avg_customer_lifetime` holds for the
/// reported values.
/// Undefined when churn_rate_percent is 0, or on overflow.
/// Example: ARPU 49.5, a month with 4% churn → 49.5 × (1 × 100 / 4) = 49.5 × 25 = 1237.5.
constexpr std::optional<double> subscription_ltv(double arpu, double period_months,
                                                 double churn_rate_percent) noexcept {
  const std::optional<double> lifetime = customer_lifetime_months(period_months, churn_rate_percent);
  if (!lifetime) return std::nullopt;
  return product_of(arpu, *lifetime);
}

}  // namespace kpi::formulas
