// kpi funnel (METRICS.md §3): ordered, strict and any-order matching, the
// inclusive window edge, entry without retry, periods and segments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "events_fixture.hpp"
#include "kpi/kinds/events.hpp"
#include "records_fixture.hpp"

using namespace kpi;
using namespace kpi::test;

namespace {

Dims step(std::string s) { return Dims{{"step", std::move(s)}}; }

ResultSet run(FunnelOrder order) {
  FunnelOptions o;
  o.steps = {"signup", "activate", "purchase"};
  o.order = order;
  const auto tc = utc_context();
  AnalysisFeed f(make_funnel(o, tc), {"user_id", "timestamp", "event"});
  // u1: all three; purchase exactly 14 d after the entry (inside, inclusive).
  REQUIRE(f.add({"u1", "2025-01-01T00:00:00Z", "signup"}));
  REQUIRE(f.add({"u1", "2025-01-01T01:00:00Z", "activate"}));
  REQUIRE(f.add({"u1", "2025-01-15T00:00:00Z", "purchase"}));
  // u2: purchase 14 d + 1 s after the entry (outside).
  REQUIRE(f.add({"u2", "2025-01-01T00:00:00Z", "signup"}));
  REQUIRE(f.add({"u2", "2025-01-02T00:00:00Z", "activate"}));
  REQUIRE(f.add({"u2", "2025-01-15T00:00:01Z", "purchase"}));
  // u3: activates only before signing up.
  REQUIRE(f.add({"u3", "2025-01-01T00:00:00Z", "activate"}));
  REQUIRE(f.add({"u3", "2025-01-02T00:00:00Z", "signup"}));
  // u4: no retry from the second signup (its activate is 20 d after the entry).
  REQUIRE(f.add({"u4", "2025-01-01T00:00:00Z", "signup"}));
  REQUIRE(f.add({"u4", "2025-01-20T00:00:00Z", "signup"}));
  REQUIRE(f.add({"u4", "2025-01-21T00:00:00Z", "activate"}));
  // u5: activate at the same instant as signup, earlier in the input.
  REQUIRE(f.add({"u5", "2025-01-05T00:00:00Z", "activate"}));
  REQUIRE(f.add({"u5", "2025-01-05T00:00:00Z", "signup"}));
  // u6: never enters.
  REQUIRE(f.add({"u6", "2025-01-05T00:00:00Z", "activate"}));
  // u7: another event between signup and activate.
  REQUIRE(f.add({"u7", "2025-01-03T00:00:00Z", "signup"}));
  REQUIRE(f.add({"u7", "2025-01-03T00:01:00Z", "page_view"}));
  REQUIRE(f.add({"u7", "2025-01-03T00:02:00Z", "activate"}));
  // u8: purchase before activate.
  REQUIRE(f.add({"u8", "2025-01-01T00:00:00Z", "signup"}));
  REQUIRE(f.add({"u8", "2025-01-02T00:00:00Z", "purchase"}));
  REQUIRE(f.add({"u8", "2025-01-03T00:00:00Z", "activate"}));
  return f.finish();
}

}  // namespace

TEST_CASE("funnel: ordered", "[funnel]") {
  const ResultSet rs = run(FunnelOrder::ordered);
  // Step 1: u1 u2 u3 u4 u5 u7 u8 = 7. Step 2: u1 u2 u5 (same instant) u7 u8 = 5.
  // Step 3: u1 only (u8's purchase precedes its activate).
  CHECK(value_of(rs, "funnel_users", "all", step("1:signup")) == 7);
  CHECK(value_of(rs, "funnel_users", "all", step("2:activate")) == 5);
  CHECK(value_of(rs, "funnel_users", "all", step("3:purchase")) == 1);
  CHECK(value_of(rs, "funnel_conversion", "all", step("1:signup")) == 100);
  CHECK(value_of(rs, "funnel_conversion", "all", step("2:activate")) == Approx(500.0 / 7));
  CHECK(value_of(rs, "funnel_conversion", "all", step("3:purchase")) == Approx(100.0 / 7));
  CHECK(value_of(rs, "funnel_step_conversion", "all", step("1:signup")) == 100);
  CHECK(value_of(rs, "funnel_step_conversion", "all", step("3:purchase")) == Approx(20));
  // Times to step 2: u5 0, u7 120, u1 3600, u2 86400, u8 172800 → median 3600.
  CHECK(value_of(rs, "funnel_median_time", "all", step("2:activate")) == Approx(3600));
  // u1: 14 d − 1 h = 1209600 − 3600.
  CHECK(value_of(rs, "funnel_median_time", "all", step("3:purchase")) == Approx(1206000));
  CHECK(find_result(rs, "funnel_median_time", "all", step("1:signup")) == nullptr);
  // Order: metric, then step.
  REQUIRE(rs.results.size() == 3 * 3 + 2);
  CHECK(rs.results[0].metric == "funnel_users");
  CHECK(rs.results[1].dims == step("2:activate"));
  CHECK(rs.results.back().metric == "funnel_median_time");
}

