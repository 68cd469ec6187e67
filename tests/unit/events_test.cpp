// The events aggregator: every measured input of METRICS.md §2 "events",
// with expectations worked out by hand in the comments.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "../../src/kinds/events_store.hpp"
#include "../../src/kinds/period_grid.hpp"
#include "kpi/kinds/aggregator.hpp"
#include "kpi/kinds/events.hpp"
#include "events_fixture.hpp"
#include "records_fixture.hpp"

using namespace kpi;
using namespace kpi::test;

namespace {

const std::vector<std::string> kHeader{"user_id", "timestamp", "event"};

ComputeOptions opts(time::Period p = time::Period::month) {
  ComputeOptions o;
  o.period = p;
  return o;
}

TimeContext zone_context(std::string_view zone, std::optional<std::string_view> from = std::nullopt,
                         std::optional<std::string_view> to = std::nullopt) {
  TimeContext t;
  auto z = time::Zone::parse(zone);
  REQUIRE(z.has_value());
  t.zone = *z;
  t.parser = time::TimestampParser(*z);
  if (from) t.from = time::parse_date(*from);
  if (to) t.to = time::parse_date(*to);
  return t;
}

}  // namespace

TEST_CASE("events: distinct counts, dau/wau/mau over cut months, sessions, early churn",
          "[events]") {
  const auto o = opts();
  const auto tc = utc_context();
  Feed f(make_events_aggregator(o, tc), kHeader);
  REQUIRE(f.add({"u1", "2025-01-15T10:00:00Z", "signup"}));
  REQUIRE(f.add({"u1", "2025-01-15T10:10:00Z", "page_view"}));
  REQUIRE(f.add({"u1", "2025-01-20T09:00:00Z", "page_view"}));
  REQUIRE(f.add({"u2", "2025-01-20T12:00:00Z", "page_view"}));
  REQUIRE(f.add({"u2", "2025-02-03T08:00:00Z", "click"}));
  REQUIRE(f.add({"u3", "2025-02-10T23:00:00Z", "trial_start"}));
  const Table t = f.finish();
  // Range 2025-01-15 (Wed) .. 2025-02-10 (Mon): Jan has 17 in-range days, Feb 10.
  REQUIRE(t.groups.size() == 2);
  const Group& jan = group(t, "2025-01");
  const Group& feb = group(t, "2025-02");
  CHECK(val(jan, "active_users") == 2);  // u1, u2
  CHECK(val(feb, "active_users") == 2);  // u2, u3
  // dau Jan: 15th {u1} + 20th {u1,u2} = 3 user-days / 17 days.
  CHECK(val(jan, "dau") == Approx(3.0 / 17.0));
  // dau Feb: 3rd {u2} + 10th {u3} = 2 / 10.
  CHECK(val(feb, "dau") == Approx(0.2));
  // Weeks: W03 Jan13-19 (Thu 16 Jan) {u1}=1, W04 Jan20-26 {u1,u2}=2, W05 Jan27-Feb2
  // (Thu 30 Jan) 0 → Jan (1+2+0)/3 = 1. W06 Feb3-9 {u2}=1, W07 Feb10-16 (Thu 13 Feb,
  // outside the range but in Feb) {u3}=1 → Feb (1+1)/2 = 1.
  CHECK(val(jan, "wau") == Approx(1.0));
  CHECK(val(feb, "wau") == Approx(1.0));
  CHECK(val(jan, "mau") == 2);
  CHECK(val(feb, "mau") == 2);
  CHECK(val(jan, "new_users") == 2);
  CHECK(val(feb, "new_users") == 1);
  CHECK(val(jan, "total_users") == 2);
  CHECK(val(feb, "total_users") == 3);
  // Sessions (30 min): u1 {10:00, 10:10} (600 s) and {20th 09:00}; u2 {20th}; Feb: u2, u3.
  CHECK(val(jan, "sessions") == 3);
  CHECK(val(jan, "total_session_duration") == 600);
  CHECK(val(jan, "page_views") == 3);
  CHECK(val(jan, "clicks") == 0);
  CHECK(val(jan, "actions") == 4);
  CHECK(val(feb, "sessions") == 2);
  CHECK(val(feb, "total_session_duration") == 0);
  CHECK(val(feb, "clicks") == 1);
  CHECK(val(feb, "actions") == 2);
  CHECK(val(jan, "visitors") == 2);
  CHECK(val(feb, "visitors") == 0);
  CHECK(val(feb, "trial_signups") == 1);
  CHECK(val(jan, "trial_signups") == 0);
  // Early churn (14 d): end of range = 2025-02-11T00:00Z. u1 first Jan 15 10:00, last
  // Jan 20 → churned; u2 first Jan 20 12:00 (+14d = Feb 3 12:00 ≤ end), last Feb 3
  // 08:00 = 13d20h after → churned. u3 (Feb 10 23:00 + 14d > end) undecidable.
  CHECK(val(jan, "early_churned_users") == 2);
  CHECK(val(jan, "early_churn_rate") == Approx(100));
  CHECK(val(feb, "early_churned_users") == 0);
  CHECK(is_null(feb, "early_churn_rate"));
  CHECK(mentions(t.warnings, "early_churned_users, early_churn_rate 2025-02: 1 new user(s) left out"));
  // No activation event at all: 0 of the 2 decidable January users.
  CHECK(val(jan, "activated_users") == 0);
  CHECK(val(jan, "activation_rate") == 0);
  CHECK(mentions(t.warnings, "role 'activation' (event 'activation') never occurs"));
  CHECK(mentions(t.warnings, "role 'purchase' (event 'purchase') never occurs"));
  CHECK_FALSE(mentions(t.warnings, "role 'page_view'"));
  CHECK_FALSE(mentions(t.warnings, "role 'value'"));
  CHECK(val(jan, "revenue") == 0);
  CHECK(is_null(jan, "time_to_value"));
}

