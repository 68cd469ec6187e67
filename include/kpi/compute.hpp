// kpi/compute.hpp — the main job: records or summary rows in, KPI results out.
//
// `compute` opens the inputs, detects (or takes) the record kind, streams every
// record once through that kind's aggregator, evaluates the metric registry on
// what the aggregator measured per period and dimension, and returns the
// ordered `ResultSet` that every report writer and `kpi check` consume.
// Options mirror CLI.md's input and compute options one to one; the CLI only
// parses strings into this struct.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kpi/error.hpp"
#include "kpi/io/reader.hpp"
#include "kpi/result.hpp"
#include "kpi/time.hpp"

namespace kpi {

/// Where the records come from and how to read them (CLI.md "Input options").
struct InputOptions {
  std::vector<std::string> files;  ///< "-" = stdin; empty = stdin
  io::ReaderOptions reader;
  std::string kind;                ///< "" = detect from the columns
  std::string time_format;         ///< "" = ISO 8601 / epoch
  std::string tz = "UTC";
  std::string from, to;            ///< inclusive local dates "YYYY-MM-DD", or ""
  bool skip_invalid = false;
};

/// CLI.md "Compute options" (output options stay in the CLI).
struct ComputeOptions {
  InputOptions input;
  std::vector<std::string> metrics;  ///< -m: only these ids ("" = all computable)
  time::Period period = time::Period::month;
  bool period_given = false;         ///< --period was given explicitly
  std::vector<std::string> by;       ///< --by COLUMN
  std::vector<std::pair<std::string, double>> set;              ///< --set NAME=VALUE
  std::vector<std::pair<std::string, std::string>> event_roles; ///< --event ROLE=NAME
  std::vector<std::string> active_events;                       ///< --active-event
  time::Micros session_timeout = 30 * time::kMicrosPerMinute;
  time::Micros activation_window = 14 * time::kMicrosPerDay;
  std::int64_t early_churn_days = 14;
  std::vector<std::pair<std::string, time::Micros>> targets;    ///< --target CHANNEL=DUR
  std::vector<std::string> time_to;                             ///< --time-to EVENT
  std::string survey;                                           ///< "", "nps" or "csat"
  bool explain_inputs = false;  ///< fill Result::inputs so each value can be audited
};

/// Runs the whole computation. Errors: unreadable or invalid input (without
/// --skip-invalid), unknown metric ids, a requested metric the data cannot
/// feed, a bad option value.
Expected<ResultSet> compute(const ComputeOptions& options);

}  // namespace kpi
