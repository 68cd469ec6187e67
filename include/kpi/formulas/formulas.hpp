// kpi/formulas/formulas.hpp — every KPI formula of kpi, in one include.
//
// The formulas of METRICS.md §1 (one header per section: revenue, retention,
// satisfaction, conversion, engagement, support, delivery), the subscription
// LTV of §2, the percentiles of stats.hpp and the shared helpers of
// common.hpp. All live in `kpi::formulas`, are pure `constexpr noexcept`
// functions of doubles, and return `std::nullopt` — never inf or nan — when a
// value is undefined. src/catalog.cpp binds them to metric ids.
#pragma once

#include "kpi/formulas/common.hpp"
#include "kpi/formulas/conversion.hpp"
#include "kpi/formulas/delivery.hpp"
#include "kpi/formulas/engagement.hpp"
#include "kpi/formulas/retention.hpp"
#include "kpi/formulas/revenue.hpp"
#include "kpi/formulas/satisfaction.hpp"
#include "kpi/formulas/stats.hpp"
#include "kpi/formulas/support.hpp"