TEST_CASE("funnel: strict needs the very next event", "[funnel]") {
  const ResultSet rs = run(FunnelOrder::strict);
  // Step 2: u1, u2 only (u5's activate row comes before its signup in input order,
  // u7 has a page_view in between, u8 purchases next). Step 3: u1.
  CHECK(value_of(rs, "funnel_users", "all", step("1:signup")) == 7);
  CHECK(value_of(rs, "funnel_users", "all", step("2:activate")) == 2);
  CHECK(value_of(rs, "funnel_users", "all", step("3:purchase")) == 1);
  CHECK(value_of(rs, "funnel_median_time", "all", step("2:activate")) == Approx(45000));
  CHECK(value_of(rs, "funnel_step_conversion", "all", step("3:purchase")) == Approx(50));
}

TEST_CASE("funnel: any order inside the window", "[funnel]") {
  const ResultSet rs = run(FunnelOrder::any);
  // Step 2: u1 u2 u5 u7 u8 (u3's activate precedes the entry). Step 3: u1 (14 d
  // exactly) and u8 (purchase before activate); not u2 (14 d + 1 s).
  CHECK(value_of(rs, "funnel_users", "all", step("2:activate")) == 5);
  CHECK(value_of(rs, "funnel_users", "all", step("3:purchase")) == 2);
  // Times to step 3 from step 2: u1 1206000, u8 −86400 → median 559800.
  CHECK(value_of(rs, "funnel_median_time", "all", step("3:purchase")) == Approx(559800));
}

TEST_CASE("funnel: periods of the entry and segments of the entry event", "[funnel]") {
  FunnelOptions o;
  o.steps = {"a", "b"};
  o.period = time::Period::month;
  o.by = {"plan"};
  o.window = 2 * time::kMicrosPerDay;
  const auto tc = utc_context();
  AnalysisFeed f(make_funnel(o, tc), {"user_id", "timestamp", "event", "plan"});
  REQUIRE(f.add({"x", "2025-01-31T12:00:00Z", "a", "pro"}));
  REQUIRE(f.add({"x", "2025-02-01T12:00:00Z", "b", "free"}));  // still x's January pro funnel
  REQUIRE(f.add({"y", "2025-02-10T00:00:00Z", "a", "free"}));
  REQUIRE(f.add({"z", "2025-03-01T00:00:00Z", "b", "free"}));  // never enters
  const ResultSet rs = f.finish();
  const Dims pro1{{"plan", "pro"}, {"step", "1:a"}}, pro2{{"plan", "pro"}, {"step", "2:b"}};
  const Dims free1{{"plan", "free"}, {"step", "1:a"}}, free2{{"plan", "free"}, {"step", "2:b"}};
  CHECK(value_of(rs, "funnel_users", "2025-01", pro1) == 1);
  CHECK(value_of(rs, "funnel_users", "2025-01", pro2) == 1);
  CHECK(value_of(rs, "funnel_median_time", "2025-01", pro2) == Approx(86400));
  CHECK(value_of(rs, "funnel_users", "2025-02", free1) == 1);
  CHECK(value_of(rs, "funnel_users", "2025-02", free2) == 0);
  CHECK(value_of(rs, "funnel_step_conversion", "2025-02", free2) == 0);
  // An empty period: zero users, no rates (with a warning).
  CHECK(value_of(rs, "funnel_users", "2025-03", free1) == 0);
  CHECK(null_result(rs, "funnel_conversion", "2025-03", free1));
  CHECK(null_result(rs, "funnel_median_time", "2025-02", free2));
  CHECK(mentions(rs.warnings, "funnel_conversion 2025-03 {plan=free, step=1:a}: no value"));
  // Within a metric and period, free before pro.
  std::vector<std::string> jan_users;
  for (const auto& r : rs.results)
    if (r.metric == "funnel_users" && r.period == "2025-01") jan_users.push_back(r.dims[0].second + r.dims[1].second);
  CHECK(jan_users == std::vector<std::string>{"free1:a", "free2:b", "pro1:a", "pro2:b"});
}

