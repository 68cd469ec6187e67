// work_items aggregator: points, sprints, deliveries, defects.
#include "records_fixture.hpp"

using namespace kpi;
using namespace kpi::test;
using Catch::Detail::Approx;

TEST_CASE("work_items: velocity inputs without a sprint column", "[work_items]") {
  Feed f(make_work_items_aggregator({}, utc_context()), {"id", "points", "completed_at"});
  REQUIRE(f.add({"1", "3", "2025-03-03"}));
  REQUIRE(f.add({"2", "5", "2025-03-10"}));
  REQUIRE(f.add({"3", "", "2025-03-12"}));  // blank points = 0
  REQUIRE(f.add({"4", "8", ""}));           // not completed: counts nowhere
  REQUIRE(f.add({"5", "2.5", "2025-05-02"}));
  const Table t = f.finish();
  CHECK(periods(t) == std::vector<std::string>{"2025-03", "2025-04", "2025-05"});
  const Group& mar = group(t, "2025-03");
  CHECK(val(mar, "completed_points") == Approx(8));  // 3 + 5 + 0
  CHECK(val(mar, "sprints") == 1);                    // the period is the sprint
  CHECK(val(mar, "delivered_items") == 3);
  CHECK(val(group(t, "2025-04"), "completed_points") == 0);
  CHECK(val(group(t, "2025-04"), "sprints") == 1);    // velocity 0 / 1 = 0
  CHECK(val(group(t, "2025-05"), "completed_points") == Approx(2.5));
  CHECK(mentions(t.warnings, "1 item(s) without completed_at"));
  CHECK_FALSE(has(mar, "defects"));     // no type column
  CHECK_FALSE(has(mar, "deliveries"));  // no due_at column
}

TEST_CASE("work_items: velocity with a sprint column", "[work_items]") {
  Feed f(make_work_items_aggregator({}, utc_context()), {"id", "points", "sprint", "completed_at"});
  REQUIRE(f.add({"1", "3", "S1", "2025-03-03"}));
  REQUIRE(f.add({"2", "5", "S1", "2025-03-07"}));
  REQUIRE(f.add({"3", "8", "S2", "2025-03-20"}));
  REQUIRE(f.add({"4", "2", "S2", "2025-04-01"}));
  const Table t = f.finish();
  const Group& mar = group(t, "2025-03");
  CHECK(val(mar, "completed_points") == Approx(16));  // 3 + 5 + 8
  CHECK(val(mar, "sprints") == 2);                     // S1, S2 → velocity 8
  const Group& apr = group(t, "2025-04");
  CHECK(val(apr, "completed_points") == Approx(2));
  CHECK(val(apr, "sprints") == 1);                     // S2 again
}

TEST_CASE("work_items: on-time deliveries at date granularity and defects", "[work_items]") {
  Feed f(make_work_items_aggregator({}, utc_context()),
         {"id", "type", "completed_at", "due_at", "found"});
  REQUIRE(f.add({"1", "story", "2025-03-10T18:00:00Z", "2025-03-10", ""}));  // same date: on time
  REQUIRE(f.add({"2", "story", "2025-03-11T00:10:00Z", "2025-03-10", ""}));  // a day late
  REQUIRE(f.add({"3", "Bug", "2025-03-12", "", "production"}));               // post-release
  REQUIRE(f.add({"4", "defect", "2025-03-13", "", "internal"}));              // pre-release
  REQUIRE(f.add({"5", "bug", "2025-03-14", "", "pre_release"}));
  REQUIRE(f.add({"6", "bug", "2025-03-15", "", ""}));                         // found unknown
  REQUIRE(f.add({"7", "task", "2025-03-16", "", "POST_RELEASE"}));            // not a defect
  const Table t = f.finish();
  const Group& g = group(t, "2025-03");
  CHECK(val(g, "deliveries") == 2);
  CHECK(val(g, "on_time_deliveries") == 1);      // 50% on time
  CHECK(val(g, "defects") == 4);                 // items 3, 4, 5, 6
  CHECK(val(g, "defects_pre_release") == 2);     // 4, 5
  CHECK(val(g, "defects_post_release") == 1);    // 3 → DDE = 2 / 3 × 100
  CHECK(val(g, "delivered_items") == 3);         // 1, 2, 7 → defect_rate 4 / 3 × 100
  CHECK(mentions(t.warnings, "1 defect(s) without a 'found' value"));
}

TEST_CASE("work_items: invalid rows", "[work_items]") {
  Feed f(make_work_items_aggregator({}, utc_context()),
         {"id", "points", "completed_at", "due_at", "found"});
  CHECK(error_mentions(f.add({"", "1", "2025-03-01", "", ""}), "column 'id'"));
  CHECK(error_mentions(f.add({"1", "-2", "2025-03-01", "", ""}), "column 'points'"));
  CHECK(error_mentions(f.add({"1", "two", "2025-03-01", "", ""}), "column 'points'"));
  CHECK(error_mentions(f.add({"1", "1", "yesterday", "", ""}), "column 'completed_at'"));
  CHECK(error_mentions(f.add({"1", "1", "2025-03-01", "2025-02-30", ""}), "column 'due_at'"));
  CHECK(error_mentions(f.add({"1", "1", "2025-03-01", "", "staging"}), "column 'found'"));
  CHECK(f.finish().groups.empty());
}
