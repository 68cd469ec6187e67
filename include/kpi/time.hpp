// kpi/time.hpp — instants, local days, time zones, periods and durations.
//
// kpi keeps every timestamp as `Micros`, microseconds since 1970-01-01T00:00:00Z,
// and buckets by *local civil day* (`Day`, days since 1970-01-01) in the zone of
// `--tz`. A `Zone` is UTC, a fixed offset ("+05:30") or an IANA name
// ("Europe/Paris", through Howard Hinnant's date/tz on the system tzdata); a
// DST day is 23 or 25 hours long. `TimestampParser` reads the forms of CLI.md
// (ISO 8601 variants, epoch seconds/milliseconds) or a strptime-style format.
// Periods (day, ISO week, month, quarter, year, all) are dense integer keys
// with labels as METRICS.md §2 defines them. Everything here is thread-safe:
// a Zone is immutable after construction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpi/error.hpp"

namespace kpi::time {

using Micros = std::int64_t;  ///< microseconds since the Unix epoch, UTC
using Day = std::int32_t;     ///< civil day number: days since 1970-01-01

inline constexpr Micros kMicrosPerSecond = 1'000'000;
inline constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr Micros kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr Micros kMicrosPerDay = 24 * kMicrosPerHour;

struct Civil {
  int year;
  unsigned month;  ///< 1..12
  unsigned day;    ///< 1..31
};

/// Proleptic Gregorian conversions (year 0 and negative years allowed).
Day days_from_civil(int year, unsigned month, unsigned day) noexcept;
Civil civil_from_days(Day d) noexcept;
/// 0 = Monday … 6 = Sunday.
unsigned iso_weekday(Day d) noexcept;
/// "YYYY-MM-DD".
std::string format_date(Day d);
/// Parses exactly "YYYY-MM-DD" (a real calendar date); nullopt otherwise.
std::optional<Day> parse_date(std::string_view text) noexcept;

/// A time zone: UTC, a fixed offset, or an IANA zone. Immutable, cheap to copy.
class Zone {
 public:
  Zone();  ///< UTC
  /// "UTC" (any case), "Z", "±HH:MM", "±HHMM", "±HH" (HH ≤ 23, MM ≤ 59; name()
  /// is then "±HH:MM"), or an IANA name. IANA zones follow the system tzdata,
  /// including its POSIX rule after the last listed transition (DST continues
  /// past 2037). Error names the zone:
  /// `unknown time zone "Mars/Base" (expected an IANA name like Europe/Paris or an offset like +02:00)`.
  static Expected<Zone> parse(std::string_view name);

  const std::string& name() const noexcept;
  /// Offset from UTC in seconds at the UTC instant `utc`.
  std::int32_t offset_at(Micros utc) const noexcept;
  /// Local civil day containing the UTC instant.
  Day local_day(Micros utc) const noexcept;
  /// Converts a local wall-clock time (micros since the epoch *as if* the wall
  /// clock were UTC) to the UTC instant. In a spring-forward gap the time is moved
  /// forward by the gap; in a fall-back overlap the earlier instant is taken.
  Micros to_utc(Micros local_wall) const noexcept;
  /// UTC instant of the local midnight that starts day `d`.
  Micros day_start(Day d) const noexcept;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

/// Reads timestamps. Default forms: ISO 8601 (`2025-03-04`, `2025-03-04T12:34:56`,
/// fractional seconds, `Z` or `±HH:MM`/`±HHMM` offsets, space instead of `T`) and
/// Unix epoch integers (seconds; milliseconds when |n| ≥ 10^11). A time without an
/// offset, or a bare date, is local time in the zone. With a strptime-style
/// format (`%Y %m %d %H %M %S %y %b %B %p %I %j %z %f %%`), only that format is
/// accepted.
///
/// Details of the default forms: `YYYY-MM-DD[(T|t| )HH:MM[:SS[.f]][Z|z|±HH:MM|±HHMM|±HH]]`,
/// year exactly 4 digits, no surrounding spaces. Fractions have 1–9 digits; digits
/// beyond microseconds are truncated, not rounded. Second 60 (leap seconds) is
/// rejected. Epoch: an optional '-' then digits only; the instant must lie in
/// 0000-01-01 .. 9999-12-31 UTC.
/// Formats: `%Y` 4 digits; `%m %d %H %M %S %I` 1 or 2 digits; `%y` 2 digits (69–99 →
/// 19xx, 00–68 → 20xx); `%j` 1–3 digits; `%b`/`%B` an English month name or its
/// 3-letter abbreviation, any case; `%p` AM/PM, any case; `%z` Z, ±HH:MM or ±HHMM;
/// `%f` 1–9 fraction digits; `%T` = `%H:%M:%S`, `%F` = `%Y-%m-%d`; anything else
/// matches itself. The whole text must be consumed; missing fields default to
/// day 1, 00:00:00. with_format rejects: unsupported directives, a field set twice,
/// no year, %I without %p (or the reverse), %H with %I, %j with a month or day.
class TimestampParser {
 public:
  explicit TimestampParser(Zone zone);
  /// Error if the format has an unsupported directive.
  static Expected<TimestampParser> with_format(Zone zone, std::string_view format);

