// responses aggregator: NPS classes, CSAT, survey selection, untimed input.
#include "records_fixture.hpp"

using namespace kpi;
using namespace kpi::test;

TEST_CASE("responses: NPS class edges 6/7/8/9 and 9.0", "[responses]") {
  Feed f(make_responses_aggregator({}, utc_context()), {"timestamp", "score"});
  REQUIRE(f.add({"2025-03-01", "6"}));    // detractor (0–6)
  REQUIRE(f.add({"2025-03-02", "7"}));    // passive (7–8)
  REQUIRE(f.add({"2025-03-03", "8"}));    // passive
  REQUIRE(f.add({"2025-03-04", "9"}));    // promoter (9–10)
  REQUIRE(f.add({"2025-03-05", "9.0"}));  // reads as 9: promoter
  REQUIRE(f.add({"2025-03-06", "10"}));   // promoter
  REQUIRE(f.add({"2025-03-07", "0"}));    // detractor
  REQUIRE(f.add({"2025-05-01", "10"}));
  const Table t = f.finish();
  CHECK(periods(t) == std::vector<std::string>{"2025-03", "2025-04", "2025-05"});
  const Group& mar = group(t, "2025-03");
  CHECK(val(mar, "promoters") == 3);
  CHECK(val(mar, "passives") == 2);
  CHECK(val(mar, "detractors") == 2);  // nps = (3 − 2) / 7 × 100 = 14.29 (registry)
  CHECK_FALSE(has(mar, "survey_responses"));  // no CSAT row anywhere
  const Group& apr = group(t, "2025-04");      // empty month, still reported
  CHECK(val(apr, "promoters") == 0);
  CHECK(val(group(t, "2025-05"), "promoters") == 1);
}

TEST_CASE("responses: scores must be integers in range", "[responses]") {
  Feed f(make_responses_aggregator({}, utc_context()), {"timestamp", "score", "survey"});
  CHECK(error_mentions(f.add({"2025-03-01", "9.5", ""}), "column 'score'"));
  CHECK(error_mentions(f.add({"2025-03-01", "9.5", ""}), "0 to 10"));
  CHECK(error_mentions(f.add({"2025-03-01", "11", "nps"}), "column 'score'"));
  CHECK(error_mentions(f.add({"2025-03-01", "-1", ""}), "column 'score'"));
  CHECK(error_mentions(f.add({"2025-03-01", "", ""}), "column 'score'"));
  CHECK(error_mentions(f.add({"2025-03-01", "great", ""}), "column 'score'"));
  CHECK(error_mentions(f.add({"2025-03-01", "0", "csat"}), "1 to 5"));
  CHECK(error_mentions(f.add({"2025-03-01", "6", "CSAT"}), "1 to 5"));
  CHECK(error_mentions(f.add({"2025-03-01", "5", "ces"}), "column 'survey'"));
  CHECK(error_mentions(f.add({"", "5", ""}), "column 'timestamp'"));
  CHECK(error_mentions(f.add({"yesterday", "5", ""}), "column 'timestamp'"));
  CHECK(f.finish().groups.empty());
}

TEST_CASE("responses: mixed NPS and CSAT rows by the survey column", "[responses]") {
  Feed f(make_responses_aggregator({}, utc_context()), {"timestamp", "score", "survey"});
  REQUIRE(f.add({"2025-03-01", "10", ""}));     // blank → NPS
  REQUIRE(f.add({"2025-03-01", "3", "nps"}));
  REQUIRE(f.add({"2025-03-02", "4", "csat"}));  // positive
  REQUIRE(f.add({"2025-03-02", "5", "Csat"}));  // positive
  REQUIRE(f.add({"2025-03-03", "3", "csat"}));
  REQUIRE(f.add({"2025-03-03", "1", "csat"}));
  const Table t = f.finish();
  const Group& g = group(t, "2025-03");
  CHECK(val(g, "promoters") == 1);
  CHECK(val(g, "detractors") == 1);
  CHECK(val(g, "passives") == 0);
  CHECK(val(g, "survey_responses") == 4);
  CHECK(val(g, "positive_responses") == 2);  // csat = 2 / 4 × 100 = 50 (registry)
}

TEST_CASE("responses: --survey csat and no timestamp column", "[responses]") {
  ComputeOptions o;
  o.survey = "csat";
  Feed f(make_responses_aggregator(o, utc_context()), {"respondent_id", "score"});
  REQUIRE(f.add({"r1", "5"}));
  REQUIRE(f.add({"r2", "2"}));
  REQUIRE(f.add({"r3", "4"}));
  CHECK(error_mentions(f.add({"r4", "7"}), "1 to 5"));  // CSAT scale now
  const Table t = f.finish();
  CHECK(mentions(t.warnings, "no 'timestamp' column"));
  REQUIRE(t.groups.size() == 1);
  const Group& g = group(t, "all");
  CHECK(val(g, "survey_responses") == 3);
  CHECK(val(g, "positive_responses") == 2);
  CHECK_FALSE(has(g, "promoters"));
}