TEST_CASE("events: ISO week-year labels and weekly wau; no wau/mau for day", "[events]") {
  const auto tc = utc_context();
  {
    Feed f(make_events_aggregator(opts(time::Period::week), tc), kHeader);
    REQUIRE(f.add({"a", "2024-12-29T12:00:00Z", "x"}));  // Sunday of 2024-W52
    REQUIRE(f.add({"a", "2024-12-30T12:00:00Z", "x"}));  // Monday of 2025-W01
    REQUIRE(f.add({"b", "2025-01-05T12:00:00Z", "x"}));  // Sunday of 2025-W01
    const Table t = f.finish();
    REQUIRE(periods(t) == std::vector<std::string>{"2024-W52", "2025-W01"});
    const Group& w52 = group(t, "2024-W52");
    const Group& w01 = group(t, "2025-W01");
    CHECK(val(w52, "active_users") == 1);
    CHECK(val(w52, "wau") == 1);
    CHECK(val(w52, "dau") == 1);  // one in-range day (Dec 29), 1 user
    CHECK(val(w01, "active_users") == 2);
    CHECK(val(w01, "wau") == 2);
    CHECK(val(w01, "dau") == Approx(2.0 / 7.0));  // Dec 30 {a}, Jan 5 {b}
    CHECK_FALSE(has(w01, "mau"));
    CHECK(val(w01, "new_users") == 1);
  }
  {
    Feed f(make_events_aggregator(opts(time::Period::day), tc), kHeader);
    REQUIRE(f.add({"a", "2025-01-01T00:00:00Z", "x"}));
    REQUIRE(f.add({"a", "2025-01-03T00:00:00Z", "x"}));
    const Table t = f.finish();
    // Every day of the range is reported, the empty one too.
    REQUIRE(periods(t) == std::vector<std::string>{"2025-01-01", "2025-01-02", "2025-01-03"});
    CHECK(val(group(t, "2025-01-02"), "active_users") == 0);
    CHECK(val(group(t, "2025-01-02"), "dau") == 0);
    CHECK_FALSE(has(group(t, "2025-01-01"), "wau"));
    CHECK_FALSE(has(group(t, "2025-01-01"), "mau"));
  }
}

TEST_CASE("events: wau drops a week whose Thursday's period is not reported", "[events]") {
  // Range 2026-03-02 (Mon) .. 2026-03-31 (Tue). The week Mar 30 - Apr 5 has its
  // Thursday (Apr 2) in April, not reported → dropped from March.
  const auto tc = utc_context("2026-03-02", "2026-03-31");
  Feed f(make_events_aggregator(opts(), tc), kHeader);
  REQUIRE(f.add({"a", "2026-03-02T08:00:00Z", "x"}));   // W10
  REQUIRE(f.add({"b", "2026-03-31T08:00:00Z", "x"}));   // W14 (dropped)
  const Table t = f.finish();
  const Group& mar = group(t, "2026-03");
  // Weeks W10..W13 belong to March: {a}, 0, 0, 0 → 1/4.
  CHECK(val(mar, "wau") == Approx(0.25));
  CHECK(val(mar, "mau") == 2);
  CHECK(val(mar, "dau") == Approx(2.0 / 30.0));
}

TEST_CASE("events: quarter mau is the mean of its in-range months", "[events]") {
  const auto tc = utc_context("2025-01-01", "2025-03-31");
  Feed f(make_events_aggregator(opts(time::Period::quarter), tc), kHeader);
  REQUIRE(f.add({"a", "2025-01-10T08:00:00Z", "x"}));
  REQUIRE(f.add({"b", "2025-01-11T08:00:00Z", "x"}));
  REQUIRE(f.add({"a", "2025-02-10T08:00:00Z", "x"}));
  const Table t = f.finish();
  const Group& q = group(t, "2025-Q1");
  CHECK(val(q, "mau") == Approx((2.0 + 1.0 + 0.0) / 3.0));
  CHECK(val(q, "active_users") == 2);
  CHECK(val(q, "dau") == Approx(3.0 / 90.0));  // 3 user-days over 31+28+31 days
}

TEST_CASE("events: DST day in Europe/Paris is one 23-hour local day", "[events][tz]") {
  // 2025-03-30 in Paris runs from 2025-03-29T23:00Z to 2025-03-30T22:00Z (23 h).
  const auto tc = zone_context("Europe/Paris");
  Feed f(make_events_aggregator(opts(time::Period::day), tc), kHeader);
  REQUIRE(f.add({"a", "2025-03-29T22:59:59Z", "x"}));  // 23:59:59 local on the 29th
  REQUIRE(f.add({"b", "2025-03-29T23:00:00Z", "x"}));  // 00:00 local on the 30th
  REQUIRE(f.add({"c", "2025-03-30T21:59:59Z", "x"}));  // 23:59:59 CEST on the 30th
  REQUIRE(f.add({"d", "2025-03-30T22:00:00Z", "x"}));  // 00:00 CEST on the 31st
  REQUIRE(f.add({"e", "2025-03-30 12:00:00", "x"}));   // local wall time, on the 30th
  const Table t = f.finish();
  REQUIRE(periods(t) == std::vector<std::string>{"2025-03-29", "2025-03-30", "2025-03-31"});
  CHECK(val(group(t, "2025-03-29"), "active_users") == 1);
  CHECK(val(group(t, "2025-03-30"), "active_users") == 3);
  CHECK(val(group(t, "2025-03-31"), "active_users") == 1);
  // b (00:00) and c (23:59:59) are 22:59:59 apart on a 23-hour day: two sessions, one each.
  CHECK(val(group(t, "2025-03-30"), "sessions") == 3);
}

