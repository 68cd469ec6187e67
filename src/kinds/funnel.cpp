// `kpi funnel` (METRICS.md §3): per user, the entry is their first in-range
// occurrence of step 1; later steps are matched inside the window from it,
// ordered (earliest occurrence at or after the previous step), strict (the very
// next event) or in any order. Users count in the period and segment of their
// entry event.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events_store.hpp"
#include "kpi/formulas/common.hpp"
#include "kpi/kinds/events.hpp"

namespace kpi {
namespace {

using namespace events_detail;
using time::Micros;

struct Cell {
  std::vector<std::uint64_t> users;        // per step
  std::vector<std::vector<double>> times;  // per step: seconds from the previous step
};

// Only a strict funnel (the very next event) and --by (a segment counts with
// any in-range row) look at events that are no step: otherwise the log stores
// the steps' rows alone.
LogColumns funnel_columns(const FunnelOptions& options) {
  LogColumns columns{false, false, false, options.by, {}, {}};
  if (options.order != FunnelOrder::strict && options.by.empty()) columns.only_events = options.steps;
  return columns;
}

// An ordered or any-order funnel without --by matches its entry, the user's
// first in-range row of step 1, and never another row of step 1 unless a later
// step is the same event: then the log keeps one such row per user (RowFold).
bool folds_entries(const FunnelOptions& options) {
  if (options.order == FunnelOrder::strict || !options.by.empty() || options.steps.empty()) return false;
  return std::find(options.steps.begin() + 1, options.steps.end(), options.steps.front()) == options.steps.end();
}

class FunnelAnalysis final : public LoggedAnalysis<FunnelOptions> {
 public:
  FunnelAnalysis(const FunnelOptions& options, const TimeContext& time)
      : LoggedAnalysis(options, funnel_columns(options), time) {
    if (folds_entries(opt_)) {
      RowFold fold;
      fold.classify = [entry = opt_.steps.front()](std::string_view event) -> std::uint8_t {
        return event == entry ? 1 : 0;
      };
      fold.span = RowFold::Span::range;
      log_.fold_rows(std::move(fold));
    }
  }
  Expected<ResultSet> finish() override;
};

Expected<ResultSet> FunnelAnalysis::finish() {
  ResultSet out;
  const std::size_t n = opt_.steps.size();
  if (n == 0) return Error("kpi funnel: --steps needs at least one event");
  for (const auto& s : opt_.steps)
    if (s.empty()) return Error("kpi funnel: --steps has an empty step name");
  auto made = analysis_grid(log_, opt_.period, "funnel", out.warnings);
  if (!made) return std::move(made).error();
  if (!*made) return out;
  const kinds::PeriodGrid& grid = **made;
  std::vector<std::uint32_t> code(n);
  for (std::size_t k = 0; k < n; ++k) {
    code[k] = log_.names().find(opt_.steps[k]);
    if (code[k] == kNone)
      out.warnings.push_back("funnel: step " + std::to_string(k + 1) + " '" + opt_.steps[k] +
                             "' never occurs in the input");
  }

  // By (user, time), input order among equal instants.
  SortPlan plan;
  plan.input_index = !opt_.by.empty();
  const SortedEvents ev = sort_events(log_, plan);
  const std::uint32_t nseg = log_.segment_count();
  std::vector<bool> seg_in_range(nseg, false);
  std::vector<Cell> cells(static_cast<std::size_t>(nseg) * grid.size());
  for (auto& c : cells) {
    c.users.assign(n, 0);
    c.times.resize(n);
  }
  DayCache day_of(time_.zone);

  std::vector<std::size_t> hit(n);  // matched row of each step
  std::size_t ub = 0;
  while (ub < ev.size()) {
    std::size_t ue = ub;
    while (ue < ev.size() && ev[ue].user == ev[ub].user) ++ue;
    const std::size_t next_user = ue;
    std::size_t ib = ub;
    while (ib < ue && ev[ib].ts < grid.begin()) ++ib;
    while (ue > ib && ev[ue - 1].ts >= grid.end()) --ue;
    for (std::size_t i = ib; i < ue; ++i) seg_in_range[ev.seg(i)] = true;
    std::size_t entry = ib;
    while (entry < ue && ev[entry].event != code[0]) ++entry;
    if (entry == ue || code[0] == kNone) {
      ub = next_user;
      continue;
    }
    const Micros t0 = ev[entry].ts;
    const Micros deadline = t0 + opt_.window;
    hit[0] = entry;
    std::size_t reached = 1;
    auto used = [&](std::size_t j) {
      for (std::size_t k = 0; k < reached; ++k)
        if (hit[k] == j) return true;
      return false;
    };
    // First row at or after instant t (rows at the same instant may precede `entry`).
    auto first_at = [&](Micros t) {
      std::size_t j = ib;
      while (j < ue && ev[j].ts < t) ++j;
      return j;
    };
    for (std::size_t k = 1; k < n && code[k] != kNone; ++k) {
      std::optional<std::size_t> found;
      if (opt_.order == FunnelOrder::strict) {
        const std::size_t j = hit[k - 1] + 1;
        if (j < ue && ev[j].event == code[k] && ev[j].ts <= deadline) found = j;
      } else {
        const Micros from = opt_.order == FunnelOrder::any ? t0 : ev[hit[k - 1]].ts;
        for (std::size_t j = first_at(from); j < ue && ev[j].ts <= deadline; ++j) {
          if (ev[j].event == code[k] && !used(j)) {
            found = j;
            break;
          }
        }
      }
      if (!found) break;
      hit[k] = *found;
      ++reached;
    }
    const std::size_t p = grid.index_of(day_of(t0));
    Cell& cell = cells[static_cast<std::size_t>(ev.seg(entry)) * grid.size() + p];
    for (std::size_t k = 0; k < reached; ++k) {
      ++cell.users[k];
      if (k > 0)
        cell.times[k].push_back(static_cast<double>(ev[hit[k]].ts - ev[hit[k - 1]].ts) / 1e6);
    }
    ub = next_user;
  }

  // Segments reported: those with in-range rows (or the one segment without --by).
  std::vector<std::uint32_t> segs;
  for (std::uint32_t s : log_.sorted_segments())
    if (seg_in_range[s]) segs.push_back(s);
  if (segs.empty() && opt_.by.empty() && nseg > 0) segs.push_back(0);

  static constexpr std::string_view kMetrics[] = {"funnel_users", "funnel_conversion",
                                                  "funnel_step_conversion", "funnel_median_time"};
  for (std::size_t m = 0; m < std::size(kMetrics); ++m) {
    const std::string metric(kMetrics[m]);
    for (std::size_t p = 0; p < grid.size(); ++p) {
      const std::string label = grid.label(p);
      for (std::uint32_t s : segs) {
        const Cell& cell = cells[static_cast<std::size_t>(s) * grid.size() + p];
        for (std::size_t k = 0; k < n; ++k) {
          if (m == 3 && k == 0) continue;  // no time to step 1
          Result r;
          r.metric = metric;
          r.period = label;
          r.dims = log_.segment_dims(s);
          r.dims.emplace_back("step", std::to_string(k + 1) + ":" + opt_.steps[k]);
          const auto users = static_cast<double>(cell.users[k]);
          std::string why;
          switch (m) {
            case 0:
              r.value = users;
              break;
            case 1:
              r.value = formulas::percent_of(users, static_cast<double>(cell.users[0]));
              why = "nobody entered the funnel";
              break;
            case 2:
              r.value = formulas::percent_of(
                  users, static_cast<double>(cell.users[k == 0 ? 0 : k - 1]));
              why = k == 0 ? "nobody entered the funnel" : "nobody reached the previous step";
              break;
            default: {
              std::vector<double> t = cell.times[k];
              std::sort(t.begin(), t.end());
              r.value = percentile(t, 0.5);
              why = "nobody reached this step";
            }
          }
          if (!r.value) out.warnings.push_back(metric + " " + scope(label, r.dims) + ": no value: " + why);
          out.results.push_back(std::move(r));
        }
      }
    }
  }
  return out;
}

}  // namespace

std::optional<FunnelOrder> parse_funnel_order(std::string_view text) noexcept {
  if (text == "ordered") return FunnelOrder::ordered;
  if (text == "strict") return FunnelOrder::strict;
  if (text == "any") return FunnelOrder::any;
  return std::nullopt;
}

std::unique_ptr<EventsAnalysis> make_funnel(const FunnelOptions& options, const TimeContext& time) {
  return std::make_unique<FunnelAnalysis>(options, time);
}

Expected<ResultSet> run_funnel(const FunnelOptions& options) {
  return events_detail::run_events_analysis(
      options.input, "funnel",
      [&](const TimeContext& time) { return make_funnel(options, time); });
}

}  // namespace kpi
