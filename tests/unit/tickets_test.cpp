// tickets aggregator: counts, first response (mean inputs, median, p90, targets), CSAT.
#include "records_fixture.hpp"

using namespace kpi;
using namespace kpi::test;
using Catch::Detail::Approx;

namespace {

const std::vector<std::string> kHeader = {"ticket_id", "created_at", "first_response_at",
                                          "channel", "escalated", "satisfaction"};

Feed tickets(const ComputeOptions& options = {}) {
  return Feed(make_tickets_aggregator(options, utc_context()), kHeader);
}

void add_sample(Feed& f) {
  // t1 email, 2h = 7200 s (target 24h: within), not escalated, rated 5
  REQUIRE(f.add({"t1", "2025-03-01T10:00:00Z", "2025-03-01T12:00:00Z", "email", "no", "5"}));
  // t2 phone, 5 min = 300 s (target 3 min: late), escalated, rated 3
  REQUIRE(f.add({"t2", "2025-03-02T09:00:00Z", "2025-03-02T09:05:00Z", "phone", "Yes", "3"}));
  // t3 social, no response, blank flag = not escalated, no rating
  REQUIRE(f.add({"t3", "2025-03-03T00:00:00Z", "", "social", "", ""}));
  // t4 social, 30 min = 1800 s (target 60 min: within), escalated, rated 4
  REQUIRE(f.add({"t4", "2025-03-04T08:00:00Z", "2025-03-04T08:30:00Z", "Social", "TRUE", "4.0"}));
  // t5 "Chat" (other: 24h), exactly 86400 s: within (inclusive)
  REQUIRE(f.add({"t5", "2025-04-01T00:00:00Z", "2025-04-02T00:00:00Z", "Chat", "0", ""}));
}

}  // namespace

TEST_CASE("tickets: counts, response times and CSAT per month", "[tickets]") {
  auto f = tickets();
  add_sample(f);
  const Table t = f.finish();
  CHECK(periods(t) == std::vector<std::string>{"2025-03", "2025-04"});
  const Group& mar = group(t, "2025-03");
  CHECK(val(mar, "tickets") == 4);
  CHECK(val(mar, "escalated_tickets") == 2);   // t2, t4
  CHECK(val(mar, "responded_tickets") == 3);   // t3 has no response
  CHECK(val(mar, "total_first_response_time") == Approx(9300));  // 7200 + 300 + 1800
  // sorted [300, 1800, 7200]: median = 1800; p90: h = 2 × 0.9 = 1.8 →
  // 1800 + 0.8 × (7200 − 1800) = 6120.
  CHECK(val(mar, "first_response_time_median") == Approx(1800));
  CHECK(val(mar, "first_response_time_p90") == Approx(6120));
  CHECK(val(mar, "first_response_within_target_rate") == Approx(200.0 / 3.0));  // t1, t4 of 3
  CHECK(val(mar, "survey_responses") == 3);   // 5, 3, 4
  CHECK(val(mar, "positive_responses") == 2); // 5, 4
  const Group& apr = group(t, "2025-04");
  CHECK(val(apr, "tickets") == 1);
  CHECK(val(apr, "first_response_time_median") == Approx(86400));
  CHECK(val(apr, "first_response_time_p90") == Approx(86400));
  CHECK(val(apr, "first_response_within_target_rate") == Approx(100));
  CHECK(val(apr, "survey_responses") == 0);
}

TEST_CASE("tickets: --target overrides a channel case-insensitively", "[tickets]") {
  ComputeOptions o;
  o.targets = {{"PHONE", 10 * time::kMicrosPerMinute}, {"*", time::kMicrosPerHour}};
  auto f = tickets(o);
  add_sample(f);
  const Table t = f.finish();
  // t2: 300 s ≤ 600 s now within → 3 of 3.
  CHECK(val(group(t, "2025-03"), "first_response_within_target_rate") == Approx(100));
  // t5 (Chat, fallback now 1 h): 86400 s > 3600 s → 0 of 1.
  CHECK(val(group(t, "2025-04"), "first_response_within_target_rate") == Approx(0));
}

