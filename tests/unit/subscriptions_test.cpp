// subscriptions aggregator: snapshots, movements, bridge, ltv, validation.
#include <cmath>

#include "records_fixture.hpp"

using namespace kpi;
using namespace kpi::test;
using Catch::Detail::Approx;

namespace {

const std::vector<std::string> kHeader = {"customer_id", "start", "end", "amount", "interval"};

Feed subs(std::optional<std::string_view> from = std::nullopt,
          std::optional<std::string_view> to = std::nullopt,
          const std::vector<std::string>& header = kHeader, const ComputeOptions& options = {}) {
  return Feed(make_subscriptions_aggregator(options, utc_context(from, to)), header);
}

// mrr_start + new + reactivation + expansion − contraction − churned = mrr, and
// periods chain: mrr_start(P+1) = mrr(P) (per segment).
void check_bridge(const Table& t) {
  for (const auto& g : t.groups) {
    INFO("period " << g.period);
    const double lhs = val(g, "mrr_start") + val(g, "new_mrr") + val(g, "reactivation_mrr") +
                       val(g, "expansion_mrr") - val(g, "contraction_mrr") - val(g, "churned_mrr");
    CHECK(lhs == Approx(val(g, "mrr")).margin(1e-9));
    // new_customers counts every joiner, reactivations included (METRICS.md §2).
    CHECK(val(g, "reactivated_customers") <= val(g, "new_customers"));
    CHECK(val(g, "customers_start") + val(g, "new_customers") - val(g, "lost_customers") ==
          val(g, "customers"));
  }
  for (std::size_t i = 0; i < t.groups.size(); ++i) {
    for (std::size_t j = i + 1; j < t.groups.size(); ++j) {
      if (t.groups[j].dims == t.groups[i].dims) {
        CHECK(val(t.groups[j], "mrr_start") == val(t.groups[i], "mrr"));
        CHECK(val(t.groups[j], "customers_start") == val(t.groups[i], "customers"));
        break;
      }
    }
  }
}

}  // namespace

TEST_CASE("subscriptions: yearly and quarterly plans are normalised to monthly", "[subscriptions]") {
  auto f = subs();
  REQUIRE(f.add({"A", "2025-01-15", "", "1200", "year"}));       // 1200 / 12 = 100
  REQUIRE(f.add({"Q", "2025-01-20", "", "300", "Quarter"}));     // 300 / 3 = 100
  REQUIRE(f.add({"B", "2025-02-10", "2025-04-10", "50", ""}));   // blank = month: 50
  const Table t = f.finish();
  // Default range: first..last day of start/end = 2025-01-15..2025-04-10.
  CHECK(periods(t) == std::vector<std::string>{"2025-01", "2025-02", "2025-03", "2025-04"});
  check_bridge(t);

  const Group& jan = group(t, "2025-01");
  // Start snapshot at 2025-01-15T00:00: A starts at that instant, start < B fails → 0.
  CHECK(val(jan, "mrr_start") == 0);
  CHECK(val(jan, "mrr") == Approx(200));  // A 100 + Q 100
  CHECK(val(jan, "new_mrr") == Approx(200));
  CHECK(val(jan, "new_customers") == 2);
  CHECK(is_null(jan, "retention_rate"));  // customers_start 0
  CHECK(is_null(jan, "ltv"));

  const Group& feb = group(t, "2025-02");
  CHECK(val(feb, "mrr") == Approx(250));  // + B 50
  CHECK(val(feb, "new_mrr") == Approx(50));
  CHECK(val(feb, "customers") == 3);
  CHECK(val(feb, "retention_rate") == Approx(100));  // (3 − 1) / 2 × 100
  CHECK(is_null(feb, "ltv"));                         // churn 0: unbounded lifetime
  CHECK(is_null(feb, "avg_customer_lifetime"));

  const Group& apr = group(t, "2025-04");  // cut at 04-10: B = 04-11T00:00 > end of B
  CHECK(val(apr, "mrr_start") == Approx(250));
  CHECK(val(apr, "mrr") == Approx(200));
  CHECK(val(apr, "churned_mrr") == Approx(50));
  CHECK(val(apr, "lost_customers") == 1);
  // churn = 1/3 × 100 = 33.33%; retention = (2 − 0)/3 × 100 = 66.67% = 100 − churn.
  CHECK(val(apr, "retention_rate") == Approx(200.0 / 3.0));
  // lifetime = 1 month × 100 / 33.33 = 3 months; arpu = 200 / 2 = 100; ltv = 300.
  CHECK(val(apr, "avg_customer_lifetime") == Approx(3));
  CHECK(val(apr, "ltv") == Approx(300));
}

