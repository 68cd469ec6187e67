// kpi/formulas/conversion.hpp — conversion and lead formulas (METRICS.md §1
// "Conversion and leads").
//
// The paying share of the user base and the step rates of the acquisition
// path: visitor → trial, visitor → SQL, trial → PQL, trial → paid. All are
// percentages of distinct users. Each function is pure, `constexpr noexcept`,
// and returns no value for a zero denominator or a non-finite result.
#pragma once

#include <optional>

#include "kpi/formulas/common.hpp"

namespace kpi::formulas {

/// Conversion rate: `paying_users / total_users × 100`, percent (doc) — the
/// paying share of the whole user base, as the documents define it.
/// Undefined when total_users is 0.
/// Example: 45 paying / 1500 users → 4500 / 1500 = 3%.
constexpr std::optional<double> conversion_rate(double paying_users, double total_users) noexcept {
  return percent_of(paying_users, total_users);
}

/// Visitor to trial rate: `trial_signups / visitors × 100`, percent (doc).
/// Undefined when visitors is 0.
/// Example: 240 trials / 8000 visitors → 24000 / 8000 = 3%.
constexpr std::optional<double> visitor_to_trial_rate(double trial_signups, double visitors) noexcept {
  return percent_of(trial_signups, visitors);
}

/// Visitor to SQL rate: `sqls / visitors × 100`, percent (doc).
/// Undefined when visitors is 0.
/// Example: 60 SQLs / 8000 visitors → 6000 / 8000 = 0.75%.
constexpr std::optional<double> visitor_to_sql_rate(double sqls, double visitors) noexcept {
  return percent_of(sqls, visitors);
}

/// Trial to PQL rate: `pqls / trial_signups × 100`, percent (doc).
/// Undefined when trial_signups is 0.
/// Example: 84 PQLs / 240 trials → 8400 / 240 = 35%.
constexpr std::optional<double> trial_to_pql_rate(double pqls, double trial_signups) noexcept {
  return percent_of(pqls, trial_signups);
}

/// Trial to paid rate: `trial_conversions / trial_signups × 100`, percent (doc).
/// Undefined when trial_signups is 0.
/// Example: 36 converted / 240 trials → 3600 / 240 = 15%.
constexpr std::optional<double> trial_to_paid_rate(double trial_conversions,
                                                   double trial_signups) noexcept {
  return percent_of(trial_conversions, trial_signups);
}

}  // namespace kpi::formulas
