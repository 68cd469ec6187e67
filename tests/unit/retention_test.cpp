// kpi retention (METRICS.md §3): first and recurring cohorts, modes on and
// on_or_after, start/return events, beyond-range nulls and empty cohorts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "events_fixture.hpp"
#include "kpi/kinds/events.hpp"
#include "records_fixture.hpp"

using namespace kpi;
using namespace kpi::test;

namespace {

Dims off(int k) { return Dims{{"offset", std::to_string(k)}}; }

// Range 2025-01-06 (Mon) .. 2025-01-26 (Sun) = weeks W02, W03, W04.
ResultSet run(CohortMode cohort, RetentionMode mode) {
  RetentionOptions o;
  o.period = time::Period::week;
  o.horizon = 3;
  o.cohort = cohort;
  o.mode = mode;
  const auto tc = utc_context("2025-01-06", "2025-01-26");
  AnalysisFeed f(make_retention(o, tc), {"user_id", "timestamp", "event"});
  REQUIRE(f.add({"a", "2025-01-06T10:00:00Z", "x"}));  // W02
  REQUIRE(f.add({"a", "2025-01-14T10:00:00Z", "x"}));  // W03
  REQUIRE(f.add({"a", "2025-01-20T10:00:00Z", "x"}));  // W04
  REQUIRE(f.add({"a", "2025-01-27T10:00:00Z", "x"}));  // after the range: ignored
  REQUIRE(f.add({"b", "2025-01-07T10:00:00Z", "x"}));  // W02
  REQUIRE(f.add({"b", "2025-01-21T10:00:00Z", "x"}));  // W04
  REQUIRE(f.add({"c", "2025-01-15T10:00:00Z", "x"}));  // W03
  REQUIRE(f.add({"d", "2025-01-13T10:00:00Z", "x"}));  // W03
  REQUIRE(f.add({"h", "2025-01-01T10:00:00Z", "x"}));  // history (before --from)
  REQUIRE(f.add({"h", "2025-01-16T10:00:00Z", "x"}));  // W03
  return f.finish();
}

}  // namespace

TEST_CASE("retention: first cohorts, mode on", "[retention]") {
  const ResultSet rs = run(CohortMode::first, RetentionMode::on);
  // W02 = {a, b}: offset 1 (W03) {a}, offset 2 (W04) {a, b}, offset 3 beyond.
  CHECK(value_of(rs, "cohort_size", "2025-W02", {}) == 2);
  CHECK(value_of(rs, "retained_users", "2025-W02", off(0)) == 2);
  CHECK(value_of(rs, "retention_rate", "2025-W02", off(0)) == 100);
  CHECK(value_of(rs, "retention_rate", "2025-W02", off(1)) == 50);
  CHECK(value_of(rs, "retention_rate", "2025-W02", off(2)) == 100);
  CHECK(null_result(rs, "retention_rate", "2025-W02", off(3)));
  CHECK(null_result(rs, "retained_users", "2025-W02", off(3)));
  // W03 = {c, d} (h was first seen before the range): nobody in W04.
  CHECK(value_of(rs, "cohort_size", "2025-W03", {}) == 2);
  CHECK(value_of(rs, "retained_users", "2025-W03", off(1)) == 0);
  CHECK(value_of(rs, "retention_rate", "2025-W03", off(1)) == 0);
  CHECK(null_result(rs, "retention_rate", "2025-W03", off(2)));
  // W04: an empty cohort, size 0 and null rates.
  CHECK(value_of(rs, "cohort_size", "2025-W04", {}) == 0);
  CHECK(value_of(rs, "retained_users", "2025-W04", off(0)) == 0);
  CHECK(null_result(rs, "retention_rate", "2025-W04", off(0)));
  CHECK(mentions(rs.warnings, "retention_rate 2025-W04: no value: empty cohort"));
  CHECK(mentions(rs.warnings, "retained_users, retention_rate 2025-W02: offset 3 lies beyond"));
  CHECK(mentions(rs.warnings, "retained_users, retention_rate 2025-W04: offsets 1-3 lie beyond"));
  // 3 cohorts × (1 size + 4 retained + 4 rates).
  CHECK(rs.results.size() == 27);
}

TEST_CASE("retention: first cohorts, mode on_or_after", "[retention]") {
  const ResultSet rs = run(CohortMode::first, RetentionMode::on_or_after);
  // W02: offset 1 → a (W03, W04) and b (W04 is after W03) = 2.
  CHECK(value_of(rs, "retained_users", "2025-W02", off(1)) == 2);
  CHECK(value_of(rs, "retained_users", "2025-W02", off(2)) == 2);
  CHECK(value_of(rs, "retained_users", "2025-W03", off(1)) == 0);
}

TEST_CASE("retention: recurring cohorts", "[retention]") {
  const ResultSet rs = run(CohortMode::recurring, RetentionMode::on);
  // Active: a W02 W03 W04, b W02 W04, c W03, d W03, h W03.
  CHECK(value_of(rs, "cohort_size", "2025-W02", {}) == 2);
  CHECK(value_of(rs, "cohort_size", "2025-W03", {}) == 4);   // a c d h
  CHECK(value_of(rs, "cohort_size", "2025-W04", {}) == 2);   // a b
  CHECK(value_of(rs, "retention_rate", "2025-W02", off(1)) == 50);
  CHECK(value_of(rs, "retention_rate", "2025-W03", off(1)) == 25);  // a
  CHECK(value_of(rs, "retention_rate", "2025-W04", off(0)) == 100);
}

