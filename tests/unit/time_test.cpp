// Unit tests of kpi/time.hpp: calendar, zones (with DST), timestamp forms and
// formats, durations, humanized seconds, periods. Every expected value is
// worked out by hand in the comment next to it.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "kpi/time.hpp"

using namespace kpi::time;

namespace {

// Anchors, computed once by hand and reused below:
//   1970-01-01 = day 0 (a Thursday).
//   2000-01-01 = 30·365 + 7 leap days (1972…1996) = 10957.
//   2025-01-01 = 10957 + 25·365 + 7 leap days (2000…2024) = 20089.
//   2025-03-04 = 20089 + 31 + 28 + 3 = 20151, i.e. 20151·86400 = 1 741 046 400 s.
constexpr Day k20250101 = 20089;
constexpr Day k20250304 = 20151;
constexpr Micros kS = kMicrosPerSecond;
constexpr Micros kH = kMicrosPerHour;

Micros at(Day d, int h = 0, int m = 0, int s = 0) {
  return d * kMicrosPerDay + h * kH + m * kMicrosPerMinute + s * kS;
}

Zone zone(const char* name) {
  auto z = Zone::parse(name);
  REQUIRE(z.has_value());
  return *z;
}

}  // namespace

TEST_CASE("civil days: proleptic Gregorian round trips", "[time]") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  CHECK(days_from_civil(2000, 1, 1) == 10957);
  CHECK(days_from_civil(2025, 1, 1) == k20250101);
  CHECK(days_from_civil(2025, 3, 4) == k20250304);
  // 2024-02-29 = 2025-01-01 − 366 (2024 is leap) + 59 = 19723 + 59 = 19782.
  CHECK(days_from_civil(2024, 2, 29) == 19782);
  // 0000-01-01: 1970 years back = 1970·365 + 478 leap days (0,4,…,1968 = 493, minus
  // 100,200,300,500,…,1900 = 15 non-leap centuries) = 719050 + 478 = 719528.
  CHECK(days_from_civil(0, 1, 1) == -719528);
  // 9999-12-31 = 10000-01-01 − 1; 10000-01-01 = 8030·365 + 1947 leap days
  //   (1972…9996: 2007, minus 2100,…,9900 non-leap centuries: 60) = 2930950 + 1947 = 2932897.
  CHECK(days_from_civil(9999, 12, 31) == 2932896);

  const Civil c = civil_from_days(k20250304);
  CHECK(c.year == 2025);
  CHECK(c.month == 3u);
  CHECK(c.day == 4u);
  const Civil z = civil_from_days(-719528);
  CHECK(z.year == 0);
  CHECK(z.month == 1u);
  CHECK(z.day == 1u);
  const Civil neg = civil_from_days(-719529);  // the day before year 0
  CHECK(neg.year == -1);
  CHECK(neg.month == 12u);
  CHECK(neg.day == 31u);
  for (Day d = -800000; d <= 3000000; d += 997) {
    const Civil x = civil_from_days(d);
    REQUIRE(days_from_civil(x.year, x.month, x.day) == d);
  }
}

TEST_CASE("iso_weekday: Monday is 0", "[time]") {
  CHECK(iso_weekday(0) == 3u);           // 1970-01-01 Thursday
  CHECK(iso_weekday(-3) == 0u);          // 1969-12-29 Monday
  CHECK(iso_weekday(-4) == 6u);          // 1969-12-28 Sunday
  CHECK(iso_weekday(k20250304) == 1u);   // 2025-03-04 Tuesday
  CHECK(iso_weekday(-719528) == 5u);     // 0000-01-01 Saturday (−719528 = −102790·7 + 2; (2+3) mod 7 = 5)
}

TEST_CASE("format_date and parse_date", "[time]") {
  CHECK(format_date(k20250304) == "2025-03-04");
  CHECK(format_date(0) == "1970-01-01");
  CHECK(format_date(-719528) == "0000-01-01");
  CHECK(format_date(-719529) == "-0001-12-31");
  CHECK(format_date(2932896) == "9999-12-31");
  CHECK(format_date(days_from_civil(999, 7, 9)) == "0999-07-09");

  CHECK(parse_date("2025-03-04") == std::optional<Day>(k20250304));
  CHECK(parse_date("2024-02-29") == std::optional<Day>(19782));
  CHECK(parse_date("0000-01-01") == std::optional<Day>(-719528));
  CHECK(parse_date("9999-12-31") == std::optional<Day>(2932896));
  CHECK_FALSE(parse_date("2023-02-29"));  // 2023 is not leap
  CHECK_FALSE(parse_date("1900-02-29"));  // century, not leap
  CHECK(parse_date("2000-02-29"));        // divisible by 400: leap
  CHECK_FALSE(parse_date("2025-13-01"));
  CHECK_FALSE(parse_date("2025-00-10"));
  CHECK_FALSE(parse_date("2025-04-31"));
  CHECK_FALSE(parse_date("2025-04-00"));
  CHECK_FALSE(parse_date("2025-3-04"));
  CHECK_FALSE(parse_date("2025-03-04T00:00"));
  CHECK_FALSE(parse_date(" 2025-03-04"));
  CHECK_FALSE(parse_date("2025/03/04"));
  CHECK_FALSE(parse_date(""));
}

