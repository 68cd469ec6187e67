// kpi/formulas/common.hpp — the building blocks every formula of kpi/formulas/ uses.
//
// A KPI formula is a ratio, a percentage or a product of measured inputs. These
// helpers turn the raw arithmetic into a value or `std::nullopt`: a zero
// denominator, or any result that is not a finite double (overflow, NaN from
// non-finite inputs), has no value — kpi never reports inf, nan or a silent 0.
// They are public because aggregators need the same rules for the rates they
// measure themselves (funnel conversion, retention cells, within-target rates).
// Everything here is `constexpr noexcept` and allocation-free.
#pragma once

#include <limits>
#include <optional>

namespace kpi::formulas {

/// True when `x` is neither infinite nor NaN.
/// Why not std::isfinite: it is not constexpr before C++23. NaN fails both
/// comparisons, ±inf fails one.
constexpr bool is_finite(double x) noexcept {
  return x >= -std::numeric_limits<double>::max() && x <= std::numeric_limits<double>::max();
}

/// `x` when it is finite, otherwise no value.
/// Example: finite_or_null(2.5) = 2.5; finite_or_null(1e308 * 10) = nullopt.
constexpr std::optional<double> finite_or_null(double x) noexcept {
  if (is_finite(x)) return x;
  return std::nullopt;
}

/// `numerator / denominator`, unit of the caller.
/// Undefined when the denominator is 0 or the quotient is not finite.
/// Example: ratio_of(420, 120) = 3.5.
constexpr std::optional<double> ratio_of(double numerator, double denominator) noexcept {
  if (denominator == 0.0) return std::nullopt;
  return finite_or_null(numerator / denominator);
}

/// `part / whole × 100`, in percent.
/// Computed as `part × 100 / whole`: for the integer counts most rates are made
/// of, `part × 100` is exact, so the one rounding of the division gives the
/// correctly rounded percentage (21 / 500 → 4.2, where `21 / 500 × 100` would
/// give 4.200000000000001). Falls back to `part / whole × 100` only when
/// `part × 100` overflows.
/// Undefined when `whole` is 0 or the result is not finite.
/// Example: percent_of(21, 500) = 2100 / 500 = 4.2.
constexpr std::optional<double> percent_of(double part, double whole) noexcept {
  if (whole == 0.0) return std::nullopt;
  const double scaled = part * 100.0;
  if (is_finite(scaled)) return finite_or_null(scaled / whole);
  return finite_or_null(part / whole * 100.0);
}

/// `a × b`, unit of the caller. Undefined only when the product is not finite.
/// Example: product_of(120, 49.5) = 5940.
constexpr std::optional<double> product_of(double a, double b) noexcept {
  return finite_or_null(a * b);
}

}  // namespace kpi::formulas