TEST_CASE("retention: start and return events, segments", "[retention]") {
  RetentionOptions o;
  o.period = time::Period::month;
  o.horizon = 2;
  o.start_event = "signup";
  o.return_event = "purchase";
  o.by = {"plan"};
  const auto tc = utc_context();
  AnalysisFeed f(make_retention(o, tc), {"user_id", "timestamp", "event", "plan"});
  REQUIRE(f.add({"a", "2025-01-01T00:00:00Z", "visit", "pro"}));
  REQUIRE(f.add({"a", "2025-02-01T00:00:00Z", "signup", "pro"}));    // cohort Feb (pro)
  REQUIRE(f.add({"a", "2025-03-05T00:00:00Z", "purchase", "pro"}));  // offset 1
  REQUIRE(f.add({"b", "2025-01-10T00:00:00Z", "signup", "pro"}));    // cohort Jan (pro)
  REQUIRE(f.add({"b", "2025-01-11T00:00:00Z", "visit", "pro"}));     // no return
  REQUIRE(f.add({"b", "2025-03-11T00:00:00Z", "purchase", "free"})); // other segment
  const ResultSet rs = f.finish();
  const Dims pro{{"plan", "pro"}};
  auto pro_off = [](int k) { return Dims{{"plan", "pro"}, {"offset", std::to_string(k)}}; };
  CHECK(value_of(rs, "cohort_size", "2025-01", pro) == 1);
  CHECK(value_of(rs, "cohort_size", "2025-02", pro) == 1);
  CHECK(value_of(rs, "retention_rate", "2025-01", pro_off(0)) == 100);  // by definition
  CHECK(value_of(rs, "retention_rate", "2025-01", pro_off(1)) == 0);
  CHECK(value_of(rs, "retention_rate", "2025-01", pro_off(2)) == 0);  // b's purchase is "free"
  CHECK(value_of(rs, "retention_rate", "2025-02", pro_off(1)) == 100);
  // The free segment has rows but no signup: empty cohorts.
  CHECK(value_of(rs, "cohort_size", "2025-03", Dims{{"plan", "free"}}) == 0);
}

// Without --by, retention keeps one row per user, kind (start, return) and
// local day (RowFold) and folds the log into per-user period bitsets instead
// of sorting it; with --by it keeps every row and sorts. A --by column with one value for every row is
// the same input split into one segment, so both ways must give the same
// counts, on rows out of order, with ties, history before --from and rows
// after --to, over periods needing several 64-bit words per user.
TEST_CASE("retention: unsorted and sorted counting agree", "[retention]") {
  TestRandom random(12345);
  std::vector<EventRow> rows;
  const char* const kEvents[] = {"visit", "signup", "purchase"};
  for (int i = 0; i < 900; ++i) {
    const int day = 1 + random.below(28), month = 1 + random.below(6), hour = random.below(3);  // ties on purpose
    const int user = random.below(8 * static_cast<std::uint64_t>(month));  // u40..u47 join in June
    rows.push_back(event_row(user, month, day, hour, kEvents[random.below(3)]));
  }
  const time::Period periods[] = {time::Period::day, time::Period::week, time::Period::month};
  for (const time::Period period : periods) {
    for (const CohortMode cohort : {CohortMode::first, CohortMode::recurring}) {
      for (const RetentionMode mode : {RetentionMode::on, RetentionMode::on_or_after}) {
        for (int variant = 0; variant < 5; ++variant) {
          RetentionOptions o;
          o.period = period;
          o.horizon = 9;
          o.cohort = cohort;
          o.mode = mode;
          if (variant == 1) o.start_event = "signup";
          if (variant >= 1) o.return_event = "purchase";
          if (variant == 3) o.start_event = "purchase";
          auto tc = variant == 2 ? utc_context("2025-02-10", "2025-05-20") : utc_context();
          if (variant == 4) {  // local days that are not UTC days: rows fold by the local day
            tc.zone = *time::Zone::parse("-02:00");
            tc.parser = time::TimestampParser(tc.zone);
          }
          AnalysisFeed plain(make_retention(o, tc), {"user_id", "timestamp", "event"});
          o.by = {"all"};
          AnalysisFeed split(make_retention(o, tc), {"user_id", "timestamp", "event", "all"});
          INFO("period " << static_cast<int>(period) << " cohort " << static_cast<int>(cohort) << " mode "
                         << static_cast<int>(mode) << " variant " << variant);
          const ResultSet a = check_same_as_one_segment(plain, split, rows);
          REQUIRE(a.results.size() > 30);
          const auto positive = std::count_if(a.results.begin(), a.results.end(),
                                              [](const Result& r) { return r.value && *r.value > 0; });
          CHECK(positive > 10);  // the counts compared are not all zero
        }
      }
    }
  }
}
