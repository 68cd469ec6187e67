// kpi/result.hpp — what a computation produces.
//
// A `Result` is one metric value for one period and one combination of
// dimensions (CLI.md "Output"). A `ResultSet` is the whole answer of a run:
// the ordered results, what was read (`InputsInfo`) and the warnings (why a value
// is null, which rows were skipped, ...). Report writers and `kpi check` consume
// exactly this, so every output format and every gate sees the same numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kpi {

/// Dimension name/value pairs in the order they are reported, e.g.
/// {{"plan","pro"}} or {{"step","2:signup"}}.
using Dims = std::vector<std::pair<std::string, std::string>>;

struct Result {
  std::string metric;             ///< registry id, e.g. "churn_rate"
  std::string period;             ///< "2025-03", "2025-W10", "all", "row 2", ...
  Dims dims;                      ///< empty when there are no dimensions
  std::optional<double> value;    ///< std::nullopt = undefined (JSON null)
  /// With --explain-inputs: the formula's inputs and their values for this result,
  /// in formula order (empty for measured metrics and values given in the data).
  std::vector<std::pair<std::string, std::optional<double>>> inputs = {};
};

struct InputsInfo {
  std::vector<std::string> files;  ///< as given on the command line ("-" for stdin)
  std::string kind;                ///< "events", "summary", ...
  std::uint64_t rows = 0;          ///< data records read (header excluded)
  std::uint64_t skipped_rows = 0;  ///< rows skipped by --skip-invalid
};

struct ResultSet {
  std::vector<Result> results;
  InputsInfo inputs;
  std::vector<std::string> warnings;
};

}  // namespace kpi