TEST_CASE("tickets: --by channel segments every period", "[tickets]") {
  ComputeOptions o;
  o.by = {"channel"};
  auto f = tickets(o);
  add_sample(f);
  const Table t = f.finish();
  // 5 segments (Chat, Social, email, phone, social) × 2 months, byte order of values.
  REQUIRE(t.groups.size() == 10);
  CHECK(t.groups[0].dims == Dims{{"channel", "Chat"}});
  CHECK(t.groups[1].dims == Dims{{"channel", "Social"}});
  CHECK(t.groups[4].dims == Dims{{"channel", "social"}});
  CHECK(val(group(t, "2025-03", {{"channel", "Chat"}}), "tickets") == 0);
  const Group& social = group(t, "2025-03", {{"channel", "social"}});
  CHECK(val(social, "tickets") == 1);
  CHECK(val(social, "responded_tickets") == 0);
  CHECK(is_null(social, "first_response_time_median"));
  CHECK(is_null(social, "first_response_within_target_rate"));
  CHECK(val(group(t, "2025-04", {{"channel", "Chat"}}), "tickets") == 1);
}

TEST_CASE("tickets: only the columns present are measured", "[tickets]") {
  Feed f(make_tickets_aggregator({}, utc_context()), {"ticket_id", "created_at"});
  REQUIRE(f.add({"1", "2025-03-01"}));
  REQUIRE(f.add({"2", "2025-03-03"}));
  const Table t = f.finish();
  const Group& g = group(t, "2025-03");
  CHECK(val(g, "tickets") == 2);
  CHECK_FALSE(has(g, "escalated_tickets"));
  CHECK_FALSE(has(g, "responded_tickets"));
  CHECK_FALSE(has(g, "survey_responses"));
}

TEST_CASE("tickets: --from/--to cut the range; empty days still reported", "[tickets]") {
  ComputeOptions o;
  o.period = time::Period::day;
  Feed f(make_tickets_aggregator(o, utc_context("2025-03-02", "2025-03-04")),
         {"ticket_id", "created_at"});
  REQUIRE(f.add({"1", "2025-03-01"}));  // before the range: ignored
  REQUIRE(f.add({"2", "2025-03-02T23:59:59Z"}));
  REQUIRE(f.add({"3", "2025-03-05"}));  // after: ignored
  const Table t = f.finish();
  CHECK(periods(t) == std::vector<std::string>{"2025-03-02", "2025-03-03", "2025-03-04"});
  CHECK(val(group(t, "2025-03-02"), "tickets") == 1);
  CHECK(val(group(t, "2025-03-03"), "tickets") == 0);
}

TEST_CASE("tickets: invalid rows", "[tickets]") {
  auto f = tickets();
  CHECK(error_mentions(f.add({"", "2025-03-01", "", "", "", ""}), "column 'ticket_id'"));
  CHECK(error_mentions(f.add({"x", "soon", "", "", "", ""}), "column 'created_at'"));
  // A response before creation is an input error.
  const Status early = f.add({"x", "2025-03-01T10:00:00Z", "2025-03-01T09:59:59Z", "", "", ""});
  CHECK(error_mentions(early, "column 'first_response_at'"));
  CHECK(error_mentions(early, "not before created_at"));
  CHECK(error_mentions(f.add({"x", "2025-03-01", "", "", "maybe", ""}), "column 'escalated'"));
  CHECK(error_mentions(f.add({"x", "2025-03-01", "", "", "", "6"}), "column 'satisfaction'"));
  CHECK(error_mentions(f.add({"x", "2025-03-01", "", "", "", "4.5"}), "column 'satisfaction'"));
  CHECK(error_mentions(f.add({"x", "2025-03-01", "", "", "", "0"}), "column 'satisfaction'"));
  CHECK(f.finish().groups.empty());

  Feed g(make_tickets_aggregator({}, utc_context()), {"ticket_id", "created_at", "resolved_at"});
  CHECK(error_mentions(g.add({"x", "2025-03-02", "2025-03-01"}), "column 'resolved_at'"));
}

TEST_CASE("tickets: at most 20 000 periods, one more is an error naming the span", "[tickets][limits]") {
  ComputeOptions daily;
  daily.period = time::Period::day;
  // 2025-01-01 + 19 999 days = 2079-10-04: exactly 20 000 daily periods.
  auto fits = Feed(make_tickets_aggregator(daily, utc_context("2025-01-01", "2079-10-04")), kHeader);
  REQUIRE(fits.add({"t1", "2025-03-01T10:00:00Z", "", "email", "", ""}));
  CHECK(periods(fits.finish()).size() == 20000);

  auto over = Feed(make_tickets_aggregator(daily, utc_context("2025-01-01", "2079-10-05")), kHeader);
  REQUIRE(over.add({"t1", "2025-03-01T10:00:00Z", "", "email", "", ""}));
  const Expected<Table> t = over.try_finish();
  REQUIRE_FALSE(t);
  CHECK(t.error().message() ==
        "--period day over 2025-01-01..2079-10-05 makes 20001 periods; a report has at most 20000: "
        "choose a longer --period or narrow the range with --from/--to");
}
