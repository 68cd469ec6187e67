// kpi/formulas/retention.hpp — retention and churn formulas (METRICS.md §1
// "Retention and churn").
//
// Customer churn and retention, early churn of new users, and the two MRR
// retention rates of ChartMogul / Stripe Billing (net revenue retention, gross
// MRR churn). All are percentages of a starting population; the MRR movements
// are magnitudes (contraction and churn are subtracted, never negative). Each
// function is pure, `constexpr noexcept`, and returns no value for a zero
// denominator or a non-finite result.
#pragma once

#include <optional>

#include "kpi/formulas/common.hpp"

namespace kpi::formulas {

/// Customer churn rate: `lost_customers / customers_start × 100`, percent (doc).
/// Undefined when customers_start is 0.
/// Example: 21 lost / 500 at start → 2100 / 500 = 4.2%.
constexpr std::optional<double> churn_rate(double lost_customers, double customers_start) noexcept {
  return percent_of(lost_customers, customers_start);
}

/// Customer retention rate:
/// `(customers_end − new_customers) / customers_start × 100`, percent (doc).
/// Undefined when customers_start is 0.
/// Example: (520 at end − 41 new) / 500 at start → 479 × 100 / 500 = 95.8%.
constexpr std::optional<double> retention_rate(double customers_end, double new_customers,
                                               double customers_start) noexcept {
  return percent_of(customers_end - new_customers, customers_start);
}

/// Early churn rate: `early_churned_users / new_users × 100`, percent (doc) —
/// the share of new users who stop soon after their first event.
/// Undefined when new_users is 0.
/// Example: 30 early churned / 400 new → 3000 / 400 = 7.5%.
constexpr std::optional<double> early_churn_rate(double early_churned_users,
                                                 double new_users) noexcept {
  return percent_of(early_churned_users, new_users);
}

/// Net revenue retention:
/// `(mrr_start + expansion_mrr − contraction_mrr − churned_mrr) / mrr_start × 100`,
/// percent (ChartMogul / Stripe Billing); above 100 when expansion outweighs losses.
/// Undefined when mrr_start is 0.
/// Example: (10000 + 1200 − 300 − 500) / 10000 → 10400 × 100 / 10000 = 104%.
constexpr std::optional<double> net_revenue_retention(double mrr_start, double expansion_mrr,
                                                      double contraction_mrr,
                                                      double churned_mrr) noexcept {
  return percent_of(mrr_start + expansion_mrr - contraction_mrr - churned_mrr, mrr_start);
}

/// Gross MRR churn rate: `(churned_mrr + contraction_mrr) / mrr_start × 100`,
/// percent (ChartMogul / Stripe Billing) — revenue lost, ignoring expansion.
/// Undefined when mrr_start is 0.
/// Example: (500 churned + 300 contraction) / 10000 → 800 × 100 / 10000 = 8%.
constexpr std::optional<double> gross_mrr_churn_rate(double churned_mrr, double contraction_mrr,
                                                     double mrr_start) noexcept {
  return percent_of(churned_mrr + contraction_mrr, mrr_start);
}

}  // namespace kpi::formulas
