// Private helpers shared by src/time/*.cpp: floor division, fixed-width digit
// reading and zero-padded writing. Not part of the public interface.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kpi::time::detail {

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) noexcept {
  return a - floor_div(a, b) * b;
}

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Exactly `text.size()` ASCII digits (at most 9) → value; false otherwise.
constexpr bool fixed_digits(std::string_view text, int& value) noexcept {
  if (text.empty() || text.size() > 9) return false;
  int v = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  value = v;
  return true;
}

constexpr bool is_leap(std::int64_t y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}
constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29u : kDays[m - 1];
}
constexpr bool valid_date(std::int64_t y, unsigned m, unsigned d) noexcept {
  return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/// At least 4 digits, '-' first for negative years: 0 → "0000", -1 → "-0001".
inline void append_year(std::string& out, int year) {
  std::int64_t y = year;
  if (y < 0) {
    out.push_back('-');
    y = -y;
  }
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + y % 10);
    y /= 10;
  } while (y != 0);
  for (int i = n; i < 4; ++i) out.push_back('0');
  while (n > 0) out.push_back(buf[--n]);
}

inline void append_2digits(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + (v / 10) % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

}  // namespace kpi::time::detail
