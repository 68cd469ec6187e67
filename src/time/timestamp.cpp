// Timestamp reading (hot: once per row and column), durations, and the human
// rendering of seconds. The parsers are hand-written over std::string_view:
// no allocation, no locale, no exceptions.
#include <charconv>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "kpi/time.hpp"
#include "time_internal.hpp"

namespace kpi::time {

namespace {

using detail::is_digit;

// Instants we accept: 0000-01-01T00:00:00Z ..< 10000-01-01T00:00:00Z, so that
// every later computation (offsets, day numbers, labels) stays in range.
constexpr Micros kMinInstant = static_cast<Micros>(-719'528) * kMicrosPerDay;  // 0000-01-01
constexpr Micros kMaxInstant = static_cast<Micros>(2'932'897) * kMicrosPerDay;  // 10000-01-01

bool iequal_prefix(std::string_view text, std::size_t pos, std::string_view word) noexcept {
  if (text.size() - pos < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = text[pos + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

// A cursor over the text being parsed.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;

  bool at_end() const noexcept { return i >= s.size(); }
  bool eat(char c) noexcept {
    if (at_end() || s[i] != c) return false;
    ++i;
    return true;
  }
  // Between min and max digits, greedy.
  bool digits(int min, int max, int& value) noexcept {
    int n = 0, v = 0;
    while (n < max && i < s.size() && is_digit(s[i])) {
      v = v * 10 + (s[i++] - '0');
      ++n;
    }
    if (n < min) return false;
    value = v;
    return true;
  }
  // 1–9 fraction digits → microseconds; digits past the sixth are truncated.
  bool fraction(std::int64_t& micros) noexcept {
    int n = 0;
    std::int64_t v = 0;
    while (n < 9 && i < s.size() && is_digit(s[i])) {
      if (n < 6) v = v * 10 + (s[i] - '0');
      ++i;
      ++n;
    }
    if (n == 0 || (i < s.size() && is_digit(s[i]))) return false;
    for (int k = n; k < 6; ++k) v *= 10;
    micros = v;
    return true;
  }
  // "Z"/"z" or ±HH:MM, ±HHMM and (allow_hours_only) ±HH → seconds east of UTC.
  bool offset(bool allow_hours_only, std::int32_t& seconds) noexcept {
    if (eat('Z') || eat('z')) {
      seconds = 0;
      return true;
    }
    if (at_end() || (s[i] != '+' && s[i] != '-')) return false;
    const bool negative = s[i++] == '-';
    int h = 0, m = 0;
    if (!digits(2, 2, h)) return false;
    // Minutes after a colon or straight after the hours (±HHMM), or none (±HH).
    if (eat(':') || (i < s.size() && is_digit(s[i]))) {
      if (!digits(2, 2, m)) return false;
    } else if (!allow_hours_only) {
      return false;
    }
    if (h > 23 || m > 59) return false;
    const int v = h * 3600 + m * 60;
    seconds = static_cast<std::int32_t>(negative ? -v : v);
    return true;
  }
};

// The fields of a timestamp once read; turned into an instant by `instant`.
struct Fields {
  int year = 1970;
  unsigned month = 1, day = 1;
  int yday = 0;  // %j, 1-based; 0 = not given
  int hour = 0, minute = 0, second = 0;
  int hour12 = -1;  // %I; -1 = not given
  int pm = -1;      // %p: 0 AM, 1 PM, -1 not given
  std::int64_t micros = 0;
  bool has_offset = false;
  std::int32_t offset = 0;
};

std::optional<Micros> instant(Fields f, const Zone& zone) noexcept {
  if (f.hour12 >= 0) {
    if (f.hour12 < 1 || f.hour12 > 12) return std::nullopt;
    f.hour = f.hour12 % 12 + (f.pm == 1 ? 12 : 0);
  }
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return std::nullopt;  // no leap seconds
  Day day = 0;
  if (f.yday > 0) {
    if (f.yday > (detail::is_leap(f.year) ? 366 : 365)) return std::nullopt;
    day = days_from_civil(f.year, 1, 1) + f.yday - 1;
  } else {
    if (!detail::valid_date(f.year, f.month, f.day)) return std::nullopt;
    day = days_from_civil(f.year, f.month, f.day);
  }
  const Micros wall = static_cast<Micros>(day) * kMicrosPerDay + f.hour * kMicrosPerHour +
                      f.minute * kMicrosPerMinute + f.second * kMicrosPerSecond + f.micros;
  const Micros utc = f.has_offset ? wall - static_cast<Micros>(f.offset) * kMicrosPerSecond
                                  : zone.to_utc(wall);
  // The wall time is in range, but an offset can carry the instant a day past
  // either end (0000-01-01T00:00+01:00): held to the same range as epochs.
  if (utc < kMinInstant || utc >= kMaxInstant) return std::nullopt;
  return utc;
}

// Optional '-' then digits only: seconds, or milliseconds when |n| ≥ 10^11.
std::optional<Micros> parse_epoch(std::string_view text) noexcept {
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  if (i == text.size() || text.size() - i > 18) return std::nullopt;  // 18 digits: no int64 overflow
  std::int64_t n = 0;
  for (; i < text.size(); ++i) {
    if (!is_digit(text[i])) return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  // |n| < 10^18: as milliseconds that is < 9.3·10^18 µs only up to 9.2·10^15,
  // so range-check before scaling.
  constexpr std::int64_t kMsThreshold = 100'000'000'000;
  Micros us = 0;
  if (n >= kMsThreshold) {
    if (n > kMaxInstant / 1000) return std::nullopt;
    us = n * 1000;
  } else {
    us = n * kMicrosPerSecond;
  }
  if (negative) us = -us;
  if (us < kMinInstant || us >= kMaxInstant) return std::nullopt;
  return us;
}

// The form most exports use, "YYYY-MM-DDTHH:MM:SSZ" (20 bytes), read without the
// general cursor: sets `out` (nullopt for an impossible date or time, as
// parse_iso would) and returns true, or returns false for any other shape.
bool parse_iso_utc_seconds(std::string_view t, std::optional<Micros>& out) noexcept {
  if (t.size() != 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') ||
      t[13] != ':' || t[16] != ':' || (t[19] != 'Z' && t[19] != 'z'))
    return false;
  constexpr std::size_t kDigits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
  for (const std::size_t k : kDigits)
    if (!is_digit(t[k])) return false;
  const auto two = [&](std::size_t k) { return (t[k] - '0') * 10 + (t[k + 1] - '0'); };
  const int year = two(0) * 100 + two(2);
  const auto month = static_cast<unsigned>(two(5)), day = static_cast<unsigned>(two(8));
  const int hour = two(11), minute = two(14), second = two(17);
  out = std::nullopt;
  if (hour > 23 || minute > 59 || second > 59 || !detail::valid_date(year, month, day)) return true;
  out = static_cast<Micros>(days_from_civil(year, month, day)) * kMicrosPerDay + hour * kMicrosPerHour +
        minute * kMicrosPerMinute + second * kMicrosPerSecond;
  return true;
}

// parse_iso_utc_seconds with the date taken from `memo` when it is the same
// (the memo holds only valid dates): the date's checks and days_from_civil
// were most of that function's work.
bool parse_iso_utc_seconds(std::string_view t, std::optional<Micros>& out,
                           TimestampParser::DateMemo& memo) noexcept {
  if (!memo.set || t.size() != 20 || std::memcmp(t.data(), memo.date, sizeof memo.date) != 0) {
    if (!parse_iso_utc_seconds(t, out)) return false;
    if (out) {
      std::memcpy(memo.date, t.data(), sizeof memo.date);
      memo.days = detail::floor_div(*out, kMicrosPerDay);
      memo.set = true;
    }
    return true;
  }
  if ((t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' || t[16] != ':' ||
      (t[19] != 'Z' && t[19] != 'z'))
    return false;
  constexpr std::size_t kDigits[] = {11, 12, 14, 15, 17, 18};
  for (const std::size_t k : kDigits)
    if (!is_digit(t[k])) return false;
  const auto two = [&](std::size_t k) { return (t[k] - '0') * 10 + (t[k + 1] - '0'); };
  const int hour = two(11), minute = two(14), second = two(17);
  out = std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return true;
  out = memo.days * kMicrosPerDay + hour * kMicrosPerHour + minute * kMicrosPerMinute + second * kMicrosPerSecond;
  return true;
}

// YYYY-MM-DD[(T|t| )HH:MM[:SS[.f]][Z|±HH:MM|±HHMM|±HH]]
std::optional<Micros> parse_iso(std::string_view text, const Zone& zone) noexcept {
  Cursor c{text};
  Fields f;
  int month = 0, day = 0;
  if (!c.digits(4, 4, f.year) || !c.eat('-') || !c.digits(2, 2, month) || !c.eat('-') ||
      !c.digits(2, 2, day))
    return std::nullopt;
  f.month = static_cast<unsigned>(month);
  f.day = static_cast<unsigned>(day);
  if (!c.at_end()) {
    if (!(c.eat('T') || c.eat('t') || c.eat(' '))) return std::nullopt;
    if (!c.digits(2, 2, f.hour) || !c.eat(':') || !c.digits(2, 2, f.minute)) return std::nullopt;
    if (c.eat(':')) {
      if (!c.digits(2, 2, f.second)) return std::nullopt;
      if (c.eat('.') && !c.fraction(f.micros)) return std::nullopt;
    }
    if (!c.at_end()) {
      if (!c.offset(true, f.offset) || !c.at_end()) return std::nullopt;
      f.has_offset = true;
    }
  }
  return instant(f, zone);
}

constexpr std::string_view kMonths[] = {"january", "february", "march",     "april",
                                        "may",     "june",     "july",      "august",
                                        "september", "october", "november", "december"};

// Matches `format` against the text at `c`, filling `f`. The format was
// validated by with_format, so every directive here is known.
bool match(std::string_view format, Cursor& c, Fields& f) noexcept {
  for (std::size_t k = 0; k < format.size(); ++k) {
    if (format[k] != '%') {
      if (!c.eat(format[k])) return false;
      continue;
    }
    if (++k == format.size()) return false;
    int v = 0;
    switch (format[k]) {
      case 'Y':
        if (!c.digits(4, 4, f.year)) return false;
        break;
      case 'y':
        if (!c.digits(2, 2, v)) return false;
        f.year = v >= 69 ? 1900 + v : 2000 + v;  // POSIX
        break;
      case 'm':
        if (!c.digits(1, 2, v)) return false;
        f.month = static_cast<unsigned>(v);
        break;
      case 'd':
        if (!c.digits(1, 2, v)) return false;
        f.day = static_cast<unsigned>(v);
        break;
      case 'H':
        if (!c.digits(1, 2, f.hour)) return false;
        break;
      case 'I':
        if (!c.digits(1, 2, f.hour12)) return false;
        break;
      case 'M':
        if (!c.digits(1, 2, f.minute)) return false;
        break;
      case 'S':
        if (!c.digits(1, 2, f.second)) return false;
        break;
      case 'j':
        if (!c.digits(1, 3, f.yday) || f.yday == 0) return false;
        break;
      case 'f':
        if (!c.fraction(f.micros)) return false;
        break;
      case 'z':
        if (!c.offset(false, f.offset)) return false;
        f.has_offset = true;
        break;
      case 'p':
        if (iequal_prefix(c.s, c.i, "am")) f.pm = 0;
        else if (iequal_prefix(c.s, c.i, "pm")) f.pm = 1;
        else return false;
        c.i += 2;
        break;
      case 'b':
      case 'B': {
        bool found = false;
        for (unsigned m = 0; m < 12 && !found; ++m) {
          for (std::string_view word : {kMonths[m], kMonths[m].substr(0, 3)}) {
            if (iequal_prefix(c.s, c.i, word)) {
              c.i += word.size();
              f.month = m + 1;
              found = true;
              break;
            }
          }
        }
        if (!found) return false;
        break;
      }
      case 'T':
        if (!match("%H:%M:%S", c, f)) return false;
        break;
      case 'F':
        if (!match("%Y-%m-%d", c, f)) return false;
        break;
      case '%':
        if (!c.eat('%')) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

// Which field each directive sets, to find duplicates and conflicts.
enum Field { kYear, kMonth, kDay, kYday, kHour, kHour12, kAmPm, kMinute, kSecond, kFraction,
             kOffset, kFieldCount };

std::optional<std::string> check_format(std::string_view format, int (&count)[kFieldCount]) {
  for (std::size_t k = 0; k < format.size(); ++k) {
    if (format[k] != '%') continue;
    if (++k == format.size()) return "time format '" + std::string(format) + "' ends with a lone '%'";
    switch (format[k]) {
      case 'Y': case 'y': ++count[kYear]; break;
      case 'm': case 'b': case 'B': ++count[kMonth]; break;
      case 'd': ++count[kDay]; break;
      case 'j': ++count[kYday]; break;
      case 'H': ++count[kHour]; break;
      case 'I': ++count[kHour12]; break;
      case 'p': ++count[kAmPm]; break;
      case 'M': ++count[kMinute]; break;
      case 'S': ++count[kSecond]; break;
      case 'f': ++count[kFraction]; break;
      case 'z': ++count[kOffset]; break;
      case 'T': ++count[kHour]; ++count[kMinute]; ++count[kSecond]; break;
      case 'F': ++count[kYear]; ++count[kMonth]; ++count[kDay]; break;
      case '%': break;
      default:
        return "unsupported directive '%" + std::string(1, format[k]) + "' in time format '" +
               std::string(format) + "' (supported: %Y %m %d %H %M %S %y %b %B %p %I %j %z %f %T %F %%)";
    }
  }
  return std::nullopt;
}

}  // namespace

TimestampParser::TimestampParser(Zone zone) : zone_(std::move(zone)) {}

Expected<TimestampParser> TimestampParser::with_format(Zone zone, std::string_view format) {
  const std::string quoted = "time format '" + std::string(format) + "'";
  if (format.empty()) return Error(quoted + " is empty");
  int count[kFieldCount] = {};
  if (auto bad = check_format(format, count)) return Error(*bad);
  for (int n : count)
    if (n > 1) return Error(quoted + " sets the same field twice");
  if (count[kYear] == 0) return Error(quoted + " has no year (%Y or %y)");
  if (count[kHour12] != count[kAmPm]) return Error(quoted + ": %I and %p go together");
  if (count[kHour12] && count[kHour]) return Error(quoted + " has both %H and %I");
  if (count[kYday] && (count[kMonth] || count[kDay]))
    return Error(quoted + " has both %j and a month or day");
  TimestampParser p(std::move(zone));
  p.format_ = std::string(format);
  return p;
}

std::optional<Micros> TimestampParser::parse(std::string_view text) const noexcept {
  if (!format_.empty()) {
    Cursor c{text};
    Fields f;
    if (!match(format_, c, f) || !c.at_end()) return std::nullopt;
    return instant(f, zone_);
  }
  if (std::optional<Micros> fast; parse_iso_utc_seconds(text, fast)) return fast;
  if (text.size() >= 5 && text[4] == '-') return parse_iso(text, zone_);
  return parse_epoch(text);
}

std::optional<Micros> TimestampParser::parse(std::string_view text, DateMemo& memo) const noexcept {
  if (format_.empty()) {
    if (std::optional<Micros> fast; parse_iso_utc_seconds(text, fast, memo)) return fast;
  }
  return parse(text);
}

std::string TimestampParser::expectation() const {
  if (format_.empty()) return "an ISO 8601 date-time or epoch";
  return "a date-time in the format '" + format_ + "'";
}

std::optional<Micros> parse_duration(std::string_view text) noexcept {
  constexpr std::string_view kUnits = "wdhms";  // strictly decreasing
  constexpr Micros kUnitMicros[] = {7 * kMicrosPerDay, kMicrosPerDay, kMicrosPerHour,
                                    kMicrosPerMinute, kMicrosPerSecond};
  if (text.empty()) return std::nullopt;
  Micros total = 0;
  std::size_t next_unit = 0, i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    const std::size_t start = i;
    for (; i < text.size() && is_digit(text[i]); ++i) {
      if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, text[i] - '0', &n))
        return std::nullopt;
    }
    if (i == start || i == text.size()) return std::nullopt;
    const std::size_t u = kUnits.find(text[i++]);
    if (u == std::string_view::npos || u < next_unit) return std::nullopt;
    Micros part = 0;
    if (__builtin_mul_overflow(n, kUnitMicros[u], &part) ||
        __builtin_add_overflow(total, part, &total))
      return std::nullopt;
    next_unit = u + 1;
  }
  return total;
}

std::string humanize_seconds(double seconds) {
  if (!std::isfinite(seconds)) return "—";
  if (seconds < 0) {
    // Built by appending: g++ 12 -O3 mis-reports `"-" + string` as overlapping (-Wrestrict).
    std::string negative = "-";
    negative += humanize_seconds(-seconds);
    return negative;
  }
  char buf[64];
  const auto two = [](std::string& out, double v) {
    detail::append_2digits(out, static_cast<unsigned>(v));
  };
  const auto whole = [&buf](double v) {
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 0);
    return std::string(buf, r.ptr);
  };
  if (seconds < 60) {
    // 2 decimals, or 2 significant digits below one second; trailing zeros dropped.
    int decimals = 2;
    if (seconds > 0 && seconds < 1)
      decimals = std::min(9, 1 - static_cast<int>(std::floor(std::log10(seconds))));
    const auto r = std::to_chars(buf, buf + sizeof buf, seconds, std::chars_format::fixed, decimals);
    std::string out(buf, r.ptr);
    if (out.find('.') != std::string::npos) {
      while (out.back() == '0') out.pop_back();
      if (out.back() == '.') out.pop_back();
    }
    if (out != "60") return out + "s";  // else 59.996 rounds up to "1m 00s"
  }
  const double s = std::round(seconds);
  if (s < 3600) {
    std::string out = whole(std::floor(s / 60)) + "m ";
    two(out, std::fmod(s, 60));
    return out + "s";
  }
  const double m = std::round(seconds / 60);
  if (m < 24 * 60) {
    std::string out = whole(std::floor(m / 60)) + "h ";
    two(out, std::fmod(m, 60));
    return out + "m";
  }
  const double h = std::round(seconds / 3600);
  std::string out = whole(std::floor(h / 24)) + "d ";
  two(out, std::fmod(h, 24));
  return out + "h";
}

}  // namespace kpi::time
