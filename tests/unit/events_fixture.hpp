// Test helper for `kpi funnel` / `kpi retention`: feeds rows (values in header
// order) as hand-built io::Records to an EventsAnalysis and looks results up.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpi/input.hpp"
#include "records_fixture.hpp"
#include "kpi/kinds/events.hpp"
#include "kpi/result.hpp"
#include "kpi/time.hpp"

namespace kpi::test {

class AnalysisFeed {
 public:
  AnalysisFeed(std::unique_ptr<EventsAnalysis> analysis, const std::vector<std::string>& header)
      : a_(std::move(analysis)), rows_(header, a_->columns(header)) {}

  Status add(std::initializer_list<std::string_view> values) { return a_->add(rows_.build(values)); }

  ResultSet finish() {
    auto t = a_->finish();
    if (!t) FAIL(t.error().message());
    return std::move(t).value();
  }

 private:
  std::unique_ptr<EventsAnalysis> a_;
  RowBuilder rows_;
};

inline const Result* find_result(const ResultSet& rs, std::string_view metric,
                                 std::string_view period, const Dims& dims) {
  for (const auto& r : rs.results)
    if (r.metric == metric && r.period == period && r.dims == dims) return &r;
  return nullptr;
}

/// The value of a result that must exist and be defined.
inline double value_of(const ResultSet& rs, std::string_view metric, std::string_view period,
                       const Dims& dims) {
  const Result* r = find_result(rs, metric, period, dims);
  INFO(metric << " " << period);
  REQUIRE(r != nullptr);
  REQUIRE(r->value.has_value());
  return *r->value;
}

/// The result exists and has no value.
inline bool null_result(const ResultSet& rs, std::string_view metric, std::string_view period,
                        const Dims& dims) {
  const Result* r = find_result(rs, metric, period, dims);
  return r != nullptr && !r->value.has_value();
}

/// A small deterministic generator (a 64-bit LCG) for randomised inputs.
class TestRandom {
 public:
  explicit TestRandom(std::uint64_t seed) : state_(seed) {}
  /// A number in [0, bound).
  int below(std::uint64_t bound) {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int>((state_ >> 33) % bound);
  }

 private:
  std::uint64_t state_;
};

struct EventRow {
  std::string user, ts, event;
};

/// User "u<user>" doing `event` at 2025-<month>-<day>T<hour>:00:00Z. (snprintf,
/// not "u" + std::to_string: g++ 12 -O3 flags that with -Wrestrict.)
inline EventRow event_row(int user, int month, int day, int hour, std::string_view event) {
  char id[24], ts[32];
  std::snprintf(id, sizeof id, "u%d", user);
  std::snprintf(ts, sizeof ts, "2025-%02d-%02dT%02d:00:00Z", month, day, hour);
  return EventRow{id, ts, std::string(event)};
}

/// Feeds `rows` to `plain` (user_id, timestamp, event) and to `split`, made
/// with --by all and the same rows with all = "x", then checks that every
/// result of `plain` is in `split`, under {all=x} and its own dims, with the
/// same value. Returns plain's results. For comparing an analysis's path
/// without --by with its path with --by (one segment is the whole input).
inline ResultSet check_same_as_one_segment(AnalysisFeed& plain, AnalysisFeed& split,
                                           const std::vector<EventRow>& rows) {
  for (const EventRow& r : rows) {
    REQUIRE(plain.add({r.user, r.ts, r.event}));
    REQUIRE(split.add({r.user, r.ts, r.event, "x"}));
  }
  ResultSet a = plain.finish();
  const ResultSet b = split.finish();
  REQUIRE(a.results.size() == b.results.size());
  for (const Result& r : a.results) {
    Dims dims{{"all", "x"}};
    dims.insert(dims.end(), r.dims.begin(), r.dims.end());
    const Result* other = find_result(b, r.metric, r.period, dims);
    INFO(r.metric << " " << r.period);
    REQUIRE(other != nullptr);
    CHECK(other->value == r.value);
  }
  return a;
}

}  // namespace kpi::test
