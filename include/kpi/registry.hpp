// kpi/registry.hpp — the metric catalog: one table that describes every metric.
//
// Each `MetricInfo` row gives a metric's id, unit, named inputs, formula text,
// one-line description, source, edge cases and a worked example, and — for
// formula metrics — the function that computes it (from kpi/formulas/). Inputs
// that records produce (e.g. `lost_customers`, `sessions`) are metrics too, with
// no function: they are measured, and reported so every rate can be audited.
// `kpi compute`, `list`, `explain` and `check` all read this table; the catalog
// order is the order results are reported in.
//
// `evaluate` derives every computable metric from a set of known values,
// following chains (customer_value → ltv → ltv_cac_ratio) and never computing a
// metric from itself (mrr ↔ arpu).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kpi {

enum class Unit { currency, count, percent, score, ratio, times, seconds, points, months };

/// Unit as written in machine outputs: "currency", "count", "%", "score",
/// "ratio", "x", "s", "points", "months".
std::string_view unit_symbol(Unit u) noexcept;

/// Computes a formula metric from its inputs, in `MetricInfo::inputs` order.
/// REQUIRES: `args` has `inputs.size()` finite values.
using FormulaFn = std::optional<double> (*)(const double* args) noexcept;

struct MetricInfo {
  std::string_view id;
  Unit unit;
  std::span<const std::string_view> inputs;  ///< empty for measured metrics
  std::string_view formula;      ///< human formula, e.g. "lost_customers / customers_start × 100"
  std::string_view description;  ///< one line
  std::string_view source;       ///< "doc", "ChartMogul", "ISTQB", ...
  std::string_view undefined_when;  ///< e.g. "customers_start is 0"; empty if never
  std::string_view example;      ///< worked example, e.g. "21 lost / 500 at start → 4.2%"
  std::string_view produced_by;  ///< record kinds that measure or feed it: "summary, subscriptions"
  FormulaFn compute = nullptr;   ///< nullptr for measured metrics
  bool non_negative = false;     ///< a negative value in the data is an input error

  bool is_formula() const noexcept { return compute != nullptr; }
};

/// Every metric, in catalog (report) order.
std::span<const MetricInfo> catalog() noexcept;
/// The metric with this id, or nullptr.
const MetricInfo* find_metric(std::string_view id) noexcept;
/// Position in the catalog (report order). REQUIRES: find_metric(id) != nullptr.
std::size_t catalog_index(std::string_view id) noexcept;
/// Up to three known ids close to `unknown` (edit distance), best first.
std::vector<std::string> suggest_metrics(std::string_view unknown);

/// A metric's state after evaluation: a value, or null with the reason.
struct Evaluated {
  std::optional<double> value;
  std::string reason;  ///< why there is no value (empty when value is set)
};

/// Known values by id: a value, or nullopt for a value known to be undefined.
using KnownValues = std::map<std::string, std::optional<double>, std::less<>>;

/// Derives every formula metric whose inputs are (transitively) known. Given
/// values are kept as given. A metric with an undefined input, or whose formula
/// is undefined (zero denominator), is present with no value and a reason.
/// The result holds the given values too.
std::map<std::string, Evaluated, std::less<>> evaluate(const KnownValues& known);

/// The inputs `id` needs that are neither known nor derivable from `known`
/// (leaves of the dependency tree); empty when `id` is computable.
std::vector<std::string> missing_inputs(std::string_view id, const KnownValues& known);

}  // namespace kpi
