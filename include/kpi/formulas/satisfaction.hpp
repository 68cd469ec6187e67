// kpi/formulas/satisfaction.hpp — satisfaction formulas (METRICS.md §1
// "Satisfaction").
//
// Net Promoter Score from promoter / passive / detractor counts (scores 9–10,
// 7–8, 0–6 on the 0–10 scale) and CSAT as the share of positive answers (4 or
// 5 on a 1–5 scale). The caller does the bucketing of raw scores; these
// functions only combine the counts. Each is pure, `constexpr noexcept`, and
// returns no value when there are no responses or the result is not finite.
#pragma once

#include <optional>

#include "kpi/formulas/common.hpp"

namespace kpi::formulas {

/// Net Promoter Score:
/// `(promoters − detractors) / (promoters + passives + detractors) × 100`,
/// a score from −100 to 100 (doc). Passives count in the total only.
/// Undefined when there are no responses (all three counts sum to 0).
/// Example: 50 promoters, 30 passives, 20 detractors → (50 − 20) × 100 / 100 = 30.
constexpr std::optional<double> nps(double promoters, double passives, double detractors) noexcept {
  return percent_of(promoters - detractors, promoters + passives + detractors);
}

/// Customer satisfaction: `positive_responses / survey_responses × 100`,
/// percent (doc); positive = 4 or 5 on a 1–5 scale.
/// Undefined when survey_responses is 0.
/// Example: 172 positive / 200 responses → 17200 / 200 = 86%.
constexpr std::optional<double> csat(double positive_responses, double survey_responses) noexcept {
  return percent_of(positive_responses, survey_responses);
}

}  // namespace kpi::formulas