TEST_CASE("subscriptions: an upgrade and a downgrade inside one period", "[subscriptions]") {
  auto f = subs("2025-01-01", "2025-03-31");
  REQUIRE(f.add({"U", "2025-01-01", "2025-02-10", "100", "month"}));
  REQUIRE(f.add({"U", "2025-02-10", "", "150", "month"}));         // upgrade +50
  REQUIRE(f.add({"D", "2025-01-01", "2025-02-20", "200", "month"}));
  REQUIRE(f.add({"D", "2025-02-20", "", "120", "month"}));         // downgrade −80
  REQUIRE(f.add({"X", "2025-01-01", "2025-02-05", "80", "month"}));
  REQUIRE(f.add({"X", "2025-02-05", "2025-02-15", "120", "month"}));  // up then back down:
  REQUIRE(f.add({"X", "2025-02-15", "", "80", "month"}));             // net 0 over February
  const Table t = f.finish();
  check_bridge(t);
  const Group& jan = group(t, "2025-01");
  CHECK(val(jan, "mrr") == Approx(380));  // 100 + 200 + 80
  CHECK(val(jan, "new_mrr") == Approx(380));
  CHECK(val(jan, "new_customers") == 3);
  const Group& feb = group(t, "2025-02");
  CHECK(val(feb, "mrr_start") == Approx(380));
  CHECK(val(feb, "mrr") == Approx(350));  // 150 + 120 + 80
  CHECK(val(feb, "expansion_mrr") == Approx(50));
  CHECK(val(feb, "contraction_mrr") == Approx(80));
  CHECK(val(feb, "churned_mrr") == 0);
  CHECK(val(feb, "lost_customers") == 0);
  const Group& mar = group(t, "2025-03");
  CHECK(val(mar, "mrr") == Approx(350));
  CHECK(val(mar, "expansion_mrr") == 0);
  CHECK(val(mar, "contraction_mrr") == 0);
}

TEST_CASE("subscriptions: a cancellation effective exactly on a period boundary", "[subscriptions]") {
  auto f = subs("2025-01-01", "2025-03-31");
  REQUIRE(f.add({"C", "2025-01-01", "2025-03-01", "100", "month"}));  // active on Feb 28
  REQUIRE(f.add({"K", "2025-01-01", "", "50", "month"}));
  REQUIRE(f.add({"D", "2025-01-01", "2025-02-28T23:59:59Z", "30", "month"}));  // gone before Mar 1
  const Table t = f.finish();
  check_bridge(t);
  CHECK(val(group(t, "2025-01"), "mrr") == Approx(180));
  const Group& feb = group(t, "2025-02");
  // B = 2025-03-01T00:00: C has start < B ≤ end (= B) → counted; D's end < B → not.
  CHECK(val(feb, "mrr") == Approx(150));
  CHECK(val(feb, "churned_mrr") == Approx(30));
  CHECK(val(feb, "lost_customers") == 1);
  const Group& mar = group(t, "2025-03");
  CHECK(val(mar, "mrr") == Approx(50));
  CHECK(val(mar, "churned_mrr") == Approx(100));
  CHECK(val(mar, "lost_customers") == 1);
  CHECK(val(mar, "customers_start") == 2);
  CHECK(val(mar, "retention_rate") == Approx(50));  // (1 − 0) / 2 × 100 = 100 − 50% churn
  // lifetime = 1 × 100 / 50 = 2 months; arpu = 50 / 1; ltv = 100.
  CHECK(val(mar, "avg_customer_lifetime") == Approx(2));
  CHECK(val(mar, "ltv") == Approx(100));
}

