// kpi/formulas/support.hpp — support formulas (METRICS.md §1 "Support").
//
// Ticket volume, escalation rate (percent) and mean first response time
// (seconds). Medians and p90s of response times come from stats.hpp. Each
// function is pure, `constexpr noexcept`, and returns no value for a zero
// denominator or a non-finite result.
#pragma once

#include <optional>

#include "kpi/formulas/common.hpp"

namespace kpi::formulas {

/// Ticket count: `tickets`, the tickets received in the period, count (doc).
/// Undefined only for a non-finite input.
/// Example: 320 tickets received → 320.
constexpr std::optional<double> ticket_count(double tickets) noexcept {
  return finite_or_null(tickets);
}

/// Escalation rate: `escalated_tickets / tickets × 100`, percent (doc).
/// Undefined when tickets is 0.
/// Example: 24 escalated / 320 tickets → 2400 / 320 = 7.5%.
constexpr std::optional<double> escalation_rate(double escalated_tickets, double tickets) noexcept {
  return percent_of(escalated_tickets, tickets);
}

/// First response time (mean): `total_first_response_time / responded_tickets`,
/// seconds (doc); only tickets that got a response count.
/// Undefined when responded_tickets is 0.
/// Example: 1152000 s over 300 responded tickets = 3840 s (1h 04m).
constexpr std::optional<double> first_response_time(double total_first_response_time,
                                                    double responded_tickets) noexcept {
  return ratio_of(total_first_response_time, responded_tickets);
}

}  // namespace kpi::formulas
