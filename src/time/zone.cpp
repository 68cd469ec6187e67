// Zone: UTC, fixed offsets, and IANA zones.
//
// An IANA zone is turned, once at parse time, into a sorted table of offset
// changes covering [1900, 2200) UTC, so that the per-row calls (offset_at,
// local_day, to_utc) are a binary search over a few hundred integers: no
// allocation, no lock, no call into date/tz. Outside the table we fall back to
// date/tz (before 1900) or to the zone's POSIX TZ rule (after 2200).
//
// Why a POSIX rule of our own: the system tzdata files (TZif) list explicit
// transitions only up to 2037 (or fewer with "slim" files) and describe the
// rest with a POSIX TZ string in their footer, which date/tz with USE_OS_TZDB
// ignores — it would keep Paris on CET all of July 2040. date's <date/ptz.h>
// does not compile as C++20, so the footer is parsed here.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <date/tz.h>

#include "kpi/time.hpp"
#include "time_internal.hpp"

namespace kpi::time {

namespace {

using detail::floor_div;
using detail::floor_mod;

constexpr std::int64_t kSecondsPerDay = 86'400;
// Table range: [1900-01-01, 2200-01-01) UTC, in seconds since the epoch.
constexpr std::int64_t kTableLo = static_cast<std::int64_t>(-25'567) * kSecondsPerDay;
constexpr std::int64_t kTableHi = static_cast<std::int64_t>(84'006) * kSecondsPerDay;
// date/tz computes with 16-bit years: keep its queries well inside them.
constexpr std::int64_t kDateClamp = static_cast<std::int64_t>(10'000'000) * kSecondsPerDay;

std::int64_t clamp_seconds(std::int64_t s) noexcept {
  return std::clamp(s, -kDateClamp, kDateClamp);
}

Micros sat_add(Micros a, Micros b) noexcept {
  Micros r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return b > 0 ? std::numeric_limits<Micros>::max() : std::numeric_limits<Micros>::min();
  }
  return r;
}

// ---- POSIX TZ rules (the TZif footer) ----------------------------------------

// "Mm.w.d", "Jn" or "n", plus the local time of day of the change in seconds.
struct PosixDate {
  enum class Kind { julian_no_leap, zero_based, month_week_day } kind = Kind::month_week_day;
  int n = 0;  // J: 1..365, zero-based: 0..365
  int month = 0, week = 0, weekday = 0;
  std::int64_t time = 2 * 3600;

  // Local day number (days since the epoch) of the change in `year`.
  std::int64_t day(int year) const noexcept {
    switch (kind) {
      case Kind::julian_no_leap: {
        std::int64_t d = days_from_civil(year, 1, 1) + n - 1;
        if (detail::is_leap(year) && n >= 60) ++d;  // Feb 29 is never counted
        return d;
      }
      case Kind::zero_based:
        return static_cast<std::int64_t>(days_from_civil(year, 1, 1)) + n;
      case Kind::month_week_day:
      default: {
        const auto m = static_cast<unsigned>(month);
        const std::int64_t first = days_from_civil(year, m, 1);
        // POSIX weekday: 0 = Sunday; iso_weekday: 0 = Monday.
        const std::int64_t first_wd = (iso_weekday(static_cast<Day>(first)) + 1) % 7;
        std::int64_t d = first + floor_mod(weekday - first_wd, 7) + 7 * (week - 1);
        const std::int64_t last = first + detail::days_in_month(year, m) - 1;
        while (d > last) d -= 7;  // week 5 means "the last"
        return d;
      }
    }
  }
};

struct PosixRule {
  std::int32_t std_offset = 0;  // seconds east of UTC (POSIX writes them west)
  bool has_dst = false;
  std::int32_t dst_offset = 0;
  PosixDate start, end;

  // UTC seconds of the start and end of DST in `year`.
  std::pair<std::int64_t, std::int64_t> changes(int year) const noexcept {
    return {start.day(year) * kSecondsPerDay + start.time - std_offset,
            end.day(year) * kSecondsPerDay + end.time - dst_offset};
  }

  std::int32_t offset_at(std::int64_t utc_seconds) const noexcept {
    if (!has_dst) return std_offset;
    const int year = civil_from_days(static_cast<Day>(floor_div(utc_seconds, kSecondsPerDay))).year;
    const auto [s, e] = changes(year);
    const bool in_dst = s < e ? (utc_seconds >= s && utc_seconds < e)
                              : (utc_seconds < e || utc_seconds >= s);
    return in_dst ? dst_offset : std_offset;
  }
};

class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}

