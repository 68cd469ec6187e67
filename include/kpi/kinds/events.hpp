// kpi/kinds/events.hpp — product analytics on event streams: funnels and retention.
//
// The events record kind (`user_id`, `timestamp`, `event`; optional `session_id`,
// `feature`, `value`, any other column a property) feeds three analyses: the
// per-period KPIs of `kpi compute` (see `make_events_aggregator` in
// kpi/kinds/aggregator.hpp), the conversion funnel of `kpi funnel` and the cohort
// retention of `kpi retention` (METRICS.md §3). All three read the same compact
// event log, and use the same analysis range, periods and segments (METRICS.md §2
// "Time and range", "Segments").
//
// `run_funnel` / `run_retention` do the whole job (read the inputs, analyse,
// return ordered results). `make_funnel` / `make_retention` expose the analysis
// as a RecordSink so that records can be fed directly (tests, embedding).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kpi/compute.hpp"
#include "kpi/error.hpp"
#include "kpi/input.hpp"
#include "kpi/result.hpp"
#include "kpi/time.hpp"

namespace kpi {

/// Event roles of METRICS.md §2 in their documented order, with default names.
struct EventRole {
  std::string_view role;
  std::string_view default_event;
};
std::span<const EventRole> event_roles() noexcept;
/// Checks `--event ROLE=NAME` pairs: every role known, every name non-empty.
Status check_event_roles(const std::vector<std::pair<std::string, std::string>>& roles);

enum class FunnelOrder { ordered, strict, any };
std::optional<FunnelOrder> parse_funnel_order(std::string_view text) noexcept;

/// `kpi funnel` (CLI.md): the steps in order, the window from the entry, how
/// the steps must follow each other, optional periods and segments.
struct FunnelOptions {
  InputOptions input;
  std::vector<std::string> steps;                     ///< REQUIRES: at least one, none empty
  time::Micros window = 14 * time::kMicrosPerDay;     ///< inclusive, from the entry
  FunnelOrder order = FunnelOrder::ordered;
  time::Period period = time::Period::all;            ///< users belong to their entry's period
  std::vector<std::string> by;                        ///< users belong to their entry's segment
};

enum class RetentionMode { on, on_or_after };
enum class CohortMode { first, recurring };
std::optional<RetentionMode> parse_retention_mode(std::string_view text) noexcept;
std::optional<CohortMode> parse_cohort_mode(std::string_view text) noexcept;

/// `kpi retention` (CLI.md).
struct RetentionOptions {
  InputOptions input;
  time::Period period = time::Period::week;
  int horizon = 12;                       ///< offsets 0..horizon, inclusive; REQUIRES: >= 0
  RetentionMode mode = RetentionMode::on;
  CohortMode cohort = CohortMode::first;
  std::string start_event;                ///< "" = any event starts a cohort
  std::string return_event;               ///< "" = any event counts as a return
  std::vector<std::string> by;            ///< each segment computed as if it were the input
};

/// A record sink that analyses the events it was fed.
class EventsAnalysis : public RecordSink {
 public:
  /// Results (ordered by metric, period, dims) and warnings; `inputs` left empty.
  virtual Expected<ResultSet> finish() = 0;
};

std::unique_ptr<EventsAnalysis> make_funnel(const FunnelOptions& options, const TimeContext& time);
std::unique_ptr<EventsAnalysis> make_retention(const RetentionOptions& options,
                                               const TimeContext& time);

/// Reads `options.input` (kind events) and computes the funnel: funnel_users,
/// funnel_conversion, funnel_step_conversion, funnel_median_time with the dims
/// of --by then `step` = "<n>:<event>".
Expected<ResultSet> run_funnel(const FunnelOptions& options);

/// Reads `options.input` (kind events) and computes the retention table:
/// cohort_size (period = cohort), retained_users and retention_rate (dims of
/// --by then `offset` = "0".."horizon").
Expected<ResultSet> run_retention(const RetentionOptions& options);

}  // namespace kpi