TEST_CASE("events: session timeout boundary and session_id grouping", "[events]") {
  const auto tc = utc_context();
  std::vector<std::string> header{"user_id", "timestamp", "event", "session_id"};
  Feed f(make_events_aggregator(opts(), tc), header);
  // u1, no ids: gap of exactly 30 min stays, 30 min + 1 s splits.
  REQUIRE(f.add({"u1", "2025-05-01T10:00:00Z", "page_view", ""}));
  REQUIRE(f.add({"u1", "2025-05-01T10:30:00Z", "click", ""}));
  REQUIRE(f.add({"u1", "2025-05-01T11:00:01Z", "page_view", ""}));
  // u2 with an id spanning 3 hours: one session regardless of gaps; a blank row
  // in between is its own (gap-split) session.
  REQUIRE(f.add({"u2", "2025-05-01T08:00:00Z", "page_view", "s1"}));
  REQUIRE(f.add({"u2", "2025-05-01T09:00:00Z", "other", ""}));
  REQUIRE(f.add({"u2", "2025-05-01T11:00:00Z", "click", "s1"}));
  // The same id for another user is another session; it starts on May 31 and its
  // June row still belongs to the May session.
  REQUIRE(f.add({"u3", "2025-05-31T23:50:00Z", "x", "s1"}));
  REQUIRE(f.add({"u3", "2025-06-01T00:20:00Z", "x", "s1"}));
  // u4: ids longer than 16 bytes (kept apart from the short ones), two of them
  // equal in their first 16: A's runs form one session, B is another.
  const std::string long_a = "checkout-session-0001-A", long_b = "checkout-session-0001-B";
  REQUIRE(f.add({"u4", "2025-05-10T10:00:00Z", "x", long_a}));
  REQUIRE(f.add({"u4", "2025-05-10T10:05:00Z", "x", long_b}));
  REQUIRE(f.add({"u4", "2025-05-10T10:20:00Z", "x", long_a}));
  const Table t = f.finish();
  const Group& may = group(t, "2025-05");
  const Group& jun = group(t, "2025-06");
  // u1: {10:00, 10:30} 1800 s, {11:00:01} 0 s; u2: s1 10800 s, blank 0 s; u3: 1800 s;
  // u4: A 1200 s, B 0 s.
  CHECK(val(may, "sessions") == 7);
  CHECK(val(may, "total_session_duration") == 1800 + 10800 + 1800 + 1200);
  CHECK(val(may, "page_views") == 3);
  CHECK(val(may, "clicks") == 2);
  CHECK(val(may, "actions") == 11);
  CHECK(val(jun, "sessions") == 0);
  CHECK(val(jun, "actions") == 0);
  CHECK(val(jun, "active_users") == 1);  // activity is still per day
}

TEST_CASE("events: a grid's period index of a day, looked up or computed", "[events]") {
  // 2000-01-01 .. 2000-12-31 keeps a table; 1900 .. 2099 (73k days) computes.
  for (const auto& [from, to] : {std::pair{"2000-01-01", "2000-12-31"}, std::pair{"1900-01-01", "2099-12-31"}}) {
    const TimeContext tc = zone_context("UTC", from, to);
    for (const time::Period p : {time::Period::day, time::Period::week, time::Period::month, time::Period::quarter,
                                 time::Period::year, time::Period::all}) {
      auto made = kinds::PeriodGrid::make(tc, p, std::nullopt, std::nullopt);
      if (p == time::Period::day && std::string_view(from) == "1900-01-01") {
        CHECK(!made);  // over kMaxPeriods
        continue;
      }
      REQUIRE(made);
      REQUIRE(*made);
      const kinds::PeriodGrid& grid = **made;
      INFO(from << " period " << static_cast<int>(p));
      for (time::Day d = grid.first_day(); d <= grid.last_day(); d += (grid.days() > 1000 ? 7 : 1)) {
        const auto want = static_cast<std::size_t>(time::period_key(p, d) - time::period_key(p, grid.first_day()));
        if (grid.index_of(d) != want) {
          CHECK(grid.index_of(d) == want);
          break;
        }
      }
      CHECK(grid.index_of(grid.last_day()) == grid.size() - 1);
    }
  }
}

TEST_CASE("events: records numbered by code stay numbered across adopted runs", "[events]") {
  events_detail::CodedRuns<int> log, part, empty, last;
  for (int i = 0; i < 5; ++i) log.push_back(i);
  for (int i = 5; i < 12; ++i) part.push_back(i);
  for (int i = 12; i < 15; ++i) last.push_back(i);
  // (Each adopt() outside CHECK: Catch's macro names its expression twice.)
  const std::size_t part_base = log.adopt(std::move(part));
  CHECK(part_base == 5);
  // adopt() leaves the part empty, and usable: that is what is checked.
  CHECK(part.empty());  // NOLINT(bugprone-use-after-move)
  const std::size_t empty_base = log.adopt(std::move(empty));  // adds no run
  CHECK(empty_base == 12);
  const std::size_t last_base = log.adopt(std::move(last));
  CHECK(last_base == 12);
  CHECK(log.runs().size() == 3);  // parts of at least a quarter of the log move over
  log.push_back(15);  // into the last run
  events_detail::CodedRuns<int> block;  // a smaller one is copied into the last run
  block.push_back(16);
  const std::size_t block_base = log.adopt(std::move(block));
  CHECK(block_base == 16);
  CHECK(log.runs().size() == 3);
  CHECK(block.empty());  // NOLINT(bugprone-use-after-move)
  block.push_back(-1);   // and is filled again
  CHECK(block[0] == -1);
  REQUIRE(log.size() == 17);
  for (std::size_t code = 0; code < log.size(); ++code) CHECK(log[code] == static_cast<int>(code));
  std::size_t visited = 0;
  log.for_each([&](std::size_t code, const int& v) {
    CHECK(v == static_cast<int>(code));
    ++visited;
  });
  CHECK(visited == 17);
  log[7] = 70;
  CHECK(log[7] == 70);
  CHECK(log[8] == 8);
  log.clear();
  CHECK(log.empty());
  log.push_back(1);
  CHECK(log[0] == 1);
}

