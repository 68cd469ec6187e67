// Test helper for `kpi funnel` / `kpi retention`: feeds rows (values in header
// order) as hand-built io::Records to an EventsAnalysis and looks results up.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
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

}  // namespace kpi::test
