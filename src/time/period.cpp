// Periods: dense integer keys (chronological, one per period) and their labels.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kpi/time.hpp"
#include "time_internal.hpp"

namespace kpi::time {

namespace {

using detail::floor_div;
using detail::floor_mod;

constexpr std::string_view kNames[] = {"day", "week", "month", "quarter", "year", "all"};

// Day 0 is a Thursday, so the Monday of ISO week 0 is day -3 (1969-12-29).
constexpr std::int64_t kWeekOrigin = -3;

Day first_day_of_next(Period p, std::int32_t key) noexcept {
  const std::int64_t k = key;
  switch (p) {
    case Period::day:
      return static_cast<Day>(k + 1);
    case Period::week:
      return static_cast<Day>((k + 1) * 7 + kWeekOrigin);
    case Period::month: {
      const std::int64_t n = k + 1;
      return days_from_civil(static_cast<int>(floor_div(n, 12)),
                             static_cast<unsigned>(floor_mod(n, 12) + 1), 1);
    }
    case Period::quarter: {
      const std::int64_t n = k + 1;
      return days_from_civil(static_cast<int>(floor_div(n, 4)),
                             static_cast<unsigned>(floor_mod(n, 4) * 3 + 1), 1);
    }
    case Period::year:
      return days_from_civil(static_cast<int>(k + 1), 1, 1);
    case Period::all:
    default:
      return days_from_civil(10000, 1, 1);
  }
}

}  // namespace

std::optional<Period> parse_period(std::string_view text) noexcept {
  for (std::size_t i = 0; i < std::size(kNames); ++i)
    if (text == kNames[i]) return static_cast<Period>(i);
  return std::nullopt;
}

std::string_view period_name(Period p) noexcept {
  const auto i = static_cast<std::size_t>(p);
  return i < std::size(kNames) ? kNames[i] : std::string_view("?");
}

std::int32_t period_key(Period p, Day d) noexcept {
  switch (p) {
    case Period::day:
      return d;
    case Period::week:
      return static_cast<std::int32_t>(floor_div(static_cast<std::int64_t>(d) - kWeekOrigin, 7));
    case Period::month: {
      const Civil c = civil_from_days(d);
      return c.year * 12 + static_cast<std::int32_t>(c.month) - 1;
    }
    case Period::quarter: {
      const Civil c = civil_from_days(d);
      return c.year * 4 + static_cast<std::int32_t>((c.month - 1) / 3);
    }
    case Period::year:
      return civil_from_days(d).year;
    case Period::all:
    default:
      return 0;
  }
}

Day period_first_day(Period p, std::int32_t key) noexcept {
  switch (p) {
    case Period::day:
      return key;
    case Period::week:
      return static_cast<Day>(static_cast<std::int64_t>(key) * 7 + kWeekOrigin);
    case Period::all:
      return days_from_civil(0, 1, 1);  // REQUIRES says never; the supported range
    default:
      return first_day_of_next(p, key - 1);
  }
}

Day period_last_day(Period p, std::int32_t key) noexcept {
  return first_day_of_next(p, key) - 1;
}

std::string period_label(Period p, std::int32_t key) {
  std::string out;
  switch (p) {
    case Period::day:
      return format_date(key);
    case Period::week: {
      // The ISO week-year is the year of the week's Thursday.
      const Day thursday = period_first_day(Period::week, key) + 3;
      const int year = civil_from_days(thursday).year;
      const auto week = static_cast<unsigned>((thursday - days_from_civil(year, 1, 1)) / 7 + 1);
      detail::append_year(out, year);
      out += "-W";
      detail::append_2digits(out, week);
      return out;
    }
    case Period::month:
      detail::append_year(out, static_cast<int>(floor_div(key, 12)));
      out.push_back('-');
      detail::append_2digits(out, static_cast<unsigned>(floor_mod(key, 12) + 1));
      return out;
    case Period::quarter:
      detail::append_year(out, static_cast<int>(floor_div(key, 4)));
      out += "-Q";
      out.push_back(static_cast<char>('1' + floor_mod(key, 4)));
      return out;
    case Period::year:
      detail::append_year(out, key);
      return out;
    case Period::all:
    default:
      return "all";
  }
}

double period_months(Period p) noexcept {
  switch (p) {
    case Period::day: return 12.0 / 365.0;
    case Period::week: return 12.0 / 52.0;
    case Period::month: return 1.0;
    case Period::quarter: return 3.0;
    case Period::year: return 12.0;
    case Period::all:
    default: return 0.0;  // REQUIRES says never: "all" has no fixed length
  }
}

}  // namespace kpi::time