TEST_CASE("events: a session past 65535 page views, and two ids of one tag", "[events]") {
  // Two ids with equal SessionIds tags (32 hash bits: a search of some 100k ids
  // finds a pair): tags must only ever rule ids out, never match them.
  events_detail::SessionIds ids;
  std::unordered_map<std::uint32_t, std::string> by_tag;
  std::string x, y;
  for (std::uint32_t k = 0; x.empty(); ++k) {
    std::string id = "sess-";
    id += std::to_string(k);
    const auto [it, fresh] = by_tag.emplace(ids.tag(ids.add(0, id)), id);
    if (!fresh) {
      x = it->second;
      y = id;
    }
  }
  INFO(x << " and " << y);
  const std::vector<std::string> header{"user_id", "timestamp", "event", "session_id"};
  Feed f(make_events_aggregator(opts(), utc_context()), header);
  // u1: x, y, x again: x is one session of 20 min (its two codes merge), y another.
  REQUIRE(f.add({"u1", "2025-05-01T10:00:00Z", "other", x}));
  REQUIRE(f.add({"u1", "2025-05-01T10:10:00Z", "other", y}));
  REQUIRE(f.add({"u1", "2025-05-01T10:20:00Z", "other", x}));
  // u2: one session of 70000 page views, a second apart, then 3 clicks: its
  // tally's 16-bit page-view count would wrap, so the id takes a new code.
  const auto stamp = [](int s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "2025-05-02T%02d:%02d:%02dZ", s / 3600, s / 60 % 60, s % 60);
    return std::string(buf);
  };
  for (int s = 0; s < 70000; ++s) REQUIRE(f.add({"u2", stamp(s), "page_view", "big"}));
  for (int s = 70000; s < 70003; ++s) REQUIRE(f.add({"u2", stamp(s), "click", "big"}));
  const Table t = f.finish();
  const Group& may = group(t, "2025-05");
  CHECK(val(may, "sessions") == 3);
  CHECK(val(may, "total_session_duration") == 1200 + 0 + 70002);
  CHECK(val(may, "page_views") == 70000);
  CHECK(val(may, "clicks") == 3);
  CHECK(val(may, "actions") == 3 + 70003);
}

TEST_CASE("events: activation window edge and undecidable users", "[events]") {
  const auto tc = utc_context("2025-03-01", "2025-03-20");  // end = 2025-03-21T00:00Z
  Feed f(make_events_aggregator(opts(), tc), kHeader);
  // a: activation exactly 14 d after the first event → activated.
  REQUIRE(f.add({"a", "2025-03-01T00:00:00Z", "signup"}));
  REQUIRE(f.add({"a", "2025-03-15T00:00:00Z", "activation"}));
  // b: 14 d + 1 s → not activated.
  REQUIRE(f.add({"b", "2025-03-01T00:00:00Z", "signup"}));
  REQUIRE(f.add({"b", "2025-03-15T00:00:01Z", "activation"}));
  // c: window ends Mar 24 > end of range → not decidable (even though activated).
  REQUIRE(f.add({"c", "2025-03-10T00:00:00Z", "signup"}));
  REQUIRE(f.add({"c", "2025-03-11T00:00:00Z", "activation"}));
  // d: first + 14 d = Mar 21 00:00 = end of the range → decidable; never activates.
  REQUIRE(f.add({"d", "2025-03-07T00:00:00Z", "signup"}));
  // e: history (before --from) → not a new user of March.
  REQUIRE(f.add({"e", "2025-02-20T00:00:00Z", "signup"}));
  REQUIRE(f.add({"e", "2025-03-02T00:00:00Z", "activation"}));
  // f: after the range → ignored entirely.
  REQUIRE(f.add({"f", "2025-03-21T00:00:00Z", "signup"}));
  const Table t = f.finish();
  REQUIRE(t.groups.size() == 1);
  const Group& mar = group(t, "2025-03");
  CHECK(val(mar, "new_users") == 4);     // a b c d
  CHECK(val(mar, "total_users") == 5);   // + e
  CHECK(val(mar, "active_users") == 5);  // a b c d e (e active on Mar 2)
  CHECK(val(mar, "activated_users") == 1);
  CHECK(val(mar, "activation_rate") == Approx(100.0 / 3.0));  // a of {a, b, d}
  CHECK(mentions(t.warnings, "activated_users, activation_rate 2025-03: 1 new user(s) left out"));
  // Early churn (14 d): a last-first = 14 d (not < 14 d), b 14 d + 1 s, d 0 → churned.
  CHECK(val(mar, "early_churned_users") == 1);
  CHECK(val(mar, "early_churn_rate") == Approx(100.0 / 3.0));
  // dau: Mar 1 {a,b}, 2 {e}, 7 {d}, 10 {c}, 11 {c}, 15 {a,b} = 8 / 20 days.
  CHECK(val(mar, "dau") == Approx(0.4));
}