  /// The UTC instant, or nullopt when `text` is not a valid timestamp (e.g. month
  /// 13, Feb 29 of a non-leap year, second 60, trailing garbage).
  std::optional<Micros> parse(std::string_view text) const noexcept;
  /// The date of the last "YYYY-MM-DDTHH:MM:SSZ" stamp parse() read with it:
  /// rows of a time-ordered export mostly share their date with the row before.
  /// One per thread (a parser is shared; its memo is not).
  struct DateMemo {
    char date[10] = {};     ///< "YYYY-MM-DD" of a valid date, when `set`
    std::int64_t days = 0;  ///< days_from_civil of that date
    bool set = false;
  };
  /// As parse(text), the same result, with the date looked up in `memo` first.
  std::optional<Micros> parse(std::string_view text, DateMemo& memo) const noexcept;
  /// For diagnostics: "an ISO 8601 date-time or epoch" or "a date-time in the
  /// format '%m/%d/%Y %H:%M'".
  std::string expectation() const;
  const Zone& zone() const noexcept { return zone_; }

 private:
  Zone zone_;
  std::string format_;  // empty: default forms
};

/// "90s", "30m", "24h", "14d", "2w" (a non-negative integer and a unit); nullopt otherwise.
/// Concatenations with strictly decreasing units ("1h30m", "1w2d") add up.
std::optional<Micros> parse_duration(std::string_view text) noexcept;
/// Inverse for humans: "45s", "2h 03m", "3d 04h". Under a minute: 2 decimals (2
/// significant digits under 1 s), trailing zeros dropped ("0.5s", "45.68s",
/// "0.012s"); under an hour "Xm SSs", under a day "Xh MMm", else "Xd HHh", each
/// rounded to its smaller unit first (59.996 → "1m 00s", 86399 → "1d 00h").
/// Negative values get a leading '-'; NaN and infinities give "—".
std::string humanize_seconds(double seconds);

enum class Period { day, week, month, quarter, year, all };

std::optional<Period> parse_period(std::string_view text) noexcept;
std::string_view period_name(Period p) noexcept;

/// Dense, chronologically ordered key of the period containing local day `d`:
/// day → d; week → ISO-week index (weeks since the Monday 1969-12-29);
/// month → year*12 + month-1; quarter → year*4 + quarter-1; year → year; all → 0.
std::int32_t period_key(Period p, Day d) noexcept;
/// First/last local day of a period. REQUIRES: p != Period::all (for which they
/// return 0000-01-01 and 9999-12-31, the supported range).
Day period_first_day(Period p, std::int32_t key) noexcept;
Day period_last_day(Period p, std::int32_t key) noexcept;
/// "2025-03-04", "2025-W10" (ISO week-year), "2025-03", "2025-Q1", "2025", "all".
std::string period_label(Period p, std::int32_t key);
/// Length of a period in months for lifetime arithmetic: day 12/365, week 12/52,
/// month 1, quarter 3, year 12. REQUIRES: p != Period::all.
double period_months(Period p) noexcept;

}  // namespace kpi::time
