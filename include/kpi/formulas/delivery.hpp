// kpi/formulas/delivery.hpp — delivery and quality formulas (METRICS.md §1
// "Delivery and quality").
//
// Velocity (points per sprint), on-time delivery, resource availability,
// defect detection efficiency (ISTQB DDP), defect rate, test automation and
// test pass rates (percent). Each function is pure, `constexpr noexcept`, and
// returns no value for a zero denominator or a non-finite result.
#pragma once

#include <optional>

#include "kpi/formulas/common.hpp"

namespace kpi::formulas {

/// Velocity: `completed_points / sprints`, points per sprint (doc).
/// Undefined when sprints is 0.
/// Example: 126 points over 3 sprints = 42.
constexpr std::optional<double> velocity(double completed_points, double sprints) noexcept {
  return ratio_of(completed_points, sprints);
}

/// On-time delivery rate: `on_time_deliveries / deliveries × 100`, percent (doc).
/// Undefined when deliveries is 0.
/// Example: 34 on time / 40 deliveries → 3400 / 40 = 85%.
constexpr std::optional<double> on_time_delivery_rate(double on_time_deliveries,
                                                      double deliveries) noexcept {
  return percent_of(on_time_deliveries, deliveries);
}

/// Resource availability: `available_capacity / required_capacity × 100`,
/// percent (doc); both capacities in the same unit of work (hours, person-days).
/// Undefined when required_capacity is 0.
/// Example: 320 h available / 400 h required → 32000 / 400 = 80%.
constexpr std::optional<double> resource_availability(double available_capacity,
                                                      double required_capacity) noexcept {
  return percent_of(available_capacity, required_capacity);
}

/// Defect detection efficiency (ISTQB defect detection percentage):
/// `defects_pre_release / (defects_pre_release + defects_post_release) × 100`,
/// percent (doc, "DDE").
/// Undefined when there are no defects at all (both counts 0).
/// Example: 45 found before release, 5 after → 4500 / 50 = 90%.
constexpr std::optional<double> defect_detection_efficiency(double defects_pre_release,
                                                            double defects_post_release) noexcept {
  return percent_of(defects_pre_release, defects_pre_release + defects_post_release);
}

/// Defect rate: `defects / delivered_items × 100`, percent (doc).
/// Undefined when delivered_items is 0.
/// Example: 6 defects / 80 delivered items → 600 / 80 = 7.5%.
constexpr std::optional<double> defect_rate(double defects, double delivered_items) noexcept {
  return percent_of(defects, delivered_items);
}

/// Test automation rate: `automated_tests / total_tests × 100`, percent (doc).
/// Undefined when total_tests is 0.
/// Example: 680 automated / 800 tests → 68000 / 800 = 85%.
constexpr std::optional<double> test_automation_rate(double automated_tests,
                                                     double total_tests) noexcept {
  return percent_of(automated_tests, total_tests);
}

/// Test pass rate: `passed_tests / executed_tests × 100`, percent (doc).
/// Undefined when executed_tests is 0.
/// Example: 741 passed / 760 executed → 74100 / 760 = 97.5%.
constexpr std::optional<double> test_pass_rate(double passed_tests, double executed_tests) noexcept {
  return percent_of(passed_tests, executed_tests);
}

}  // namespace kpi::formulas