TEST_CASE("Zone::parse: UTC, fixed offsets, IANA names, errors", "[time]") {
  CHECK(Zone().name() == "UTC");
  CHECK(zone("UTC").name() == "UTC");
  CHECK(zone("utc").name() == "UTC");
  CHECK(zone("Z").name() == "UTC");
  CHECK(zone("+05:30").name() == "+05:30");
  CHECK(zone("+0530").name() == "+05:30");
  CHECK(zone("-03").name() == "-03:00");
  CHECK(zone("Europe/Paris").name() == "Europe/Paris");

  CHECK(zone("+05:30").offset_at(0) == 19800);  // 5·3600 + 30·60
  CHECK(zone("-0930").offset_at(0) == -34200);  // −(9·3600 + 30·60)
  CHECK(zone("-03").offset_at(0) == -10800);

  const auto bad = Zone::parse("Mars/Base");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message() ==
        "unknown time zone \"Mars/Base\" (expected an IANA name like Europe/Paris or an offset like +02:00)");
  for (const char* name : {"", "+5", "+24:00", "+05:60", "+05:3", "05:30", "+05-30", "Europe/",
                           "../../etc/passwd", "+05:30x"})
    CHECK_FALSE(Zone::parse(name).has_value());
}

TEST_CASE("Zone: fixed offsets are plain arithmetic", "[time]") {
  const Zone ist = zone("+05:30");
  // 2025-03-04T20:00Z + 5h30 = 2025-03-05T01:30 local: the next local day.
  CHECK(ist.local_day(at(k20250304, 20)) == k20250304 + 1);
  CHECK(ist.local_day(at(k20250304, 18, 29)) == k20250304);  // 23:59 local
  CHECK(ist.to_utc(at(k20250304, 1, 30)) == at(k20250304) - 4 * kH);  // 01:30 − 5:30 = 20:00 the day before
  CHECK(ist.day_start(k20250304) == at(k20250304) - 5 * kH - 30 * kMicrosPerMinute);
  const Zone west = zone("-08:00");
  // Negative instants floor: 1970-01-01T07:59:59Z is 1969-12-31T23:59:59 at −08:00.
  CHECK(west.local_day(at(0, 7, 59, 59)) == -1);
  CHECK(west.local_day(at(0, 8)) == 0);
  CHECK(Zone().local_day(-1) == -1);  // one microsecond before the epoch
}

TEST_CASE("Zone: Europe/Paris DST days are 23 and 25 hours long", "[time]") {
  const Zone paris = zone("Europe/Paris");
  const Day spring = days_from_civil(2025, 3, 30);  // = 20089 + 31 + 28 + 29 = 20177
  const Day autumn = days_from_civil(2025, 10, 26);
  CHECK(spring == 20177);
  CHECK(paris.day_start(spring + 1) - paris.day_start(spring) == 23 * kH);
  CHECK(paris.day_start(autumn + 1) - paris.day_start(autumn) == 25 * kH);
  CHECK(paris.day_start(spring - 1 + 1) - paris.day_start(spring - 1) == 24 * kH);
  // Midnight of 03-30 is CET (+1): 2025-03-29T23:00Z. Midnight of 03-31 is CEST: 03-30T22:00Z.
  CHECK(paris.day_start(spring) == at(spring - 1, 23));
  CHECK(paris.day_start(spring + 1) == at(spring, 22));

  CHECK(paris.offset_at(at(k20250101)) == 3600);
  CHECK(paris.offset_at(at(days_from_civil(2025, 7, 1))) == 7200);
  // The change is at 01:00Z: 00:59:59Z is CET, 01:00:00Z is CEST.
  CHECK(paris.offset_at(at(spring, 0, 59, 59)) == 3600);
  CHECK(paris.offset_at(at(spring, 1)) == 7200);
  CHECK(paris.offset_at(at(autumn, 0, 59, 59)) == 7200);
  CHECK(paris.offset_at(at(autumn, 1)) == 3600);

  // Spring-forward gap: 02:30 does not exist; it moves forward by the gap to
  // 03:30 CEST = 01:30Z.
  CHECK(paris.to_utc(at(spring, 2, 30)) == at(spring, 1, 30));
  CHECK(paris.to_utc(at(spring, 1, 59, 59)) == at(spring, 0, 59, 59));  // last CET second
  CHECK(paris.to_utc(at(spring, 3)) == at(spring, 1));                  // first CEST wall time
  // Fall-back overlap: 02:30 happens twice (00:30Z CEST, 01:30Z CET): the earlier.
  CHECK(paris.to_utc(at(autumn, 2, 30)) == at(autumn, 0, 30));
  CHECK(paris.to_utc(at(autumn, 1, 59)) == at(autumn - 1, 23, 59));  // 01:59 CEST = 23:59Z the day before
  CHECK(paris.to_utc(at(autumn, 3)) == at(autumn, 2));  // 03:00 CET = 02:00Z

  // 2025-03-29T23:30Z = 00:30 CET on 03-30.
  CHECK(paris.local_day(at(spring - 1, 23, 30)) == spring);
  CHECK(paris.local_day(at(spring - 1, 22, 59, 59)) == spring - 1);
}

