// kpi/formulas/engagement.hpp — adoption and engagement formulas (METRICS.md §1
// "Adoption and engagement").
//
// Adoption, feature adoption, activation and onboarding completion rates
// (percent), stickiness (DAU / MAU, percent), and the per-session averages:
// pages, clicks and actions per session (ratios) and mean session duration
// (seconds). Each function is pure, `constexpr noexcept`, and returns no value
// for a zero denominator or a non-finite result.
#pragma once

#include <optional>

#include "kpi/formulas/common.hpp"

namespace kpi::formulas {

/// Product adoption rate: `new_users / total_users × 100`, percent (doc).
/// Undefined when total_users is 0.
/// Example: 300 new / 1500 users → 30000 / 1500 = 20%.
constexpr std::optional<double> product_adoption_rate(double new_users, double total_users) noexcept {
  return percent_of(new_users, total_users);
}

/// Feature adoption rate: `feature_users / active_users × 100`, percent (doc);
/// one value per feature.
/// Undefined when active_users is 0.
/// Example: 270 users of the feature / 900 active → 27000 / 900 = 30%.
constexpr std::optional<double> feature_adoption_rate(double feature_users,
                                                      double active_users) noexcept {
  return percent_of(feature_users, active_users);
}

/// Activation rate: `activated_users / new_users × 100`, percent (doc, the
/// "aha moment").
/// Undefined when new_users is 0.
/// Example: 180 activated / 400 new → 18000 / 400 = 45%.
constexpr std::optional<double> activation_rate(double activated_users, double new_users) noexcept {
  return percent_of(activated_users, new_users);
}

/// Onboarding completion rate: `onboarding_completed / onboarding_started × 100`,
/// percent (doc).
/// Undefined when onboarding_started is 0.
/// Example: 150 completed / 200 started → 15000 / 200 = 75%.
constexpr std::optional<double> onboarding_completion_rate(double onboarding_completed,
                                                           double onboarding_started) noexcept {
  return percent_of(onboarding_completed, onboarding_started);
}

/// Stickiness: `dau / mau × 100`, percent (doc) — how many of the month's
/// users come on an average day.
/// Undefined when mau is 0.
/// Example: DAU 180 / MAU 900 → 18000 / 900 = 20%.
constexpr std::optional<double> stickiness(double dau, double mau) noexcept {
  return percent_of(dau, mau);
}

/// Pages per session: `page_views / sessions`, ratio (doc).
/// Undefined when sessions is 0.
/// Example: 4200 page views / 1200 sessions = 3.5.
constexpr std::optional<double> pages_per_session(double page_views, double sessions) noexcept {
  return ratio_of(page_views, sessions);
}

/// Clicks per session: `clicks / sessions`, ratio (doc).
/// Undefined when sessions is 0.
/// Example: 3000 clicks / 1200 sessions = 2.5.
constexpr std::optional<double> clicks_per_session(double clicks, double sessions) noexcept {
  return ratio_of(clicks, sessions);
}

/// Actions per session: `actions / sessions`, ratio (doc); actions are all events.
/// Undefined when sessions is 0.
/// Example: 9000 events / 1200 sessions = 7.5.
constexpr std::optional<double> actions_per_session(double actions, double sessions) noexcept {
  return ratio_of(actions, sessions);
}

/// Average session duration: `total_session_duration / sessions`, seconds (doc).
/// Undefined when sessions is 0.
/// Example: 540000 s / 1200 sessions = 450 s (7m 30s).
constexpr std::optional<double> avg_session_duration(double total_session_duration,
                                                     double sessions) noexcept {
  return ratio_of(total_session_duration, sessions);
}

}  // namespace kpi::formulas
