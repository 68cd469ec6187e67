// src/kinds/period_grid.hpp — the analysis range cut into periods, shared by
// every kind (METRICS.md §2 "Time and range").
//
// The range is [--from, --to] in local days, a missing bound taken from the
// data. It is cut into every period of `--period` that overlaps it; the first
// and last period keep only their in-range days. One grid for every kind means
// compute, funnel and retention report identical periods for one input.
//
// Every kind keeps state per period (and per segment), so the number of periods
// is capped: without a cap two rows 8 000 years apart with `--period day` asked
// for 2.9 million periods and exhausted memory. The cap is an error, not a
// silent cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kpi/error.hpp"
#include "kpi/input.hpp"
#include "kpi/time.hpp"

namespace kpi::kinds {

class PeriodGrid {
 public:
  /// Most periods one report may have: daily periods for 54 years, weekly for
  /// 380. Each period costs every kind a few KB per segment and the output a
  /// row per metric, so the cap keeps a two-row input from costing gigabytes.
  static constexpr std::size_t kMaxPeriods = 20000;

  /// The grid over [--from, --to], each missing bound taken from the data
  /// (`data_first`/`data_last`: first and last local day present). nullopt when
  /// there is no range: no data and no bounds, or a range ending before it
  /// starts. An Error when the range holds more than kMaxPeriods periods.
  static Expected<std::optional<PeriodGrid>> make(const TimeContext& time, time::Period period,
                                                  std::optional<time::Day> data_first,
                                                  std::optional<time::Day> data_last);

  time::Period period() const noexcept { return period_; }
  std::size_t size() const noexcept { return count_; }

  /// First and last local day of the range (inclusive), and its length.
  time::Day first_day() const noexcept { return first_; }
  time::Day last_day() const noexcept { return last_; }
  std::int32_t days() const noexcept { return last_ - first_ + 1; }
  bool contains(time::Day d) const noexcept { return d >= first_ && d <= last_; }

  /// The range as instants: local midnight starting the first day, local
  /// midnight ending the last one (exclusive).
  time::Micros begin() const noexcept { return begin_; }
  time::Micros end() const noexcept { return end_; }
  bool contains_instant(time::Micros ts) const noexcept { return ts >= begin_ && ts < end_; }

  /// Index of the period holding in-range day `d`. REQUIRES: contains(d).
  std::size_t index_of(time::Day d) const noexcept {
    if (!index_of_day_.empty()) return index_of_day_[static_cast<std::size_t>(d - first_)];
    return compute_index_of(d);
  }
  /// time::period_key of period i.
  std::int32_t key(std::size_t i) const noexcept { return first_key_ + static_cast<std::int32_t>(i); }
  std::string label(std::size_t i) const;
  /// First/last in-range local day of period i.
  time::Day first_in_range(std::size_t i) const noexcept;
  time::Day last_in_range(std::size_t i) const noexcept;

 private:
  // A range of at most this many days keeps each day's period index: the
  // analyses ask per event and per session, and a month or quarter costs a
  // civil-date conversion to compute.
  static constexpr std::int32_t kIndexedDays = 1 << 16;
  std::size_t compute_index_of(time::Day d) const noexcept;

  time::Period period_ = time::Period::month;
  time::Day first_ = 0, last_ = 0;
  time::Micros begin_ = 0, end_ = 0;
  std::int32_t first_key_ = 0;
  std::size_t count_ = 0;
  std::vector<std::uint32_t> index_of_day_;  // per day of the range, when it has at most kIndexedDays
};

}  // namespace kpi::kinds
