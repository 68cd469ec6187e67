// kpi/formulas/stats.hpp — order statistics for the `_median` / `_p90` metrics.
//
// Percentiles interpolate linearly between order statistics — the "type 7"
// rule of R and NumPy's default (METRICS.md §2 "Percentiles") — so kpi's
// medians and p90s of response times, time to value and funnel step times
// match what analysts get from `quantile()` / `np.percentile`. The caller
// sorts; these functions only read, never allocate, and are `constexpr noexcept`.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "kpi/formulas/common.hpp"

namespace kpi::formulas {

/// The p-quantile (0 ≤ p ≤ 1) of `sorted`, type 7: with n values and
/// h = (n − 1) × p, the result is x[⌊h⌋] + (h − ⌊h⌋) × (x[⌊h⌋ + 1] − x[⌊h⌋])
/// (x 0-based), i.e. exactly x[h] when h is whole. Unit of the values.
/// REQUIRES: `sorted` is ascending and holds finite values.
/// Undefined when `sorted` is empty, p is outside [0, 1] (or NaN), or the
/// result is not finite.
/// Example: [1, 2, 3, 4], p = 0.9 → h = 3 × 0.9 = 2.7 → 3 + 0.7 × (4 − 3) = 3.7.
constexpr std::optional<double> percentile_sorted(std::span<const double> sorted, double p) noexcept {
  if (sorted.empty() || !(p >= 0.0 && p <= 1.0)) return std::nullopt;
  const double h = static_cast<double>(sorted.size() - 1) * p;
  // h ≥ 0, so truncation is floor (std::floor is not constexpr before C++23).
  const auto lo = static_cast<std::size_t>(h);
  const double frac = h - static_cast<double>(lo);
  // frac == 0 also covers lo == n − 1 (p = 1), where x[lo + 1] does not exist.
  if (frac == 0.0 || lo + 1 >= sorted.size()) return finite_or_null(sorted[lo]);
  const double gap = sorted[lo + 1] - sorted[lo];
  if (is_finite(gap)) return finite_or_null(sorted[lo] + frac * gap);
  // Values near ±DBL_MAX: the gap overflows but the weighted mean does not.
  return finite_or_null(sorted[lo] * (1.0 - frac) + sorted[lo + 1] * frac);
}

/// The median of `sorted`: percentile_sorted(sorted, 0.5); for an even count,
/// the mean of the two middle values. Unit of the values.
/// REQUIRES: `sorted` is ascending and holds finite values.
/// Undefined when `sorted` is empty.
/// Example: [10, 20, 40, 80] → h = 1.5 → 20 + 0.5 × (40 − 20) = 30.
constexpr std::optional<double> median_sorted(std::span<const double> sorted) noexcept {
  return percentile_sorted(sorted, 0.5);
}

}  // namespace kpi::formulas
