// src/kinds/events_store.hpp — the compact event log shared by the events
// aggregator, `kpi funnel` and `kpi retention`.
//
// Every event is kept as 32 bytes (timestamp, dense user/event/session/feature/
// segment codes, an index into a side array of values) so 100M rows fit in
// memory; strings are interned once into an arena and never copied per row.
// The log also owns the analysis range (METRICS.md §2 "Time and range") and the
// period grid, so the three analyses report identical periods for one input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpi/error.hpp"
#include "kpi/input.hpp"
#include "kpi/io/reader.hpp"
#include "kpi/kinds/events.hpp"
#include "kpi/result.hpp"
#include "kpi/time.hpp"

namespace kpi::events_detail {

inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;

/// Strings → dense ids. Open addressing over an arena; a lookup of a known
/// string neither hashes twice nor allocates.
class StringPool {
 public:
  StringPool();
  std::uint32_t intern(std::string_view s);
  /// The id of `s`, or kNone.
  std::uint32_t find(std::string_view s) const noexcept;
  std::string_view str(std::uint32_t id) const noexcept { return strs_[id]; }
  std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(strs_.size()); }

 private:
  std::string_view store(std::string_view s);
  void grow();
  std::vector<std::string_view> strs_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint32_t> table_;  // id + 1; 0 = empty
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::size_t chunk_used_ = 0, chunk_size_ = 0;
};

struct Event {
  time::Micros ts;
  std::uint32_t user;
  std::uint32_t event;
  std::uint32_t session;  ///< kNone when blank or no column
  std::uint32_t feature;  ///< kNone when blank or no column
  std::uint32_t seg;      ///< segment (combination of --by values)
  std::uint32_t value;    ///< index into EventLog::values(), or kNone
};
static_assert(sizeof(Event) == 32);

/// Which optional columns an analysis reads.
struct LogColumns {
  bool session = false, feature = false, value = false;
  std::vector<std::string> by;
};

/// The record sink part: validates and stores events.
class EventLog {
 public:
  EventLog(LogColumns columns, const TimeContext& time);

  std::vector<std::string> columns(const std::vector<std::string>& available);
  Status add(const io::Record& record);

  std::vector<Event>& events() noexcept { return events_; }
  const std::vector<Event>& events() const noexcept { return events_; }
  const std::vector<double>& values() const noexcept { return values_; }
  const StringPool& users() const noexcept { return users_; }
  const StringPool& names() const noexcept { return names_; }  ///< event names
  const StringPool& features() const noexcept { return features_; }
  std::uint32_t segment_count() const noexcept { return segs_.size(); }
  /// --by name/value pairs of segment s, in --by order.
  Dims segment_dims(std::uint32_t s) const;
  /// Segment ids sorted by their dims ascending.
  std::vector<std::uint32_t> sorted_segments() const;
  const std::vector<std::string>& by() const noexcept { return cols_.by; }
  /// --by columns no input file had (reported as an error by the analyses).
  std::vector<std::string> missing_by() const;
  /// An Error naming the --by columns no input had, or ok.
  Status check_by() const;
  std::optional<time::Micros> min_ts() const noexcept { return min_ts_; }
  std::optional<time::Micros> max_ts() const noexcept { return max_ts_; }
  const TimeContext& time() const noexcept { return time_; }

 private:
  LogColumns cols_;
  const TimeContext& time_;
  // Slots of the current file (kNoSlot when absent).
  std::size_t s_user_ = 0, s_ts_ = 1, s_event_ = 2;
  std::size_t s_session_, s_feature_, s_value_;
  std::vector<std::size_t> s_by_;
  std::vector<bool> by_seen_;
  std::vector<std::string_view> by_vals_;
  std::string seg_key_;
  std::vector<Event> events_;
  std::vector<double> values_;
  StringPool users_, names_, sessions_, features_, segs_;
  std::optional<time::Micros> min_ts_, max_ts_;
};

/// Local day of an instant, caching the current day's bounds (consecutive
/// timestamps of one user mostly fall on the same day).
class DayCache {
 public:
  explicit DayCache(const time::Zone& zone) : zone_(zone) {}
  time::Day operator()(time::Micros ts) {
    if (ts >= lo_ && ts < hi_) return day_;
    day_ = zone_.local_day(ts);
    lo_ = zone_.day_start(day_);
    hi_ = zone_.day_start(day_ + 1);
    if (ts < lo_ || ts >= hi_) lo_ = hi_ = 0;  // defensive: never cache a wrong day
    return day_;
  }

 private:
  const time::Zone& zone_;
  time::Micros lo_ = 0, hi_ = 0;
  time::Day day_ = 0;
};

/// The analysis range: inclusive local days [first, last] and their instants.
struct Range {
  time::Day first = 0, last = 0;
  time::Micros begin = 0;  ///< local midnight starting `first`
  time::Micros end = 0;    ///< local midnight ending `last` (exclusive)
  bool in(time::Micros ts) const noexcept { return ts >= begin && ts < end; }
  std::int32_t days() const noexcept { return last - first + 1; }
};

/// [--from, --to], missing bounds taken from the first/last local day present.
/// nullopt when there is no data and no bounds, or the range is empty.
std::optional<Range> make_range(const EventLog& log);

/// The periods of `p` overlapping a range, in order, with their in-range days.
class Periods {
 public:
  Periods(time::Period p, const Range& range);
  time::Period period() const noexcept { return p_; }
  std::size_t size() const noexcept { return n_; }
  /// REQUIRES: range.first <= d <= range.last.
  std::size_t index_of(time::Day d) const noexcept;
  std::string label(std::size_t i) const;
  time::Day first_day(std::size_t i) const noexcept;  ///< in range
  time::Day last_day(std::size_t i) const noexcept;   ///< in range
  std::int32_t key(std::size_t i) const noexcept { return first_key_ + static_cast<std::int32_t>(i); }

 private:
  time::Period p_;
  Range range_;
  std::int32_t first_key_ = 0;
  std::size_t n_ = 0;
};

/// Sorts by (segment, user, timestamp), keeping input order among equals, when
/// `by_segment`; else by (user, timestamp).
void sort_events(std::vector<Event>& events, bool by_segment);

/// Type-7 percentile of a sorted sample; nullopt when empty.
std::optional<double> percentile(const std::vector<double>& sorted, double p);

/// Reads `input` (kind events: detected, or --kind events) into the analysis
/// `make` builds, then finishes it; fills the inputs info and warnings.
Expected<ResultSet> run_events_analysis(
    const InputOptions& input, std::string_view command,
    const std::function<std::unique_ptr<EventsAnalysis>(const TimeContext&)>& make);

/// "PERIOD {name=value, ...}" for warnings (the compute driver's form).
std::string scope(const std::string& period, const Dims& dims);

/// "1234.5" style shortest form for messages.
std::string num(double v);

}  // namespace kpi::events_detail
