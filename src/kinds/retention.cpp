// `kpi retention` (METRICS.md §3): cohorts by the period of a user's first
// (start) event, or every period they are active in; retained at offset k when
// active (or doing the return event) in cohort+k, or from cohort+k on. Each
// --by segment is computed as if its rows were the whole input.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events_store.hpp"
#include "kpi/formulas/common.hpp"
#include "kpi/kinds/events.hpp"
#include "kpi/registry.hpp"

namespace kpi {
namespace {

using namespace events_detail;
using time::Micros;

class RetentionAnalysis final : public LoggedAnalysis<RetentionOptions> {
 public:
  using LoggedAnalysis::LoggedAnalysis;
  Expected<ResultSet> finish() override;
};

// Counts of one segment: size per cohort, retained per cohort and offset.
struct SegmentTable {
  std::uint32_t seg = 0;
  std::vector<std::uint64_t> size;
  std::vector<std::vector<std::uint64_t>> retained;
};

Expected<ResultSet> RetentionAnalysis::finish() {
  ResultSet out;
  if (opt_.horizon < 0) return Error("kpi retention: --horizon must be 0 or more");
  if (Status s = log_.check_by(); !s) return std::move(s).error();
  auto made = make_grid(log_, opt_.period);
  if (!made) return std::move(made).error();
  if (!*made) {
    out.warnings.push_back(log_.empty() ? "retention: no events, nothing to report"
                                                 : "retention: the analysis range is empty");
    return out;
  }
  const kinds::PeriodGrid& grid = **made;
  const std::size_t np = grid.size();
  const auto horizon = static_cast<std::size_t>(opt_.horizon);
  auto code_of = [&](const std::string& name, std::string_view option) -> std::uint32_t {
    if (name.empty()) return kNone;
    const std::uint32_t c = log_.names().find(name);
    if (c == kNone)
      out.warnings.push_back("retention: " + std::string(option) + " '" + name +
                             "' never occurs in the input");
    return c;
  };
  const std::uint32_t start_code = code_of(opt_.start_event, "--start-event");
  const std::uint32_t return_code = code_of(opt_.return_event, "--return-event");
  const bool any_start = opt_.start_event.empty();
  const bool any_return = opt_.return_event.empty();

  const bool segmented = !opt_.by.empty();
  const SortedEvents ev = sort_events(log_, segmented);
  DayCache day_of(time_.zone);

  std::vector<SegmentTable> tables;
  std::vector<std::size_t> returns, cohorts;  // per-user scratch: period indices, ascending
  std::size_t b = 0;
  while (b < ev.size()) {
    std::size_t e = b;
    while (e < ev.size() && ev.seg(e) == ev.seg(b)) ++e;
    SegmentTable t;
    t.seg = ev.seg(b);
    t.size.assign(np, 0);
    t.retained.assign(np, std::vector<std::uint64_t>(horizon + 1, 0));
    bool any_in_range = false;
    std::size_t ub = b;
    while (ub < e) {
      std::size_t ue = ub;
      while (ue < e && ev[ue].user == ev[ub].user) ++ue;
      const std::size_t next_user = ue;
      while (ue > ub && ev[ue - 1].ts >= grid.end()) --ue;  // after the range: ignored
      std::size_t ib = ub;
      while (ib < ue && ev[ib].ts < grid.begin()) ++ib;
      if (ib < ue) any_in_range = true;
      returns.clear();
      cohorts.clear();
      for (std::size_t i = ib; i < ue; ++i) {
        const std::size_t p = grid.index_of(day_of(ev[i].ts));
        if ((any_return || ev[i].event == return_code) && (returns.empty() || returns.back() != p))
          returns.push_back(p);
        if (opt_.cohort == CohortMode::recurring && (any_start || ev[i].event == start_code) &&
            (cohorts.empty() || cohorts.back() != p))
          cohorts.push_back(p);
      }
      if (opt_.cohort == CohortMode::first) {
        // The first (start) event of the whole input; a user first seen before the
        // range is history, not a cohort member.
        for (std::size_t i = ub; i < ue; ++i) {
          if (any_start || ev[i].event == start_code) {
            if (ev[i].ts >= grid.begin()) cohorts.push_back(grid.index_of(day_of(ev[i].ts)));
            break;
          }
        }
      }
      for (const std::size_t c : cohorts) {
        ++t.size[c];
        for (std::size_t k = 0; k <= horizon && c + k < np; ++k) {
          const std::size_t target = c + k;
          bool kept;
          if (k == 0 && opt_.cohort == CohortMode::first) {
            kept = true;  // offset 0 is the cohort itself (METRICS.md §3)
          } else if (opt_.mode == RetentionMode::on) {
            kept = std::binary_search(returns.begin(), returns.end(), target);
          } else {
            kept = !returns.empty() && returns.back() >= target;
          }
          if (kept) ++t.retained[c][k];
        }
      }
      ub = next_user;
    }
    if (any_in_range || !segmented) tables.push_back(std::move(t));
    b = e;
  }
  if (tables.empty()) {  // no rows at all, but --from/--to give a range
    SegmentTable t;
    t.size.assign(np, 0);
    t.retained.assign(np, std::vector<std::uint64_t>(horizon + 1, 0));
    if (!segmented) tables.push_back(std::move(t));
  }
  std::vector<std::uint32_t> order = log_.sorted_segments();
  std::vector<std::size_t> rank(log_.segment_count(), 0);
  for (std::size_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
  std::stable_sort(tables.begin(), tables.end(), [&](const SegmentTable& x, const SegmentTable& y) {
    return (x.seg < rank.size() ? rank[x.seg] : 0) < (y.seg < rank.size() ? rank[y.seg] : 0);
  });

  // Warnings: one per cohort for the cells beyond the range, one per empty cohort.
  for (const auto& t : tables) {
    const Dims dims = segmented ? log_.segment_dims(t.seg) : Dims{};
    for (std::size_t c = 0; c < np; ++c) {
      const std::string where = scope(grid.label(c), dims);
      if (c + horizon >= np) {
        const std::size_t first_beyond = np - c;
        const std::string offsets =
            first_beyond == horizon
                ? "offset " + std::to_string(horizon) + " lies"
                : "offsets " + std::to_string(first_beyond) + "-" + std::to_string(horizon) + " lie";
        out.warnings.push_back("retained_users, retention_rate " + where + ": " + offsets +
                               " beyond the end of the range: no value");
      }
      if (t.size[c] == 0)
        out.warnings.push_back("retention_rate " + where + ": no value: empty cohort");
    }
  }

  std::vector<std::string> metrics{"cohort_size", "retained_users", "retention_rate"};
  std::stable_sort(metrics.begin(), metrics.end(), [](const std::string& x, const std::string& y) {
    const bool kx = find_metric(x) != nullptr, ky = find_metric(y) != nullptr;
    if (kx && ky) return catalog_index(x) < catalog_index(y);
    return kx && !ky;
  });
  for (const auto& metric : metrics) {
    for (std::size_t c = 0; c < np; ++c) {
      const std::string label = grid.label(c);
      for (const auto& t : tables) {
        const Dims dims = segmented ? log_.segment_dims(t.seg) : Dims{};
        if (metric == "cohort_size") {
          out.results.push_back(Result{metric, label, dims, static_cast<double>(t.size[c])});
          continue;
        }
        for (std::size_t k = 0; k <= horizon; ++k) {
          Result r{metric, label, dims, std::nullopt};
          r.dims.emplace_back("offset", std::to_string(k));
          if (c + k < np) {
            const auto kept = static_cast<double>(t.retained[c][k]);
            r.value = metric == "retained_users"
                          ? std::optional<double>(kept)
                          : formulas::percent_of(kept, static_cast<double>(t.size[c]));
          }
          out.results.push_back(std::move(r));
        }
      }
    }
  }
  return out;
}

}  // namespace

std::optional<RetentionMode> parse_retention_mode(std::string_view text) noexcept {
  if (text == "on") return RetentionMode::on;
  if (text == "on_or_after") return RetentionMode::on_or_after;
  return std::nullopt;
}

std::optional<CohortMode> parse_cohort_mode(std::string_view text) noexcept {
  if (text == "first") return CohortMode::first;
  if (text == "recurring") return CohortMode::recurring;
  return std::nullopt;
}

std::unique_ptr<EventsAnalysis> make_retention(const RetentionOptions& options,
                                               const TimeContext& time) {
  return std::make_unique<RetentionAnalysis>(options, time);
}

Expected<ResultSet> run_retention(const RetentionOptions& options) {
  return events_detail::run_events_analysis(
      options.input, "retention",
      [&](const TimeContext& time) { return make_retention(options, time); });
}

}  // namespace kpi
