// libFuzzer target: the time parsers. Input: one byte choosing the zone, then
// HEAD '\n' TEXT. HEAD is tried as a zone name (Zone::parse) and as a strptime
// format (TimestampParser::with_format); TEXT goes through the default parser,
// the format parser, parse_duration and parse_date. Every instant accepted is
// pushed through the day/period/label code that consumes it downstream.
// Besides crashes, a few invariants are checked (abort = finding):
//   - parse_date(format_date(d)) == d;
//   - a date accepted by parse_date means that day's UTC midnight to the default
//     parser in UTC (the two readers of "YYYY-MM-DD" agree);
//   - an accepted instant (default parser or a format, any offset or zone) lies
//     in 0000-01-01 .. 9999-12-31 UTC, the documented range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kpi/time.hpp"

namespace {

using namespace kpi::time;

const std::vector<Zone>& zones() {
  static const std::vector<Zone> z = [] {
    std::vector<Zone> out;
    for (const char* name : {"UTC", "+05:30", "-14:00", "+14:00", "Europe/Paris",
                             "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati"}) {
      auto zone = Zone::parse(name);
      if (!zone) std::abort();
      out.push_back(*zone);
    }
    return out;
  }();
  return z;
}

// The supported instants: 0000-01-01T00:00Z (inclusive) .. 10000-01-01T00:00Z
// (exclusive), whatever the form (epoch, ISO with an offset, a format).
constexpr Micros kMin = static_cast<Micros>(-719'528) * kMicrosPerDay;
constexpr Micros kMax = static_cast<Micros>(2'932'897) * kMicrosPerDay;

void use_instant(const Zone& zone, Micros us) {
  const Day d = zone.local_day(us);
  (void)format_date(d);
  (void)zone.offset_at(us);
  (void)zone.day_start(d);
  for (Period p : {Period::day, Period::week, Period::month, Period::quarter, Period::year}) {
    const std::int32_t key = period_key(p, d);
    (void)period_label(p, key);
    if (period_first_day(p, key) > d || period_last_day(p, key) < d) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Zone& zone = zones()[data[0] % zones().size()];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t nl = rest.find('\n');
  const std::string_view head = nl == std::string_view::npos ? std::string_view{} : rest.substr(0, nl);
  const std::string_view text = nl == std::string_view::npos ? rest : rest.substr(nl + 1);

  // Zone names are short; a valid IANA name builds a table, so keep this cheap.
  if (head.size() <= 40) {
    auto z = Zone::parse(head);
    if (z) {
      (void)z->name();
      (void)z->to_utc(0);
      (void)z->local_day(0);
    } else {
      (void)z.error().render();
    }
  }

  const TimestampParser plain(zone);
  if (auto us = plain.parse(text)) {
    if (*us < kMin || *us >= kMax) std::abort();
    use_instant(zone, *us);
  }
  if (!head.empty()) {
    auto formatted = TimestampParser::with_format(zone, head);
    if (formatted) {
      (void)formatted->expectation();
      if (auto us = formatted->parse(text)) {
        if (*us < kMin || *us >= kMax) std::abort();
        use_instant(zone, *us);
      }
    } else {
      (void)formatted.error().render();
    }
  }

  if (auto micros = parse_duration(text)) {
    if (*micros < 0) std::abort();
    (void)humanize_seconds(static_cast<double>(*micros) / 1e6);
  }

  if (auto d = parse_date(text)) {
    if (parse_date(format_date(*d)) != d) std::abort();
    const auto us = TimestampParser(Zone()).parse(text);
    if (!us || *us != static_cast<Micros>(*d) * kMicrosPerDay) std::abort();
  }
  return 0;
}