TEST_CASE("funnel: repeated step events use distinct rows", "[funnel]") {
  FunnelOptions o;
  o.steps = {"view", "view", "buy"};
  const auto tc = utc_context();
  AnalysisFeed f(make_funnel(o, tc), {"user_id", "timestamp", "event"});
  REQUIRE(f.add({"u", "2025-01-01T00:00:00Z", "view"}));
  REQUIRE(f.add({"u", "2025-01-01T00:00:00Z", "view"}));  // same instant, another row
  REQUIRE(f.add({"u", "2025-01-01T00:05:00Z", "buy"}));
  REQUIRE(f.add({"v", "2025-01-01T00:00:00Z", "view"}));
  REQUIRE(f.add({"v", "2025-01-01T00:05:00Z", "buy"}));
  const ResultSet rs = f.finish();
  CHECK(value_of(rs, "funnel_users", "all", step("2:view")) == 1);
  CHECK(value_of(rs, "funnel_users", "all", step("3:buy")) == 1);
  CHECK(value_of(rs, "funnel_median_time", "all", step("2:view")) == 0);
}

// Without --by, an ordered or any-order funnel sorts only the steps' events,
// and when step 1 is no later step, keeps one row of step 1 per user (its
// earliest from --from on, RowFold); with --by it sorts every row. A --by
// column with one value for every row is the same input in one segment, so
// both must give the same results, on rows out of order, with ties, a repeated
// step, events that are no step, and entries before --from.
TEST_CASE("funnel: sorting only the steps' events changes nothing", "[funnel]") {
  TestRandom random(777);
  std::vector<EventRow> rows;
  const char* const kEvents[] = {"view", "signup", "click", "activate", "purchase", "view"};
  for (int i = 0; i < 1500; ++i) {
    const int month = 1 + random.below(3), day = 1 + random.below(28), hour = random.below(4);  // ties on purpose
    const int user = random.below(25);
    rows.push_back(event_row(user, month, day, hour, kEvents[random.below(6)]));
  }
  const std::vector<std::vector<std::string>> step_lists = {{"view", "signup", "activate", "view", "purchase"},
                                                            {"view", "signup", "activate", "purchase"}};
  for (const FunnelOrder order : {FunnelOrder::ordered, FunnelOrder::any, FunnelOrder::strict}) {
    for (const auto& steps : step_lists) {
      for (const bool bounded : {true, false}) {
        FunnelOptions o;
        o.steps = steps;
        o.order = order;
        o.period = time::Period::month;
        o.window = 40 * time::kMicrosPerDay;
        const auto tc = bounded ? utc_context("2025-01-05", "2025-03-20") : utc_context();
        AnalysisFeed plain(make_funnel(o, tc), {"user_id", "timestamp", "event"});
        o.by = {"all"};
        AnalysisFeed split(make_funnel(o, tc), {"user_id", "timestamp", "event", "all"});
        INFO("order " << static_cast<int>(order) << ", " << steps.size() << " steps, bounded " << bounded);
        const ResultSet a = check_same_as_one_segment(plain, split, rows);
        // Results of users past step 3: later steps are reached, so their matching is compared.
        const auto deep = std::count_if(a.results.begin(), a.results.end(), [](const Result& r) {
          return r.metric == "funnel_users" && r.dims.back().second.front() >= '4' && r.value && *r.value > 0;
        });
        if (order != FunnelOrder::strict) CHECK(deep >= static_cast<long>(steps.size()) - 3);
      }
    }
  }
}