TEST_CASE("subscriptions: reactivations, including history before --from", "[subscriptions]") {
  auto f = subs("2025-01-01", "2025-04-30");
  REQUIRE(f.add({"R", "2025-01-01", "2025-02-01", "100", "month"}));
  REQUIRE(f.add({"R", "2025-04-10", "", "120", "month"}));
  REQUIRE(f.add({"H", "2024-10-01", "2024-11-01", "70", "month"}));  // history only
  REQUIRE(f.add({"H", "2025-02-15", "", "60", "month"}));
  REQUIRE(f.add({"Z", "2025-02-03", "2025-02-20", "40", "month"}));  // never in a snapshot
  REQUIRE(f.add({"Z", "2025-03-05", "", "40", "month"}));
  const Table t = f.finish();
  check_bridge(t);
  const Group& jan = group(t, "2025-01");
  CHECK(val(jan, "mrr_start") == 0);
  CHECK(val(jan, "new_mrr") == Approx(100));  // R's first paid start = Jan 1 = B0: not before
  CHECK(val(jan, "new_customers") == 1);
  const Group& feb = group(t, "2025-02");
  CHECK(val(feb, "churned_mrr") == Approx(100));          // R: 100 → 0
  CHECK(val(feb, "reactivation_mrr") == Approx(60));      // H had a paid sub in 2024
  CHECK(val(feb, "reactivated_customers") == 1);
  CHECK(val(feb, "new_customers") == 1);  // joined or reactivated: H

  CHECK(val(feb, "new_mrr") == 0);
  CHECK(val(feb, "mrr") == Approx(60));
  // churn 1/1 = 100%: retention (1 − 1)/1 = 0; lifetime 1 × 100/100 = 1; ltv 60 × 1 = 60.
  CHECK(val(feb, "retention_rate") == Approx(0).margin(1e-12));
  CHECK(val(feb, "ltv") == Approx(60));
  const Group& mar = group(t, "2025-03");
  CHECK(val(mar, "reactivation_mrr") == Approx(40));  // Z's Feb sub counts as "before"
  CHECK(val(mar, "new_mrr") == 0);
  CHECK(val(mar, "mrr") == Approx(100));
  const Group& apr = group(t, "2025-04");
  CHECK(val(apr, "reactivation_mrr") == Approx(120));
  CHECK(val(apr, "reactivated_customers") == 1);
  CHECK(val(apr, "mrr") == Approx(220));
}

TEST_CASE("subscriptions: overlapping subscriptions of one customer add up", "[subscriptions]") {
  auto f = subs("2025-01-01", "2025-02-28");
  REQUIRE(f.add({"O", "2025-01-01", "", "100", "month"}));
  REQUIRE(f.add({"O", "2025-01-10", "2025-02-15", "30", "week"}));  // 30 × 52/12 = 130
  REQUIRE(f.add({"O", "2025-01-20", "2025-02-10", "2", "day"}));    // 2 × 365/12 = 60.8333…
  const Table t = f.finish();
  check_bridge(t);
  const double jan_mrr = 100 + 30.0 * 52 / 12 + 2.0 * 365 / 12;  // 290.8333…
  const Group& jan = group(t, "2025-01");
  CHECK(val(jan, "mrr") == Approx(jan_mrr));
  CHECK(val(jan, "customers") == 1);
  CHECK(val(jan, "new_mrr") == Approx(jan_mrr));  // one customer, one net movement
  CHECK(val(jan, "new_customers") == 1);
  const Group& feb = group(t, "2025-02");
  CHECK(val(feb, "mrr") == Approx(100));
  CHECK(val(feb, "contraction_mrr") == Approx(jan_mrr - 100));
  CHECK(val(feb, "lost_customers") == 0);
}

TEST_CASE("subscriptions: trial and incomplete rows are left out with a warning",
          "[subscriptions]") {
  std::vector<std::string> header = {"customer_id", "start", "end", "amount", "interval", "status"};
  auto f = subs(std::nullopt, std::nullopt, header);
  REQUIRE(f.add({"T", "2024-12-01", "2025-01-05", "99", "month", "trialing"}));
  REQUIRE(f.add({"T", "2025-01-05", "", "99", "month", "active"}));
  REQUIRE(f.add({"U", "2025-01-06", "", "10", "month", "TRIAL"}));
  REQUIRE(f.add({"V", "2025-01-07", "", "10", "month", "incomplete_expired"}));
  REQUIRE(f.add({"W", "2025-01-08", "2025-02-03", "20", "month", "canceled"}));
  const Table t = f.finish();
  check_bridge(t);
  CHECK(mentions(t.warnings, "3 row(s) with status"));
  // Left-out rows do not widen the range: 2025-01-05 (T's paid start)..2025-02-03.
  CHECK(periods(t) == std::vector<std::string>{"2025-01", "2025-02"});
  const Group& jan = group(t, "2025-01");
  CHECK(val(jan, "mrr") == Approx(119));  // T 99 + W 20
  CHECK(val(jan, "new_customers") == 2);  // T's trial is not a paid subscription
  CHECK(val(jan, "reactivated_customers") == 0);
  CHECK(val(group(t, "2025-02"), "churned_mrr") == Approx(20));
}

