// The analysis range cut into periods (see period_grid.hpp).
#include "period_grid.hpp"

#include <algorithm>
#include <string_view>

namespace kpi::kinds {

Expected<std::optional<PeriodGrid>> PeriodGrid::make(const TimeContext& time, time::Period period,
                                                     std::optional<time::Day> data_first,
                                                     std::optional<time::Day> data_last) {
  const std::optional<time::Day> first = time.from ? time.from : data_first;
  const std::optional<time::Day> last = time.to ? time.to : data_last;
  if (!first || !last || *first > *last) return std::optional<PeriodGrid>{};
  PeriodGrid g;
  g.period_ = period;
  g.first_ = *first;
  g.last_ = *last;
  g.begin_ = time.zone.day_start(*first);
  g.end_ = time.zone.day_start(*last + 1);
  g.first_key_ = time::period_key(period, *first);  // 0 for Period::all
  const auto count = static_cast<std::size_t>(time::period_key(period, *last) - g.first_key_) + 1;
  if (count > kMaxPeriods) {
    std::string msg = "--period ";
    msg += time::period_name(period);
    msg += " over ";
    msg += time::format_date(*first);
    msg += "..";
    msg += time::format_date(*last);
    msg += " makes ";
    msg += std::to_string(count);
    msg += " periods; a report has at most ";
    msg += std::to_string(kMaxPeriods);
    msg += ": choose a longer --period or narrow the range with --from/--to";
    return Error(std::move(msg));
  }
  g.count_ = count;
  if (g.days() <= kIndexedDays) {
    g.index_of_day_.resize(static_cast<std::size_t>(g.days()));
    for (time::Day d = g.first_; d <= g.last_; ++d)
      g.index_of_day_[static_cast<std::size_t>(d - g.first_)] = static_cast<std::uint32_t>(g.compute_index_of(d));
  }
  return std::optional<PeriodGrid>{std::move(g)};
}

std::size_t PeriodGrid::compute_index_of(time::Day d) const noexcept {
  return static_cast<std::size_t>(time::period_key(period_, d) - first_key_);
}

std::string PeriodGrid::label(std::size_t i) const { return time::period_label(period_, key(i)); }

time::Day PeriodGrid::first_in_range(std::size_t i) const noexcept {
  if (period_ == time::Period::all) return first_;
  return std::max(first_, time::period_first_day(period_, key(i)));
}

time::Day PeriodGrid::last_in_range(std::size_t i) const noexcept {
  if (period_ == time::Period::all) return last_;
  return std::min(last_, time::period_last_day(period_, key(i)));
}

}  // namespace kpi::kinds