TEST_CASE("Zone: other IANA zones, history and far future", "[time]") {
  const Zone ny = zone("America/New_York");
  const Day spring = days_from_civil(2025, 3, 9);
  const Day autumn = days_from_civil(2025, 11, 2);
  CHECK(ny.day_start(spring + 1) - ny.day_start(spring) == 23 * kH);
  CHECK(ny.day_start(autumn + 1) - ny.day_start(autumn) == 25 * kH);
  CHECK(ny.day_start(k20250304) == at(k20250304, 5));  // EST −5

  // Southern hemisphere: Sydney leaves DST on 2025-04-06 and enters it on 2025-10-05.
  const Zone syd = zone("Australia/Sydney");
  const Day syd_back = days_from_civil(2025, 4, 6);
  const Day syd_fwd = days_from_civil(2025, 10, 5);
  CHECK(syd.day_start(syd_back + 1) - syd.day_start(syd_back) == 25 * kH);
  CHECK(syd.day_start(syd_fwd + 1) - syd.day_start(syd_fwd) == 23 * kH);
  CHECK(syd.offset_at(at(k20250101)) == 11 * 3600);

  // São Paulo 2018-11-04: DST began at midnight, so 00:00 did not exist; the
  // day starts at 01:00 −02 = 03:00Z (midnight −03 moved forward by the gap).
  const Zone sp = zone("America/Sao_Paulo");
  const Day sp_day = days_from_civil(2018, 11, 4);
  CHECK(sp.day_start(sp_day) == at(sp_day, 3));
  CHECK(sp.day_start(sp_day + 1) - sp.day_start(sp_day) == 23 * kH);

  // Beyond the tzdata files' explicit transitions (2037), the POSIX rule
  // continues DST: Paris is CEST in July 2040, 2199 (table) and 2300 (rule).
  const Zone paris = zone("Europe/Paris");
  CHECK(paris.offset_at(at(days_from_civil(2040, 7, 1))) == 7200);
  CHECK(paris.offset_at(at(days_from_civil(2040, 1, 1))) == 3600);
  CHECK(paris.offset_at(at(days_from_civil(2199, 7, 1))) == 7200);
  CHECK(paris.offset_at(at(days_from_civil(2300, 7, 1))) == 7200);
  CHECK(paris.offset_at(at(days_from_civil(2300, 12, 1))) == 3600);
  // 2040-03-25 is the last Sunday of March 2040 (03-31 is a Saturday): 23 hours.
  const Day d2040 = days_from_civil(2040, 3, 25);
  CHECK(iso_weekday(d2040) == 6u);
  CHECK(paris.day_start(d2040 + 1) - paris.day_start(d2040) == 23 * kH);
  // 2300-03-25 is the last Sunday of March 2300; outside the table too.
  const Day d2300 = days_from_civil(2300, 3, 25);
  CHECK(iso_weekday(d2300) == 6u);
  CHECK(paris.day_start(d2300 + 1) - paris.day_start(d2300) == 23 * kH);
  CHECK(paris.to_utc(at(d2300, 2, 30)) == at(d2300, 1, 30));

  // Before 1900 Paris kept local mean time, +0:09:21 = 561 s.
  CHECK(paris.offset_at(at(days_from_civil(1850, 6, 1))) == 561);
  CHECK(paris.to_utc(at(days_from_civil(1850, 6, 1), 12)) == at(days_from_civil(1850, 6, 1), 12) - 561 * kS);
  // Year 0 and 9999 stay usable.
  CHECK(paris.local_day(at(-719528, 12)) == -719528);
  CHECK(paris.local_day(at(2932896, 12)) == 2932896);
}