TEST_CASE("events: time to value, revenue, trial conversions, --time-to", "[events]") {
  ComputeOptions o = opts();
  o.time_to = {"signup"};
  const auto tc = utc_context();
  std::vector<std::string> header{"user_id", "timestamp", "event", "value"};
  Feed f(make_events_aggregator(o, tc), header);
  REQUIRE(f.add({"u1", "2025-01-01T00:00:00Z", "trial_start", ""}));
  REQUIRE(f.add({"u1", "2025-01-01T00:01:40Z", "purchase", "10"}));    // +100 s
  REQUIRE(f.add({"u2", "2025-01-02T00:00:00Z", "purchase", "20.5"}));  // first event: 0 s
  REQUIRE(f.add({"u2", "2025-01-02T00:00:10Z", "signup", ""}));        // signup +10 s
  REQUIRE(f.add({"u3", "2025-01-03T00:00:00Z", "signup", ""}));        // signup 0 s
  REQUIRE(f.add({"u3", "2025-01-03T00:05:00Z", "purchase", ""}));      // +300 s, no value
  REQUIRE(f.add({"u3", "2025-01-03T00:06:00Z", "trial_start", ""}));   // trial after purchase
  REQUIRE(f.add({"u4", "2025-01-04T00:00:00Z", "x", ""}));
  REQUIRE(f.add({"u4", "2025-01-04T00:16:40Z", "trial_start", ""}));   // same instant as
  REQUIRE(f.add({"u4", "2025-01-04T00:16:40Z", "purchase", "5"}));     // the purchase: +1000 s
  REQUIRE(f.add({"u5", "2025-01-05T00:00:00Z", "x", ""}));
  const Table t = f.finish();
  const Group& jan = group(t, "2025-01");
  // Sorted [0, 100, 300, 1000]: median h = 1.5 → 100 + 0.5 × 200 = 200;
  // p90 h = 2.7 → 300 + 0.7 × 700 = 790.
  CHECK(val(jan, "time_to_value") == Approx(200));
  CHECK(val(jan, "time_to_value_p90") == Approx(790));
  // signup: u2 10 s, u3 0 s → [0, 10]: median 5, p90 9.
  CHECK(val(jan, "time_to_signup") == Approx(5));
  CHECK(val(jan, "time_to_signup_p90") == Approx(9));
  CHECK(val(jan, "revenue") == Approx(35.5));
  CHECK(mentions(t.warnings, "revenue 2025-01: 1 purchase event(s) without a value left out"));
  CHECK(val(jan, "paying_users") == 4);
  CHECK(val(jan, "trial_signups") == 3);
  // u1 (trial before), u4 (trial at the same instant); not u3 (trial after).
  CHECK(val(jan, "trial_conversions") == 2);
}

TEST_CASE("events: role overrides, --active-event and history rows", "[events]") {
  ComputeOptions o = opts();
  o.event_roles = {{"purchase", "order"}, {"page_view", "pv"}};
  o.active_events = {"pv", "nope"};
  const auto tc = utc_context("2025-02-01", std::nullopt);
  Feed f(make_events_aggregator(o, tc), kHeader);
  REQUIRE(f.add({"h", "2025-01-20T00:00:00Z", "trial_start"}));  // history
  REQUIRE(f.add({"h", "2025-02-03T00:00:00Z", "order"}));
  REQUIRE(f.add({"n", "2025-02-04T00:00:00Z", "pv"}));
  REQUIRE(f.add({"n", "2025-02-05T00:00:00Z", "page_view"}));  // no role now, not active
  const Table t = f.finish();
  REQUIRE(t.groups.size() == 1);
  const Group& feb = group(t, "2025-02");
  CHECK(val(feb, "active_users") == 1);  // only n did "pv"
  CHECK(val(feb, "dau") == Approx(1.0 / 5.0));  // range Feb 1..5
  CHECK(val(feb, "paying_users") == 1);
  CHECK(val(feb, "trial_conversions") == 1);  // the trial is history, still counts
  CHECK(val(feb, "trial_signups") == 0);      // but not as a February signup
  CHECK(val(feb, "visitors") == 1);
  CHECK(val(feb, "new_users") == 1);
  CHECK(val(feb, "total_users") == 2);
  CHECK(mentions(t.warnings, "--active-event 'nope' never occurs"));
  CHECK(is_null(feb, "time_to_value"));  // n never ordered; h is not new
}

TEST_CASE("events: features and --by segments", "[events]") {
  ComputeOptions o = opts();
  o.by = {"plan"};
  const auto tc = utc_context();
  std::vector<std::string> header{"user_id", "timestamp", "event", "feature", "plan"};
  Feed f(make_events_aggregator(o, tc), header);
  REQUIRE(f.add({"a", "2025-01-05T00:00:00Z", "x", "search", "free"}));
  REQUIRE(f.add({"a", "2025-01-06T00:00:00Z", "x", "search", "free"}));
  REQUIRE(f.add({"b", "2025-01-07T00:00:00Z", "x", "export", "free"}));
  REQUIRE(f.add({"a", "2025-02-01T00:00:00Z", "x", "", "pro"}));  // a's first "pro" event
  REQUIRE(f.add({"c", "2025-02-02T00:00:00Z", "x", "search", ""}));
  const Table t = f.finish();
  // Periods Jan, Feb; segments "" < free < pro; free has features export, search.
  const Dims blank{{"plan", ""}}, free{{"plan", "free"}}, pro{{"plan", "pro"}};
  CHECK(val(group(t, "2025-01", free), "active_users") == 2);
  CHECK(val(group(t, "2025-02", pro), "new_users") == 1);   // a is new in "pro" in Feb
  CHECK(val(group(t, "2025-01", pro), "new_users") == 0);
  CHECK(val(group(t, "2025-02", free), "total_users") == 2);
  CHECK(val(group(t, "2025-02", blank), "active_users") == 1);
  const Group& fs = group(t, "2025-01", Dims{{"plan", "free"}, {"feature", "search"}});
  CHECK(val(fs, "feature_users") == 1);
  CHECK(val(fs, "active_users") == 2);
  CHECK(fs.only == std::vector<std::string>{"feature_users", "feature_adoption_rate"});
  CHECK(val(group(t, "2025-02", Dims{{"plan", "free"}, {"feature", "export"}}), "feature_users") == 0);
  // Report order: Jan then Feb; inside a period, dims ascending.
  std::vector<std::string> order;
  for (const auto& g : t.groups) {
    std::string s = g.period;
    for (const auto& d : g.dims) s += "|" + d.second;
    order.push_back(s);
  }
  CHECK(order == std::vector<std::string>{
                     "2025-01|", "2025-01||search", "2025-01|free", "2025-01|free|export",
                     "2025-01|free|search", "2025-01|pro", "2025-02|", "2025-02||search",
                     "2025-02|free", "2025-02|free|export", "2025-02|free|search", "2025-02|pro"});
}

