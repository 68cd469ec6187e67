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
#include "kpi/kinds/events.hpp"
#include "kpi/result.hpp"
#include "kpi/time.hpp"

namespace kpi::test {

class AnalysisFeed {
 public:
  AnalysisFeed(std::unique_ptr<EventsAnalysis> analysis, std::vector<std::string> header)
      : a_(std::move(analysis)), header_(std::move(header)) {
    names_ = a_->columns(header_);
  }

  Status add(std::initializer_list<std::string_view> values) {
    std::vector<std::string_view> v(values);
    REQUIRE(v.size() == header_.size());
    raw_.clear();
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i > 0) raw_ += ',';
      offsets.push_back(raw_.size());
      raw_ += v[i];
    }
    io::Record r;
    r.file = "test.csv";
    r.line = ++line_;
    r.raw = raw_;
    for (const auto& name : names_) {
      io::Field f;
      const auto it = std::find(header_.begin(), header_.end(), name);
      if (it != header_.end()) {
        const auto i = static_cast<std::size_t>(it - header_.begin());
        f.present = true;
        f.offset = static_cast<std::uint32_t>(offsets[i]);
        f.text = std::string_view(raw_).substr(offsets[i], v[i].size());
      }
      r.fields.push_back(f);
    }
    return a_->add(r);
  }

  ResultSet finish() {
    auto t = a_->finish();
    if (!t) FAIL(t.error().message());
    return std::move(t).value();
  }

 private:
  std::unique_ptr<EventsAnalysis> a_;
  std::vector<std::string> header_;
  std::vector<std::string> names_;
  std::string raw_;
  std::size_t line_ = 1;
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