TEST_CASE("subscriptions: segments by plan are computed independently", "[subscriptions]") {
  std::vector<std::string> header = {"customer_id", "start", "end", "amount", "plan"};
  ComputeOptions o;
  o.by = {"plan"};
  auto f = subs("2025-01-01", "2025-02-28", header, o);
  REQUIRE(f.add({"A", "2025-01-01", "2025-02-10", "10", "basic"}));
  REQUIRE(f.add({"A", "2025-02-10", "", "50", "pro"}));
  const Table t = f.finish();
  check_bridge(t);
  // Chronological, then dims ascending.
  REQUIRE(t.groups.size() == 4);
  CHECK(t.groups[0].dims == Dims{{"plan", "basic"}});
  CHECK(t.groups[1].dims == Dims{{"plan", "pro"}});
  CHECK(t.groups[2].period == "2025-02");
  const Group& basic = group(t, "2025-02", {{"plan", "basic"}});
  CHECK(val(basic, "churned_mrr") == Approx(10));
  const Group& pro = group(t, "2025-02", {{"plan", "pro"}});
  CHECK(val(pro, "new_mrr") == Approx(50));  // first paid sub in this segment
  CHECK(val(pro, "reactivation_mrr") == 0);
}

TEST_CASE("subscriptions: --period all has no lifetime", "[subscriptions]") {
  ComputeOptions o;
  o.period = time::Period::all;
  auto f = subs(std::nullopt, std::nullopt, kHeader, o);
  REQUIRE(f.add({"A", "2025-01-01", "2025-03-01", "10", "month"}));
  REQUIRE(f.add({"B", "2025-01-01", "", "20", "month"}));
  const Table t = f.finish();
  check_bridge(t);
  REQUIRE(t.groups.size() == 1);
  const Group& g = group(t, "all");
  CHECK(val(g, "mrr") == Approx(20));  // range ends 2025-03-01: A's end is not after it
  CHECK(val(g, "new_mrr") == Approx(20));  // A joined and left inside the range: no net move
  CHECK(is_null(g, "ltv"));
  CHECK(is_null(g, "avg_customer_lifetime"));
  CHECK(mentions(t.warnings, "--period all"));
}

TEST_CASE("subscriptions: invalid rows are rejected without side effects", "[subscriptions]") {
  auto f = subs();
  CHECK(error_mentions(f.add({"", "2025-01-01", "", "10", ""}), "column 'customer_id'"));
  CHECK(error_mentions(f.add({"A", "2025-13-01", "", "10", ""}), "column 'start'"));
  CHECK(error_mentions(f.add({"A", "", "", "10", ""}), "column 'start'"));
  CHECK(error_mentions(f.add({"A", "2025-01-01", "", "-1", ""}), "column 'amount'"));
  CHECK(error_mentions(f.add({"A", "2025-01-01", "", "ten", ""}), "column 'amount'"));
  CHECK(error_mentions(f.add({"A", "2025-01-01", "", "", ""}), "column 'amount'"));
  CHECK(error_mentions(f.add({"A", "2025-01-01", "", "10", "fortnight"}), "column 'interval'"));
  CHECK(error_mentions(f.add({"A", "2025-02-01", "2025-01-01", "10", ""}), "column 'end'"));
  CHECK(error_mentions(f.add({"A", "2025-02-01", "2025-01-01", "10", ""}), "not before start"));
  // Nothing was taken: no data, no range.
  const Table t = f.finish();
  CHECK(t.groups.empty());
  CHECK(mentions(t.warnings, "no records"));
}