// Without --by, compute's sort carries each purchase's value along with its
// event; with --by it looks values up by input index. Each event's session and
// feature codes travel beside it. All must stay with their own event, also for
// users whose rows are out of time order (their events are reordered after the
// sort, on every core: more rows than one thread takes). So the shuffled rows
// must give what the same rows in time order give, on both paths. Values are
// multiples of 1/4, so every sum is exact in any order.
TEST_CASE("events: an event's value and details follow it through the sort", "[events]") {
  const auto tc = utc_context();
  ComputeOptions o = opts();
  const std::vector<std::string> header{"user_id", "timestamp", "event", "value", "session_id", "feature"};
  Feed plain(make_events_aggregator(o, tc), header);
  Feed in_time_order(make_events_aggregator(o, tc), header);
  o.by = {"all"};
  std::vector<std::string> split_header = header;
  split_header.push_back("all");
  Feed split(make_events_aggregator(o, tc), split_header);
  TestRandom rnd(7);
  constexpr std::string_view kEvents[] = {"page_view", "click", "purchase", "purchase", "trial_start"};
  constexpr std::string_view kFeatures[] = {"", "", "search", "export", "share"};
  struct Row {
    EventRow event;
    std::string value, session, feature;
  };
  std::vector<Row> rows;
  for (int k = 0; k < 100000; ++k) {  // above the sort's one-thread bound (65,536 events)
    Row r{event_row(rnd.below(700), 1 + rnd.below(12), 1 + rnd.below(28), rnd.below(24),
                    kEvents[rnd.below(std::size(kEvents))]),
          "", "", std::string(kFeatures[rnd.below(std::size(kFeatures))])};
    if (r.event.event == "purchase" && rnd.below(10) != 0) r.value = std::to_string(k) + ".25";
    // A session per user and day (its date), some rows without one.
    if (rnd.below(8) != 0) r.session = r.event.user + "/" + r.event.ts.substr(0, 10);
    rows.push_back(std::move(r));
  }
  for (const Row& r : rows) {
    REQUIRE(plain.add({r.event.user, r.event.ts, r.event.event, r.value, r.session, r.feature}));
    REQUIRE(split.add({r.event.user, r.event.ts, r.event.event, r.value, r.session, r.feature, "x"}));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) { return x.event.ts < y.event.ts; });
  for (const Row& r : rows)
    REQUIRE(in_time_order.add({r.event.user, r.event.ts, r.event.event, r.value, r.session, r.feature}));
  const Table a = plain.finish();
  const Table b = split.finish();
  const Table c = in_time_order.finish();
  REQUIRE(c.groups.size() == 12 * 4);  // each month: all events, and 3 features
  for (const Group& sorted : c.groups) {
    Dims in_split{{"all", "x"}};
    in_split.insert(in_split.end(), sorted.dims.begin(), sorted.dims.end());
    const Group& g = group(a, sorted.period, sorted.dims);
    const Group& h = group(b, sorted.period, in_split);
    INFO(sorted.period << (sorted.dims.empty() ? "" : " " + sorted.dims.back().second));
    if (sorted.dims.empty()) {
      CHECK(val(sorted, "revenue") > 0);
      CHECK(val(sorted, "sessions") > 0);
    } else {
      CHECK(val(sorted, "feature_users") > 0);
    }
    for (const auto& [id, value] : sorted.values) {
      INFO(id);
      CHECK(g.values.at(id) == value);
      CHECK(h.values.at(id) == value);
    }
  }
  // The purchases left without a value, per period: the same on every path.
  const auto without_value = [](const Table& t) {
    std::vector<std::string> out;
    for (std::string w : t.warnings) {
      if (w.find("without a value") == std::string::npos) continue;
      if (const auto at = w.find(" {all=x}"); at != std::string::npos) w.erase(at, 8);
      out.push_back(w);
    }
    return out;
  };
  CHECK(without_value(c).size() == 12);
  CHECK(without_value(a) == without_value(c));
  CHECK(without_value(b) == without_value(c));
}