  std::optional<PosixRule> parse() {
    PosixRule r;
    if (!name()) return std::nullopt;
    auto off = signed_time(24);
    if (!off) return std::nullopt;
    r.std_offset = static_cast<std::int32_t>(-*off);
    if (at_end()) return r;
    if (!name()) return std::nullopt;
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (!at_end() && peek() != ',') {
      auto d = signed_time(24);
      if (!d) return std::nullopt;
      r.dst_offset = static_cast<std::int32_t>(-*d);
    }
    if (at_end()) {
      // No rule: POSIX leaves it to the implementation; tzcode uses the US rule.
      r.start = PosixDate{PosixDate::Kind::month_week_day, 0, 3, 2, 0, 7200};
      r.end = PosixDate{PosixDate::Kind::month_week_day, 0, 11, 1, 0, 7200};
      return r;
    }
    if (!eat(',') || !date(r.start) || !eat(',') || !date(r.end) || !at_end()) return std::nullopt;
    return r;
  }

 private:
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return s_[i_]; }
  bool eat(char c) {
    if (at_end() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  bool name() {
    if (eat('<')) {
      while (!at_end() && peek() != '>') ++i_;
      return eat('>');
    }
    const std::size_t b = i_;
    while (!at_end() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z'))) ++i_;
    return i_ - b >= 3;
  }
  std::optional<std::int64_t> number() {
    const std::size_t b = i_;
    std::int64_t v = 0;
    while (!at_end() && detail::is_digit(peek()) && i_ - b < 4) v = v * 10 + (s_[i_++] - '0');
    if (i_ == b) return std::nullopt;
    return v;
  }
  // [+-]hh[:mm[:ss]] in seconds, hours bounded by max_hours.
  std::optional<std::int64_t> signed_time(std::int64_t max_hours) {
    std::int64_t sign = 1;
    if (eat('-')) sign = -1;
    else eat('+');
    auto h = number();
    if (!h || *h > max_hours) return std::nullopt;
    std::int64_t v = *h * 3600;
    if (eat(':')) {
      auto m = number();
      if (!m || *m > 59) return std::nullopt;
      v += *m * 60;
      if (eat(':')) {
        auto sec = number();
        if (!sec || *sec > 59) return std::nullopt;
        v += *sec;
      }
    }
    return sign * v;
  }
  bool date(PosixDate& d) {
    if (eat('M')) {
      auto m = number();
      if (!m || *m < 1 || *m > 12 || !eat('.')) return false;
      auto w = number();
      if (!w || *w < 1 || *w > 5 || !eat('.')) return false;
      auto wd = number();
      if (!wd || *wd > 6) return false;
      d.kind = PosixDate::Kind::month_week_day;
      d.month = static_cast<int>(*m);
      d.week = static_cast<int>(*w);
      d.weekday = static_cast<int>(*wd);
    } else if (eat('J')) {
      auto n = number();
      if (!n || *n < 1 || *n > 365) return false;
      d.kind = PosixDate::Kind::julian_no_leap;
      d.n = static_cast<int>(*n);
    } else {
      auto n = number();
      if (!n || *n > 365) return false;
      d.kind = PosixDate::Kind::zero_based;
      d.n = static_cast<int>(*n);
    }
    if (eat('/')) {
      auto t = signed_time(167);  // RFC 8536 extension: -167..167 hours
      if (!t) return false;
      d.time = *t;
    }
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// The POSIX TZ string at the end of a TZif v2+ file, or nullopt.
std::optional<PosixRule> read_footer(const std::string& zone_name) {
  std::ifstream in("/usr/share/zoneinfo/" + zone_name, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string data = buf.str();
  if (data.size() < 6 || data.compare(0, 4, "TZif") != 0 || data[4] < '2' || data.back() != '\n')
    return std::nullopt;
  const std::size_t nl = data.rfind('\n', data.size() - 2);
  if (nl == std::string::npos) return std::nullopt;
  const std::string_view footer(data.data() + nl + 1, data.size() - nl - 2);
  if (footer.empty()) return std::nullopt;
  return PosixParser(footer).parse();
}

// ---- fixed offsets -------------------------------------------------------------

// "±HH:MM", "±HHMM", "±HH" (HH ≤ 23, MM ≤ 59) → seconds east of UTC.
std::optional<std::int32_t> parse_fixed_offset(std::string_view s) noexcept {
  if (s.size() != 3 && s.size() != 5 && s.size() != 6) return std::nullopt;
  if (s[0] != '+' && s[0] != '-') return std::nullopt;
  int h = 0, m = 0;
  if (!detail::fixed_digits(s.substr(1, 2), h)) return std::nullopt;
  if (s.size() == 5 && !detail::fixed_digits(s.substr(3, 2), m)) return std::nullopt;
  if (s.size() == 6 && (s[3] != ':' || !detail::fixed_digits(s.substr(4, 2), m))) return std::nullopt;
  if (h > 23 || m > 59) return std::nullopt;
  const int v = h * 3600 + m * 60;
  return static_cast<std::int32_t>(s[0] == '-' ? -v : v);
}

std::string format_offset(std::int32_t off) {
  std::string out;
  out.push_back(off < 0 ? '-' : '+');
  const unsigned a = static_cast<unsigned>(off < 0 ? -off : off);
  detail::append_2digits(out, a / 3600);
  out.push_back(':');
  detail::append_2digits(out, a / 60 % 60);
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

struct Zone::Impl {
  std::string name;
  bool fixed = true;
  std::int32_t fixed_offset = 0;

  // IANA only. Segment i starts at starts[i] (UTC micros) with offsets[i];
  // local_starts[i] = starts[i] + offsets[i], also increasing. starts[0] is
  // the table's low end, `table_end` its (exclusive) high end.
  const date::time_zone* tz = nullptr;
  std::optional<PosixRule> rule;
  std::vector<Micros> starts;
  std::vector<Micros> local_starts;
  std::vector<std::int32_t> offsets;
  Micros table_end = 0;
  Micros local_end = 0;  // table_end on the wall clock of the last segment
  // Bucket indexes over the UTC and the local time lines: bucket b (2^40 µs,
  // about 12.7 days) holds the last segment starting at or before the bucket's
  // start, so a lookup is one load plus a step or two, not a binary search.
  std::vector<std::uint32_t> utc_index;
  std::vector<std::uint32_t> local_index;

  static constexpr int kBucketShift = 40;

  static std::vector<std::uint32_t> make_index(const std::vector<Micros>& at, Micros end) {
    std::vector<std::uint32_t> index;
    const Micros lo = at.front();
    std::uint32_t i = 0;
    for (Micros b = lo; b < end; b += Micros{1} << kBucketShift) {
      while (i + 1 < at.size() && at[i + 1] <= b) ++i;
      index.push_back(i);
    }
    return index;
  }

  // REQUIRES: at.front() <= t, (t - at.front()) >> kBucketShift < index.size().
  static std::size_t find(const std::vector<Micros>& at, const std::vector<std::uint32_t>& index,
                          Micros t) noexcept {
    std::size_t i = index[static_cast<std::size_t>((t - at.front()) >> kBucketShift)];
    while (i + 1 < at.size() && at[i + 1] <= t) ++i;
    return i;
  }

  std::int32_t slow_offset(Micros utc) const noexcept {
    const std::int64_t s = clamp_seconds(floor_div(utc, kMicrosPerSecond));
    if (s >= kTableHi && rule) return rule->offset_at(s);
    try {
      const auto info = tz->get_info(date::sys_seconds{std::chrono::seconds{s}});
      return static_cast<std::int32_t>(info.offset.count());
    } catch (...) {
      return s < kTableLo ? offsets.front() : offsets.back();
    }
  }

  std::int32_t offset(Micros utc) const noexcept {
    if (fixed) return fixed_offset;
    if (utc < starts.front() || utc >= table_end) return slow_offset(utc);
    return offsets[find(starts, utc_index, utc)];
  }

  Micros slow_to_utc(Micros local) const noexcept {
    const std::int64_t s = clamp_seconds(floor_div(local, kMicrosPerSecond));
    if (s >= kTableHi && rule) {
      // Two offsets: the valid candidates, earliest first; none valid = a gap,
      // which the offset before it (the smaller one) moves forward.
      const std::int32_t lo = std::min(rule->std_offset, rule->dst_offset);
      const std::int32_t hi = std::max(rule->std_offset, rule->dst_offset);
      for (std::int32_t o : {hi, lo}) {
        const Micros u = sat_add(local, -static_cast<Micros>(o) * kMicrosPerSecond);
        if (slow_offset(u) == o) return u;
      }
      return sat_add(local, -static_cast<Micros>(lo) * kMicrosPerSecond);
    }
    std::int64_t off = 0;
    try {
      const auto info = tz->get_info(date::local_seconds{std::chrono::seconds{s}});
      // unique: its offset; nonexistent: the offset before the gap; ambiguous: the earlier.
      off = info.first.offset.count();
    } catch (...) {
      off = s < kTableLo ? offsets.front() : offsets.back();
    }
    return sat_add(local, -off * kMicrosPerSecond);
  }

  Micros to_utc(Micros local) const noexcept {
    if (fixed) return sat_add(local, -static_cast<Micros>(fixed_offset) * kMicrosPerSecond);
    if (local < local_starts.front() || local >= local_end) return slow_to_utc(local);
    const std::size_t j = find(local_starts, local_index, local);
    const Micros off_j = static_cast<Micros>(offsets[j]) * kMicrosPerSecond;
    if (j > 0) {
      // Still inside the previous segment's wall clock: a fall-back overlap,
      // whose earlier instant is on the previous (larger) offset.
      const Micros off_prev = static_cast<Micros>(offsets[j - 1]) * kMicrosPerSecond;
      if (local < starts[j] + off_prev) return local - off_prev;
    }
    // Inside segment j, or in the gap before segment j+1 (spring forward): the
    // offset before the gap moves the wall time forward by the gap.
    return local - off_j;
  }

  void add(std::int64_t start_seconds, std::int64_t offset_seconds) {
    const auto off = static_cast<std::int32_t>(offset_seconds);
    if (!offsets.empty() && offsets.back() == off) return;
    starts.push_back(start_seconds * kMicrosPerSecond);
    offsets.push_back(off);
  }

  // Throws (date/tz errors); Zone::parse catches.
  void build_table() {
    using std::chrono::seconds;
    std::int64_t t = kTableLo;
    auto info = tz->get_info(date::sys_seconds{seconds{t}});
    add(t, info.offset.count());
    for (;;) {
      const std::int64_t end = info.end.time_since_epoch().count();
      if (end >= kTableHi) break;
      if (rule && end >= kDateClamp / 2) break;  // "forever" sentinel: the rule takes over
      t = end;
      info = tz->get_info(date::sys_seconds{seconds{t}});
      add(t, info.offset.count());
      if (info.end.time_since_epoch().count() >= kDateClamp / 2) break;
    }
    if (rule && rule->has_dst) {
      // After date/tz's last transition `t`, the footer rule describes the zone.
      const std::int64_t last = t;
      int year = civil_from_days(static_cast<Day>(floor_div(last, kSecondsPerDay))).year;
      std::vector<std::pair<std::int64_t, std::int32_t>> extra;
      for (; year <= 2200; ++year) {
        const auto [s, e] = rule->changes(year);
        extra.emplace_back(s, rule->dst_offset);
        extra.emplace_back(e, rule->std_offset);
      }
      std::sort(extra.begin(), extra.end());
      for (const auto& [at, off] : extra)
        if (at > last && at < kTableHi) add(at, off);
    }
    table_end = kTableHi * kMicrosPerSecond;
    local_starts.reserve(starts.size());
    for (std::size_t i = 0; i < starts.size(); ++i)
      local_starts.push_back(starts[i] + static_cast<Micros>(offsets[i]) * kMicrosPerSecond);
    local_end = table_end + static_cast<Micros>(offsets.back()) * kMicrosPerSecond;
    utc_index = make_index(starts, table_end);
    local_index = make_index(local_starts, local_end);
  }
};

Zone::Zone() = default;

Expected<Zone> Zone::parse(std::string_view name) {
  const auto unknown = [&] {
    return Error("unknown time zone \"" + std::string(name) +
                 "\" (expected an IANA name like Europe/Paris or an offset like +02:00)");
  };
  if (iequals(name, "UTC") || name == "Z" || name == "z") return Zone();
  Zone z;
  if (!name.empty() && (name[0] == '+' || name[0] == '-')) {
    const auto off = parse_fixed_offset(name);
    if (!off) return unknown();
    auto impl = std::make_shared<Impl>();
    impl->fixed_offset = *off;
    impl->name = format_offset(*off);
    z.impl_ = std::move(impl);
    return z;
  }
  if (name.empty()) return unknown();
  try {
    auto impl = std::make_shared<Impl>();
    impl->fixed = false;
    impl->name = std::string(name);
    impl->tz = date::locate_zone(name);
    impl->rule = read_footer(impl->tz->name());
    impl->build_table();
    z.impl_ = std::move(impl);
    return z;
  } catch (...) {
    return unknown();
  }
}

const std::string& Zone::name() const noexcept {
  static const std::string kUtc = "UTC";
  return impl_ ? impl_->name : kUtc;
}

std::int32_t Zone::offset_at(Micros utc) const noexcept { return impl_ ? impl_->offset(utc) : 0; }

Day Zone::local_day(Micros utc) const noexcept {
  // Split first so that adding the offset cannot overflow near the int64 ends.
  const std::int64_t day = floor_div(utc, kMicrosPerDay);
  const std::int64_t rest = utc - day * kMicrosPerDay + static_cast<Micros>(offset_at(utc)) * kMicrosPerSecond;
  return static_cast<Day>(day + floor_div(rest, kMicrosPerDay));
}

Micros Zone::to_utc(Micros local_wall) const noexcept {
  return impl_ ? impl_->to_utc(local_wall) : local_wall;
}

Micros Zone::day_start(Day d) const noexcept {
  return to_utc(static_cast<Micros>(d) * kMicrosPerDay);
}

}  // namespace kpi::time