TEST_CASE("TimestampParser: ISO 8601 forms", "[time]") {
  const TimestampParser utc{Zone()};
  const Micros base = at(k20250304);  // 1 741 046 400 s
  CHECK(base == 1'741'046'400 * kS);
  CHECK(utc.parse("2025-03-04") == base);
  CHECK(utc.parse("2025-03-04T12:34") == at(k20250304, 12, 34));
  CHECK(utc.parse("2025-03-04T12:34:56") == at(k20250304, 12, 34, 56));
  CHECK(utc.parse("2025-03-04t12:34:56") == at(k20250304, 12, 34, 56));
  CHECK(utc.parse("2025-03-04 12:34:56") == at(k20250304, 12, 34, 56));
  CHECK(utc.parse("2025-03-04T12:34:56Z") == at(k20250304, 12, 34, 56));
  CHECK(utc.parse("2025-03-04T12:34:56z") == at(k20250304, 12, 34, 56));
  // Offsets: local 12:34:56 at +01:00 is 11:34:56Z; at −05:30 it is 18:04:56Z.
  CHECK(utc.parse("2025-03-04T12:34:56+01:00") == at(k20250304, 11, 34, 56));
  CHECK(utc.parse("2025-03-04T12:34:56+0100") == at(k20250304, 11, 34, 56));
  CHECK(utc.parse("2025-03-04T12:34:56+01") == at(k20250304, 11, 34, 56));
  CHECK(utc.parse("2025-03-04T12:34:56-05:30") == at(k20250304, 18, 4, 56));
  CHECK(utc.parse("2025-03-04T12:34-00:00") == at(k20250304, 12, 34));
  // Fractions: up to 9 digits; beyond microseconds they are truncated.
  CHECK(utc.parse("2025-03-04T12:34:56.5Z") == at(k20250304, 12, 34, 56) + 500'000);
  CHECK(utc.parse("2025-03-04T12:34:56.000001Z") == at(k20250304, 12, 34, 56) + 1);
  CHECK(utc.parse("2025-03-04T12:34:56.123456789Z") == at(k20250304, 12, 34, 56) + 123'456);
  CHECK(utc.parse("2025-03-04T12:34:56.9999999+01:00") == at(k20250304, 11, 34, 56) + 999'999);
  // Before the epoch: 1969-12-31T23:59:59.5Z = −0.5 s.
  CHECK(utc.parse("1969-12-31T23:59:59.5Z") == -500'000);
  // Calendar edges.
  CHECK(utc.parse("2024-02-29") == at(19782));
  CHECK(utc.parse("0000-01-01") == at(-719528));
  CHECK(utc.parse("9999-12-31T23:59:59.999999Z") == at(2932897) - 1);

  // No offset: local time in the zone.
  const TimestampParser paris{zone("Europe/Paris")};
  CHECK(paris.parse("2025-03-04 12:34") == at(k20250304, 11, 34));        // CET +1
  CHECK(paris.parse("2025-03-04") == at(k20250304 - 1, 23));              // local midnight
  CHECK(paris.parse("2025-03-30T02:30") == at(20177, 1, 30));             // gap → 03:30 CEST
  CHECK(paris.parse("2025-03-04T12:34Z") == at(k20250304, 12, 34));       // an offset wins
  const TimestampParser ist{zone("+05:30")};
  CHECK(ist.parse("2025-03-04T05:30") == base);

  CHECK(utc.expectation() == "an ISO 8601 date-time or epoch");
  CHECK(paris.zone().name() == "Europe/Paris");
}

TEST_CASE("TimestampParser: invalid ISO text is nullopt", "[time]") {
  const TimestampParser p{Zone()};
  for (const char* text : {
           "2025-13-01", "2025-00-01", "2025-02-29", "2023-02-29", "2025-04-31", "2025-03-00",
           "2025-03-04T24:00", "2025-03-04T12:60", "2025-03-04T23:59:60", "2025-03-04T23:59:60Z",
           "2025-3-4", "25-03-04", "20250-03-04", "2025-03-04T", "2025-03-04T12", "2025-03-04T1:30",
           "2025-03-04T12:34:5", "2025-03-04Z", "2025-03-04T12:34:56.", "2025-03-04T12:34.5",
           "2025-03-04T12:34:56.1234567890", "2025-03-04T12:34:56,5", "2025-03-04T12:34+24:00",
           "2025-03-04T12:34+01:60", "2025-03-04T12:34+1", "2025-03-04T12:34+01:0",
           "2025-03-04T12:34:56Z ", " 2025-03-04", "2025-03-04  12:34", "2025-03-04_12:34",
           "2025-03-04T12:34:56ZZ", "2025-13-40T10:00:00Z", "2025-03-04x"})
    CHECK_FALSE(p.parse(text).has_value());
}

TEST_CASE("TimestampParser: epoch seconds and milliseconds", "[time]") {
  const TimestampParser p{Zone()};
  CHECK(p.parse("0") == 0);
  CHECK(p.parse("1741046400") == at(k20250304));
  CHECK(p.parse("1741046400000") == at(k20250304));  // ms
  // The boundary: |n| < 10^11 is seconds, ≥ 10^11 milliseconds.
  CHECK(p.parse("99999999999") == 99'999'999'999 * kS);
  CHECK(p.parse("100000000000") == 100'000'000'000 * 1000);  // 10^8 s
  CHECK(p.parse("-1") == -kS);
  CHECK(p.parse("-86400") == at(-1));
  CHECK(p.parse("-100000000000") == -100'000'000'000 * 1000);  // ms: 1966-10-31
  CHECK(p.parse("0001741046400") == at(k20250304));             // leading zeros are digits
  // A bare 4-digit number is epoch seconds, not a year.
  CHECK(p.parse("2025") == 2025 * kS);
  // The epoch form ignores the zone: it is already UTC.
  const TimestampParser paris{zone("Europe/Paris")};
  CHECK(paris.parse("1741046400") == at(k20250304));
  // 10000-01-01 is 2932897 days = 253402300800 s = 253402300800000 ms: the first rejected ms.
  CHECK(p.parse("253402300799999") == 253'402'300'799'999 * 1000);
  CHECK_FALSE(p.parse("253402300800000"));
  // −99999999999 s is year −1199: before 0000-01-01 (−62167219200 s), rejected.
  CHECK(p.parse("-62167219200") == at(-719528));
  CHECK_FALSE(p.parse("-62167219201"));
  for (const char* text : {"", "-", "+1", "1.5", "1e9", " 1", "1 ", "1_000", "--1", "0x10",
                           "9223372036854775807", "99999999999999999999", "12a", "-1.0"})
    CHECK_FALSE(p.parse(text).has_value());
}

TEST_CASE("TimestampParser::with_format: every directive", "[time]") {
  const Zone utc;
  const auto fmt = [&](const char* f) {
    auto p = TimestampParser::with_format(utc, f);
    REQUIRE(p.has_value());
    return *p;
  };
  const Micros base = at(k20250304);

  const auto us = fmt("%m/%d/%Y %H:%M");
  CHECK(us.parse("3/4/2025 12:34") == at(k20250304, 12, 34));
  CHECK(us.parse("03/04/2025 12:34") == at(k20250304, 12, 34));
  CHECK(us.parse("03/04/2025 2:05") == at(k20250304, 2, 5));
  CHECK_FALSE(us.parse("13/04/2025 12:34"));
  CHECK_FALSE(us.parse("3/4/2025"));
  CHECK_FALSE(us.parse("3/4/2025 12:34 "));  // the whole text must be consumed
  CHECK_FALSE(us.parse("2/29/2025 12:34"));
  CHECK(us.parse("2/29/2024 00:00") == at(19782));
  CHECK(us.expectation() == "a date-time in the format '%m/%d/%Y %H:%M'");

  CHECK(fmt("%Y%m%d").parse("20250304") == base);
  CHECK(fmt("%Y-%m").parse("2025-03") == at(k20250304 - 3));  // day defaults to 1
  CHECK(fmt("%Y").parse("2025") == at(k20250101));
  CHECK(fmt("%F").parse("2025-03-04") == base);
  CHECK(fmt("%F %T").parse("2025-03-04 12:34:56") == at(k20250304, 12, 34, 56));
  CHECK(fmt("%d.%m.%Y %H:%M:%S").parse("4.3.2025 7:08:09") == at(k20250304, 7, 8, 9));
  CHECK_FALSE(fmt("%F %T").parse("2025-03-04 12:34:60"));

  // %y: 69–99 → 19xx, 00–68 → 20xx.
  const auto yy = fmt("%y-%m-%d");
  CHECK(yy.parse("25-03-04") == base);
  CHECK(yy.parse("68-12-31") == at(days_from_civil(2068, 12, 31)));
  CHECK(yy.parse("69-01-01") == at(-365));  // 1969-01-01
  CHECK(yy.parse("99-12-31") == at(days_from_civil(1999, 12, 31)));
  CHECK_FALSE(yy.parse("5-03-04"));

  // %b/%B: English names and abbreviations, any case.
  const auto named = fmt("%d %b %Y");
  CHECK(named.parse("04 Mar 2025") == base);
  CHECK(named.parse("4 march 2025") == base);
  CHECK(named.parse("4 MARCH 2025") == base);
  CHECK(named.parse("31 Dec 2025") == at(days_from_civil(2025, 12, 31)));
  CHECK_FALSE(named.parse("4 Mrz 2025"));
  CHECK(fmt("%B %d, %Y").parse("September 1, 2025") == at(days_from_civil(2025, 9, 1)));
  CHECK(fmt("%B %d, %Y").parse("Sep 1, 2025") == at(days_from_civil(2025, 9, 1)));
  CHECK(fmt("%b%Y").parse("May2025") == at(days_from_civil(2025, 5, 1)));

  // %I with %p: 12 AM is 00, 12 PM is 12.
  const auto ampm = fmt("%Y-%m-%d %I:%M %p");
  CHECK(ampm.parse("2025-03-04 12:05 AM") == at(k20250304, 0, 5));
  CHECK(ampm.parse("2025-03-04 12:05 PM") == at(k20250304, 12, 5));
  CHECK(ampm.parse("2025-03-04 1:05 pm") == at(k20250304, 13, 5));
  CHECK(ampm.parse("2025-03-04 11:59 am") == at(k20250304, 11, 59));
  CHECK_FALSE(ampm.parse("2025-03-04 13:05 PM"));
  CHECK_FALSE(ampm.parse("2025-03-04 0:05 AM"));
  CHECK_FALSE(ampm.parse("2025-03-04 1:05 XM"));

  // %j: day of year; 063 = 31 + 28 + 4 → March 4 in 2025.
  const auto doy = fmt("%Y-%j");
  CHECK(doy.parse("2025-063") == base);
  CHECK(doy.parse("2025-63") == base);
  CHECK(doy.parse("2024-366") == at(days_from_civil(2024, 12, 31)));
  CHECK_FALSE(doy.parse("2025-366"));
  CHECK_FALSE(doy.parse("2025-000"));

  // %z: Z, ±HH:MM, ±HHMM (not ±HH).
  const auto zoned = fmt("%FT%T%z");
  CHECK(zoned.parse("2025-03-04T12:34:56+0100") == at(k20250304, 11, 34, 56));
  CHECK(zoned.parse("2025-03-04T12:34:56+01:00") == at(k20250304, 11, 34, 56));
  CHECK(zoned.parse("2025-03-04T12:34:56Z") == at(k20250304, 12, 34, 56));
  CHECK(zoned.parse("2025-03-04T12:34:56-0230") == at(k20250304, 15, 4, 56));
  CHECK_FALSE(zoned.parse("2025-03-04T12:34:56+01"));
  CHECK_FALSE(zoned.parse("2025-03-04T12:34:56"));

  // %f: fraction digits, truncated past microseconds.
  const auto frac = fmt("%F %T.%f");
  CHECK(frac.parse("2025-03-04 12:34:56.25") == at(k20250304, 12, 34, 56) + 250'000);
  CHECK(frac.parse("2025-03-04 12:34:56.123456789") == at(k20250304, 12, 34, 56) + 123'456);
  CHECK_FALSE(frac.parse("2025-03-04 12:34:56."));

  // %% and literals.
  CHECK(fmt("%Y%%%m%%%d").parse("2025%03%04") == base);
  CHECK_FALSE(fmt("%Y%%%m%%%d").parse("2025-03-04"));
  CHECK(fmt("date: %Y/%m/%d!").parse("date: 2025/03/04!") == base);

  // Without %z the time is local in the zone.
  auto paris = TimestampParser::with_format(zone("Europe/Paris"), "%d/%m/%Y %H:%M");
  REQUIRE(paris.has_value());
  CHECK(paris->parse("30/03/2025 02:30") == at(20177, 1, 30));  // gap → 01:30Z
  CHECK(paris->parse("04/03/2025 12:00") == at(k20250304, 11));
}

TEST_CASE("TimestampParser::with_format: bad formats are errors", "[time]") {
  const auto error_of = [](const char* f) {
    auto p = TimestampParser::with_format(Zone(), f);
    REQUIRE_FALSE(p.has_value());
    return p.error().message();
  };
  CHECK_THAT(error_of("%Y-%Q"), Catch::Contains("'%Q'"));
  CHECK_THAT(error_of("%Y-%Q"), Catch::Contains("unsupported directive"));
  CHECK_THAT(error_of("%Y %a"), Catch::Contains("'%a'"));
  CHECK_THAT(error_of("%Y-%m-%"), Catch::Contains("lone '%'"));
  CHECK_THAT(error_of("%m/%d"), Catch::Contains("no year"));
  CHECK_THAT(error_of(""), Catch::Contains("empty"));
  CHECK_THAT(error_of("%Y %I:%M"), Catch::Contains("%I and %p"));
  CHECK_THAT(error_of("%Y %H:%M %p"), Catch::Contains("%I and %p"));
  CHECK_THAT(error_of("%Y %H %I %p"), Catch::Contains("both %H and %I"));
  CHECK_THAT(error_of("%Y %y"), Catch::Contains("twice"));
  CHECK_THAT(error_of("%F %d"), Catch::Contains("twice"));
  CHECK_THAT(error_of("%Y %j %m"), Catch::Contains("%j"));
}

TEST_CASE("parse_duration", "[time]") {
  CHECK(parse_duration("90s") == 90 * kS);
  CHECK(parse_duration("30m") == 30 * kMicrosPerMinute);
  CHECK(parse_duration("24h") == 24 * kH);
  CHECK(parse_duration("14d") == 14 * kMicrosPerDay);
  CHECK(parse_duration("2w") == 14 * kMicrosPerDay);
  CHECK(parse_duration("0s") == 0);
  CHECK(parse_duration("1h30m") == 5400 * kS);           // 3600 + 1800
  CHECK(parse_duration("1w2d3h4m5s") == (9 * 86400 + 3 * 3600 + 4 * 60 + 5) * kS);
  CHECK(parse_duration("007m") == 7 * kMicrosPerMinute);
  // 106751991 days is the most int64 microseconds hold (9.223·10^18 / 8.64·10^10 = 106751991.17).
  CHECK(parse_duration("106751991d") == 106751991 * kMicrosPerDay);
  for (const char* text : {"", " ", "-5m", "+5m", "5", "m", "30m1h", "1h1h", "1m30", "1.5h", " 5m", "5m ",
                           "5M", "5 m", "5min", "106751992d", "15250285w", "99999999999999999999s", "1y"})
    CHECK_FALSE(parse_duration(text).has_value());
}

TEST_CASE("humanize_seconds", "[time]") {
  CHECK(humanize_seconds(0) == "0s");
  CHECK(humanize_seconds(45) == "45s");
  CHECK(humanize_seconds(0.5) == "0.5s");
  CHECK(humanize_seconds(1.5) == "1.5s");
  CHECK(humanize_seconds(45.678) == "45.68s");      // 2 decimals
  CHECK(humanize_seconds(0.0123) == "0.012s");      // below 1 s: 2 significant digits
  CHECK(humanize_seconds(59.994) == "59.99s");
  CHECK(humanize_seconds(59.996) == "1m 00s");      // rounds to 60.00
  CHECK(humanize_seconds(60) == "1m 00s");
  CHECK(humanize_seconds(125) == "2m 05s");         // 2·60 + 5
  CHECK(humanize_seconds(125.4) == "2m 05s");
  CHECK(humanize_seconds(3599.6) == "1h 00m");      // rounds to 3600 s
  CHECK(humanize_seconds(7380) == "2h 03m");        // 2·3600 + 3·60
  CHECK(humanize_seconds(86399) == "1d 00h");       // 1439.98 min rounds to 1440 = 1 day
  CHECK(humanize_seconds(273600) == "3d 04h");      // 3·86400 + 4·3600
  CHECK(humanize_seconds(-125) == "-2m 05s");
  CHECK(humanize_seconds(-0.5) == "-0.5s");
}

TEST_CASE("periods: names", "[time]") {
  CHECK(parse_period("day") == Period::day);
  CHECK(parse_period("week") == Period::week);
  CHECK(parse_period("month") == Period::month);
  CHECK(parse_period("quarter") == Period::quarter);
  CHECK(parse_period("year") == Period::year);
  CHECK(parse_period("all") == Period::all);
  for (const char* text : {"", "Day", "weekly", "months", " day", "hour"})
    CHECK_FALSE(parse_period(text).has_value());
  for (Period p : {Period::day, Period::week, Period::month, Period::quarter, Period::year, Period::all})
    CHECK(parse_period(period_name(p)) == p);
  CHECK(period_name(Period::quarter) == "quarter");
}

TEST_CASE("periods: keys, bounds and labels", "[time]") {
  // Day.
  CHECK(period_key(Period::day, k20250304) == k20250304);
  CHECK(period_label(Period::day, k20250304) == "2025-03-04");

  // Week: key = floor((d + 3) / 7). 2025-03-04: (20151 + 3) / 7 = 2879.1 → 2879,
  // whose Monday is 2879·7 − 3 = 20150 = 2025-03-03; ISO week 10 of 2025.
  CHECK(period_key(Period::week, k20250304) == 2879);
  CHECK(period_first_day(Period::week, 2879) == 20150);
  CHECK(period_last_day(Period::week, 2879) == 20156);
  CHECK(period_label(Period::week, 2879) == "2025-W10");
  CHECK(period_key(Period::week, -3) == 0);   // Monday 1969-12-29
  CHECK(period_key(Period::week, 3) == 0);    // Sunday 1970-01-04
  CHECK(period_key(Period::week, 4) == 1);    // Monday 1970-01-05
  CHECK(period_key(Period::week, -4) == -1);  // Sunday 1969-12-28: floor(−1/7) = −1
  CHECK(period_first_day(Period::week, -1) == -10);
  CHECK(period_label(Period::week, 0) == "1970-W01");  // its Thursday is 1970-01-01
  // ISO week-year edges.
  const auto week_label = [](int y, unsigned m, unsigned d) {
    return period_label(Period::week, period_key(Period::week, days_from_civil(y, m, d)));
  };
  CHECK(week_label(2024, 12, 30) == "2025-W01");  // Monday; Thursday 2025-01-02
  CHECK(week_label(2021, 1, 3) == "2020-W53");    // Sunday; Thursday 2020-12-31
  CHECK(week_label(2026, 12, 31) == "2026-W53");  // Thursday itself; 2026-01-01 is a Thursday too
  CHECK(week_label(2027, 1, 3) == "2026-W53");
  CHECK(week_label(2027, 1, 4) == "2027-W01");
  CHECK(week_label(2025, 12, 28) == "2025-W52");
  CHECK(week_label(2025, 12, 29) == "2026-W01");

  // Month: year·12 + month − 1 = 2025·12 + 2 = 24302.
  CHECK(period_key(Period::month, k20250304) == 24302);
  CHECK(period_label(Period::month, 24302) == "2025-03");
  CHECK(period_first_day(Period::month, 24302) == k20250304 - 3);
  CHECK(period_last_day(Period::month, 24302) == k20250304 + 27);  // March 31
  const std::int32_t feb2024 = 2024 * 12 + 1;
  CHECK(period_first_day(Period::month, feb2024) == 19754);  // 19782 − 28
  CHECK(period_last_day(Period::month, feb2024) == 19782);   // Feb 29
  CHECK(period_last_day(Period::month, 2025 * 12 + 11) == k20250101 + 364);  // 2025-12-31
  CHECK(period_label(Period::month, 0) == "0000-01");
  CHECK(period_label(Period::month, -1) == "-0001-12");
  CHECK(period_label(Period::month, 9999 * 12 + 11) == "9999-12");

  // Quarter: year·4 + quarter − 1.
  CHECK(period_key(Period::quarter, k20250304) == 8100);
  CHECK(period_label(Period::quarter, 8100) == "2025-Q1");
  CHECK(period_label(Period::quarter, 8103) == "2025-Q4");
  CHECK(period_key(Period::quarter, days_from_civil(2025, 10, 1)) == 8103);
  CHECK(period_first_day(Period::quarter, 8103) == days_from_civil(2025, 10, 1));
  CHECK(period_last_day(Period::quarter, 8103) == days_from_civil(2025, 12, 31));
  CHECK(period_last_day(Period::quarter, 8100) == k20250101 + 89);  // 31 + 28 + 31 − 1
  CHECK(period_label(Period::quarter, -1) == "-0001-Q4");

  // Year.
  CHECK(period_key(Period::year, k20250304) == 2025);
  CHECK(period_label(Period::year, 2025) == "2025");
  CHECK(period_label(Period::year, 0) == "0000");
  CHECK(period_label(Period::year, 999) == "0999");
  CHECK(period_label(Period::year, 9999) == "9999");
  CHECK(period_first_day(Period::year, 2025) == k20250101);
  CHECK(period_last_day(Period::year, 2024) == k20250101 - 1);
  CHECK(period_key(Period::year, -719528) == 0);

  // All.
  CHECK(period_key(Period::all, k20250304) == 0);
  CHECK(period_label(Period::all, 0) == "all");

  // Every day lies inside its period, for every period kind.
  for (Period p : {Period::day, Period::week, Period::month, Period::quarter, Period::year}) {
    for (Day d = -720000; d <= 2940000; d += 2999) {
      const std::int32_t k = period_key(p, d);
      REQUIRE(period_first_day(p, k) <= d);
      REQUIRE(d <= period_last_day(p, k));
      REQUIRE(period_key(p, period_last_day(p, k) + 1) == k + 1);
    }
  }
}

TEST_CASE("period_months", "[time]") {
  CHECK(period_months(Period::day) == Approx(12.0 / 365.0));
  CHECK(period_months(Period::week) == Approx(12.0 / 52.0));
  CHECK(period_months(Period::month) == Approx(1.0));
  CHECK(period_months(Period::quarter) == Approx(3.0));
  CHECK(period_months(Period::year) == Approx(12.0));
}

TEST_CASE("TimestampParser: an offset cannot carry an instant out of 0000..9999", "[time]") {
  const TimestampParser p{Zone()};
  const Micros first = -719'528 * kMicrosPerDay;   // 0000-01-01T00:00:00Z
  const Micros end = 2'932'897 * kMicrosPerDay;    // 10000-01-01T00:00:00Z
  CHECK(p.parse("0000-01-01T00:00:00Z") == first);
  CHECK(p.parse("0000-01-01T01:00:00+01:00") == first);
  CHECK_FALSE(p.parse("0000-01-01T00:59:59+01:00"));  // 1 s before the range
  CHECK(p.parse("0000-01-01T00:00:00-01:00") == first + kMicrosPerHour);
  CHECK(p.parse("9999-12-31T22:59:59-01:00") == end - kS);
  CHECK_FALSE(p.parse("9999-12-31T23:00:00-01:00"));  // 10000-01-01T00:00:00Z
  CHECK(p.parse("9999-12-31T23:59:59+01:00") == end - kMicrosPerHour - kS);
  // A zone's offset counts the same way (Paris was UTC+0:09:21 before 1891).
  const TimestampParser paris{zone("Europe/Paris")};
  CHECK_FALSE(paris.parse("0000-01-01T00:00:00"));
  CHECK(paris.parse("0000-01-01T00:09:21") == first);
  // And so does a format with %z.
  auto formatted = TimestampParser::with_format(Zone(), "%Y-%m-%d %H:%M %z");
  REQUIRE(formatted);
  CHECK_FALSE(formatted->parse("0000-01-01 00:30 +0100"));
  CHECK(formatted->parse("0000-01-01 01:00 +0100") == first);
}

TEST_CASE("TimestampParser: a DateMemo never changes a result", "[time]") {
  const TimestampParser parser{Zone{}};
  // In sequence: the memo holds the previous valid date when each is parsed.
  const std::string stamps[] = {
      "2025-03-04T12:34:56Z", "2025-03-04T12:34:57Z", "2025-03-04t23:59:59z", "2025-03-04 00:00:00Z",
      "2025-03-04T24:00:00Z", "2025-03-04T12:60:00Z", "2025-03-04T12:00:60Z", "2025-03-04T1a:00:00Z",
      "2025-03-04X12:00:00Z", "2025-03-04T12-00:00Z", "2025-03-04T12:00:00+", "2025-03-04T12:00:00.5Z",
      "2025-03-04T12:00:00", "2025-03-04", "2025-03-05T00:00:01Z", "2025-02-29T00:00:00Z",
      "2025-02-29T00:00:01Z", "2024-02-29T10:00:00Z", "2024-02-29T10:00:01Z", "1735689600",
      "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z", std::string(20, '\0'),
      std::string(10, '\0') + "T00:00:00Z", "2024-02-29T10:00:02Z"};
  TimestampParser::DateMemo memo;
  for (const std::string& s : stamps) {
    INFO(s);
    CHECK(parser.parse(s, memo) == parser.parse(s));
  }
  CHECK(memo.set);
}