TEST_CASE("events: invalid records are rejected before any state changes", "[events]") {
  std::vector<std::string> header{"user_id", "timestamp", "event", "value"};
  const auto tc = utc_context();
  Feed f(make_events_aggregator(opts(), tc), header);
  CHECK(error_mentions(f.add({"", "2025-01-01", "x", ""}), "column 'user_id'"));
  CHECK(error_mentions(f.add({"u", "2025-13-40", "x", ""}), "column 'timestamp'"));
  CHECK(error_mentions(f.add({"u", "2025-01-01", "", ""}), "column 'event'"));
  CHECK(error_mentions(f.add({"u", "2025-01-01", "purchase", "abc"}), "column 'value'"));
  CHECK(error_mentions(f.add({"u", "2025-01-01", "purchase", "inf"}), "column 'value'"));
  REQUIRE(f.add({"u", "2025-01-02", "purchase", "7"}));
  const Table t = f.finish();
  // Only the valid row: the range is that one day.
  REQUIRE(t.groups.size() == 1);
  CHECK(val(group(t, "2025-01"), "revenue") == 7);
  CHECK(val(group(t, "2025-01"), "dau") == 1);
}

TEST_CASE("events: unknown role and missing --by column are errors", "[events]") {
  const auto tc = utc_context();
  {
    ComputeOptions o = opts();
    o.event_roles = {{"purchse", "order"}};
    Feed f(make_events_aggregator(o, tc), kHeader);
    REQUIRE(f.add({"u", "2025-01-02", "x"}));
    auto r = f.try_finish();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message().find("unknown role 'purchse'") != std::string::npos);
  }
  {
    ComputeOptions o = opts();
    o.by = {"plan"};
    Feed f(make_events_aggregator(o, tc), kHeader);
    REQUIRE(f.add({"u", "2025-01-02", "x"}));
    auto r = f.try_finish();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message().find("'plan'") != std::string::npos);
  }
}

namespace {

struct SessionRow {
  std::string user, ts, event, session, feature, value;
};

// Rows of 12 users over 2025-01-01 .. 2025-03-31 (local days in -05:00 as in UTC: the
// first and last rows are at noon UTC), mostly page views and clicks with
// session ids that recur over weeks and across midnight, some ids shared by
// users or longer than 16 bytes, rows without an id, features, and purchases
// with and without a value. In time order, or shuffled.
std::vector<SessionRow> session_rows(bool shuffled) {
  TestRandom random(4242);
  std::vector<SessionRow> rows;
  const char* const kEvents[] = {"page_view", "page_view", "page_view", "click", "click",
                                 "signup",    "purchase",  "feature_use", "trial_start", "activation"};
  for (int i = 0; i < 3000; ++i) {
    const int user = random.below(12);
    const int month = 1 + i * 3 / 3000, day = 2 + random.below(27);
    const int hour = random.below(3) == 0 ? 4 : 10 + random.below(14);  // 04:xxZ is the previous local day at -05:00
    char ts[64];
    std::snprintf(ts, sizeof ts, "2025-%02d-%02dT%02d:%02d:00Z", month, day, hour, random.below(60));
    // (snprintf, not "u" + std::to_string: g++ 12 -O3 flags that with -Wrestrict.)
    char id[16], long_sid[64], sid[32];
    std::snprintf(id, sizeof id, "u%d", user);
    std::snprintf(long_sid, sizeof long_sid, "a-session-id-longer-than-16-bytes-%d", user % 3);
    std::snprintf(sid, sizeof sid, "s%d-%d", user, random.below(6));
    SessionRow r{id, ts, kEvents[random.below(10)], "", "", ""};
    const int s = random.below(20);
    if (s == 0) r.session = "shared";
    else if (s == 1) r.session = long_sid;
    else if (s > 4) r.session = sid;
    if (r.event == "feature_use" || random.below(30) == 0) r.feature = random.below(2) == 0 ? "search" : "export";
    if (r.event == "purchase" && random.below(3) != 0) r.value = random.below(2) == 0 ? "9.99" : "120.5";
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), [](const SessionRow& a, const SessionRow& b) { return a.ts < b.ts; });
  rows.insert(rows.begin(), SessionRow{"u1", "2025-01-01T12:00:00Z", "click", "s1-0", "", ""});
  rows.push_back(SessionRow{"u2", "2025-03-31T12:00:00Z", "page_view", "s2-0", "", ""});
  // c1 is last seen 20 days and 1 hour after its first row (not an early
  // churner at 20 days) by a page view that folds into one 2 hours earlier.
  rows.push_back(SessionRow{"c1", "2025-02-01T10:00:00Z", "signup", "c1-a", "", ""});
  rows.push_back(SessionRow{"c1", "2025-02-21T09:00:00Z", "page_view", "c1-b", "", ""});
  rows.push_back(SessionRow{"c1", "2025-02-21T11:00:00Z", "page_view", "c1-b", "", ""});
  if (shuffled) {
    for (std::size_t i = rows.size() - 1; i > 0; --i)
      std::swap(rows[i], rows[static_cast<std::size_t>(random.below(i + 1))]);
  }
  return rows;
}

}  // namespace

