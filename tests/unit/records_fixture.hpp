// Test helper for the record-kind aggregators: feeds CSV-like rows (values in
// the order of the given header) as hand-built io::Records, and finds groups.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpi/compute.hpp"
#include "kpi/input.hpp"
#include "kpi/kinds/aggregator.hpp"
#include "kpi/time.hpp"

namespace kpi::test {

inline TimeContext utc_context(std::optional<std::string_view> from = std::nullopt,
                               std::optional<std::string_view> to = std::nullopt) {
  TimeContext t;
  t.zone = time::Zone();
  t.parser = time::TimestampParser(time::Zone());
  if (from) t.from = time::parse_date(*from);
  if (to) t.to = time::parse_date(*to);
  return t;
}

/// Builds io::Records from CSV-like rows: values in `header` order, bound to the
/// sink's column `names` (absent names are absent fields). Views stay valid until
/// the next build().
class RowBuilder {
 public:
  RowBuilder(std::vector<std::string> header, std::vector<std::string> names)
      : header_(std::move(header)), names_(std::move(names)) {}

  const io::Record& build(std::initializer_list<std::string_view> values) {
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
    record_ = std::move(r);
    return record_;
  }

 private:
  std::vector<std::string> header_;
  std::vector<std::string> names_;
  std::string raw_;
  std::size_t line_ = 1;
  io::Record record_;
};

class Feed {
 public:
  Feed(std::unique_ptr<Aggregator> aggregator, const std::vector<std::string>& header)
      : agg_(std::move(aggregator)), rows_(header, agg_->columns(header)) {}

  /// One row, values in header order.
  Status add(std::initializer_list<std::string_view> values) { return agg_->add(rows_.build(values)); }

  Table finish() {
    auto t = agg_->finish();
    if (!t) FAIL(t.error().message());
    return std::move(t).value();
  }
  Expected<Table> try_finish() { return agg_->finish(); }

 private:
  std::unique_ptr<Aggregator> agg_;
  RowBuilder rows_;
};

inline const Group& group(const Table& t, std::string_view period, const Dims& dims = {}) {
  for (const auto& g : t.groups) {
    if (g.period == period && g.dims == dims) return g;
  }
  FAIL("no group for period " << period);
  return t.groups.front();
}

/// The measured value of `id` (must be present and defined).
inline double val(const Group& g, std::string_view id) {
  const auto it = g.values.find(id);
  INFO("metric " << id << " in " << g.period);
  REQUIRE(it != g.values.end());
  REQUIRE(it->second.has_value());
  return *it->second;
}

/// `id` is present with no value and a reason.
inline bool is_null(const Group& g, std::string_view id) {
  const auto it = g.values.find(id);
  return it != g.values.end() && !it->second.has_value() && g.reasons.count(std::string(id)) == 1;
}

inline bool has(const Group& g, std::string_view id) { return g.values.find(id) != g.values.end(); }

inline std::vector<std::string> periods(const Table& t) {
  std::vector<std::string> out;
  for (const auto& g : t.groups) out.push_back(g.period);
  return out;
}

inline bool mentions(const std::vector<std::string>& warnings, std::string_view text) {
  return std::any_of(warnings.begin(), warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

inline bool error_mentions(const Status& s, std::string_view text) {
  return !s && s.error().message().find(text) != std::string::npos;
}

}  // namespace kpi::test
