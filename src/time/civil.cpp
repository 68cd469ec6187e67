// Proleptic Gregorian calendar arithmetic (Howard Hinnant's "chrono-compatible
// low-level date algorithms"), exact for every int32 day number.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kpi/time.hpp"
#include "time_internal.hpp"

namespace kpi::time {

Day days_from_civil(int year, unsigned month, unsigned day) noexcept {
  // Shift the year so it starts in March: the leap day is then the last day.
  const std::int64_t y = static_cast<std::int64_t>(year) - (month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;                                   // [0, 399]
  const std::int64_t mp = (static_cast<std::int64_t>(month) + 9) % 12;     // March = 0
  const std::int64_t doy = (153 * mp + 2) / 5 + static_cast<std::int64_t>(day) - 1;  // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return static_cast<Day>(era * 146097 + doe - 719468);
}

Civil civil_from_days(Day d) noexcept {
  const std::int64_t z = static_cast<std::int64_t>(d) + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;                                   // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
  const std::int64_t dd = doy - (153 * mp + 2) / 5 + 1;                        // [1, 31]
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;                            // [1, 12]
  return Civil{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<unsigned>(m),
               static_cast<unsigned>(dd)};
}

unsigned iso_weekday(Day d) noexcept {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  return static_cast<unsigned>(detail::floor_mod(static_cast<std::int64_t>(d) + 3, 7));
}

std::string format_date(Day d) {
  const Civil c = civil_from_days(d);
  std::string out;
  out.reserve(11);
  detail::append_year(out, c.year);
  out.push_back('-');
  detail::append_2digits(out, c.month);
  out.push_back('-');
  detail::append_2digits(out, c.day);
  return out;
}

std::optional<Day> parse_date(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int year = 0;
  unsigned month = 0, day = 0;
  if (!detail::fixed_digits(text.substr(0, 4), year)) return std::nullopt;
  int m = 0, dd = 0;
  if (!detail::fixed_digits(text.substr(5, 2), m) || !detail::fixed_digits(text.substr(8, 2), dd))
    return std::nullopt;
  month = static_cast<unsigned>(m);
  day = static_cast<unsigned>(dd);
  if (!detail::valid_date(year, month, day)) return std::nullopt;
  return days_from_civil(year, month, day);
}

}  // namespace kpi::time