// Without --by, --from or --to, sessions by id are tallied as rows are read and
// a page view or click row with an id keeps only the earliest of its user,
// event and local day; with --from and --to every row is sorted and read. With
// bounds that are the data's own first and last days, both must agree on every
// value and warning, whatever the rows' order, zone, period and roles.
TEST_CASE("events: sessions tallied while reading give the results of every row, sorted", "[events]") {
  const std::vector<std::string> header{"user_id", "timestamp", "event", "session_id", "feature", "value"};
  struct Variant {
    time::Period period;
    std::vector<std::pair<std::string, std::string>> roles;
    std::vector<std::string> active, time_to;
  };
  const std::vector<Variant> variants = {
      {time::Period::week, {}, {}, {}},
      // page views are purchases (never folded), clicks are page views
      {time::Period::month, {{"page_view", "purchase"}, {"click", "page_view"}}, {"click"}, {"page_view"}},
      {time::Period::day, {{"click", "page_view"}}, {}, {"click"}},
  };
  for (const bool shuffled : {false, true}) {
    const std::vector<SessionRow> rows = session_rows(shuffled);
    for (const std::string_view zone : {"UTC", "-05:00"}) {
      for (const Variant& v : variants) {
        ComputeOptions o = opts(v.period);
        o.event_roles = v.roles;
        o.active_events = v.active;
        o.time_to = v.time_to;
        o.early_churn_days = 20;
        const TimeContext open = zone_context(zone), bounded = zone_context(zone, "2025-01-01", "2025-03-31");
        Feed tallied(make_events_aggregator(o, open), header), sorted(make_events_aggregator(o, bounded), header);
        for (const SessionRow& r : rows) {
          REQUIRE(tallied.add({r.user, r.ts, r.event, r.session, r.feature, r.value}));
          REQUIRE(sorted.add({r.user, r.ts, r.event, r.session, r.feature, r.value}));
        }
        const Table a = tallied.finish(), b = sorted.finish();
        INFO("shuffled " << shuffled << ", zone " << zone << ", period " << static_cast<int>(v.period));
        REQUIRE(a.groups.size() == b.groups.size());
        for (std::size_t g = 0; g < a.groups.size(); ++g) {
          INFO(a.groups[g].period);
          CHECK(a.groups[g].dims == b.groups[g].dims);
          REQUIRE(a.groups[g].values.size() == b.groups[g].values.size());
          for (const auto& [id, value] : a.groups[g].values) {
            INFO(id);
            CHECK(b.groups[g].values.at(id) == value);
          }
          CHECK(a.groups[g].reasons == b.groups[g].reasons);
        }
        CHECK(a.warnings == b.warnings);
        CHECK(val(group(a, v.period == time::Period::week ? "2025-W05" : v.period == time::Period::month ? "2025-02" : "2025-02-14"), "sessions") > 0);
      }
    }
  }
}

TEST_CASE("RecentNames: a name is found only by its exact bytes, and a collision forgets the older", "[events]") {
  using kpi::events_detail::RecentNames;
  RecentNames recent;
  CHECK(recent.find("page_view").id == kpi::events_detail::kNone);
  // Every size up to 16 bytes, and each of its bytes changed: only the name
  // itself finds its id (the words that key a name cover all its bytes).
  for (std::size_t n = 1; n <= 16; ++n) {
    const std::string name(n, 'a');
    recent.clear();
    recent.remember(name, static_cast<std::uint32_t>(n), 7);
    const RecentNames::Found found = recent.find(name);
    CHECK(found.id == n);
    CHECK(found.kind == 7);
    for (std::size_t at = 0; at < n; ++at) {
      std::string other = name;
      other[at] = 'b';
      INFO("size " << n << ", byte " << at);
      CHECK(recent.find(other).id == kpi::events_detail::kNone);
    }
    CHECK(recent.find(name + "a").id == kpi::events_detail::kNone);
    CHECK(recent.find(name.substr(1)).id == kpi::events_detail::kNone);
  }
  // Longer names and the empty name are never remembered.
  recent.remember(std::string(17, 'x'), 1, 0);
  CHECK(recent.find(std::string(17, 'x')).id == kpi::events_detail::kNone);
  recent.remember("", 2, 0);
  CHECK(recent.find("").id == kpi::events_detail::kNone);
  // Many names: each is found with its own id, or not at all (its place taken).
  recent.clear();
  std::size_t found = 0;
  for (std::uint32_t k = 0; k < 64; ++k) recent.remember("event_" + std::to_string(k), k, 0);
  for (std::uint32_t k = 0; k < 64; ++k) {
    const std::uint32_t id = recent.find("event_" + std::to_string(k)).id;
    CHECK((id == k || id == kpi::events_detail::kNone));
    found += id == k;
  }
  CHECK(found > 4);
  CHECK(found <= 16);
}

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

std::string first_line_of(const char* path) {
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return "";
  char buf[256] = {};
  const bool got = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  return got ? buf : "";
}

long vmstat(std::string_view key) {
  std::FILE* f = std::fopen("/proc/vmstat", "r");
  if (f == nullptr) return -1;
  char line[256] = {};
  long found = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    const std::string_view text(line);
    if (text.size() <= key.size() || text.substr(0, key.size()) != key || text[key.size()] != ' ') continue;
    const char* digits = line + key.size() + 1;
    std::from_chars(digits, line + text.size(), found);
  }
  std::fclose(f);
  return found;
}

}  // namespace

TEST_CASE("PodBuffer: a growing buffer gets huge pages, its first 2 MiB too", "[events]") {
  // Where transparent huge pages are on for madvise'd memory, and none falls
  // back to 4 KiB pages meanwhile, 8 MiB of pushes fault a few dozen times
  // (the first 512 KiB in 4 KiB pages, then one fault per 2 MiB). A block
  // advised only after its first pages were touched had them 4 KiB, and the
  // rest of their 2 MiB too: ~580 faults.
  const std::string thp = first_line_of("/sys/kernel/mm/transparent_hugepage/enabled");
  if (thp.find("[madvise]") == std::string::npos && thp.find("[always]") == std::string::npos) return;
  if (kSanitized) return;  // (shadow memory faults in step with the buffer)
  const long fallbacks = vmstat("thp_fault_fallback");
  const long before = minor_faults();
  kpi::events_detail::PodBuffer<std::uint64_t> buffer;
  for (std::uint64_t i = 0; i < (std::uint64_t{8} << 20) / sizeof(std::uint64_t); ++i) buffer.push_back(i);
  const long faults = minor_faults() - before;
  CHECK(buffer[12345] == 12345);
  if (vmstat("thp_fault_fallback") != fallbacks) return;  // (memory too fragmented for huge pages now)
  INFO(faults << " faults");
  CHECK(faults < 200);
}
