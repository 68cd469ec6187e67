// Unit tests of the metric catalog (src/catalog.cpp): the table is sound, it
// names every metric of METRICS.md, and each formula metric reproduces its
// worked example. Only `kpi::catalog()` is used, so these tests do not depend
// on the evaluator.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kpi/registry.hpp"

namespace {

const kpi::MetricInfo* lookup(std::string_view id) {
  for (const kpi::MetricInfo& m : kpi::catalog())
    if (m.id == id) return &m;
  return nullptr;
}

std::size_t index_of(std::string_view id) {
  const auto all = kpi::catalog();
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i].id == id) return i;
  return all.size();
}

// Every metric id METRICS.md names in §1–§3, in the order it names them.
// (`monthly_users` is the documents' word for active_users, not an id.)
const std::vector<std::string_view> kSpecIds = {
    // §1 revenue and business
    "mrr", "arpu", "arr", "customers", "customer_value", "ltv", "cac", "ltv_cac_ratio",
    "market_share",
    // §1 retention and churn
    "churn_rate", "retention_rate", "early_churn_rate", "net_revenue_retention",
    "gross_mrr_churn_rate",
    // §1 satisfaction
    "nps", "csat",
    // §1 conversion and leads
    "conversion_rate", "visitor_to_trial_rate", "visitor_to_sql_rate", "trial_to_pql_rate",
    "trial_to_paid_rate", "mqls", "sqls", "pqls",
    // §1 adoption and engagement
    "product_adoption_rate", "feature_adoption_rate", "activation_rate",
    "onboarding_completion_rate", "onboarding_views", "stickiness", "pages_per_session",
    "clicks_per_session", "actions_per_session", "avg_session_duration",
    // §1 support
    "ticket_count", "escalation_rate", "first_response_time",
    // §1 delivery and quality
    "velocity", "on_time_delivery_rate", "resource_availability",
    "defect_detection_efficiency", "defect_rate", "test_automation_rate", "test_pass_rate",
    // §1 named inputs
    "sales_marketing_cost", "new_customers", "revenue", "market_revenue",
    "avg_purchase_value", "avg_purchases", "avg_customer_lifetime", "lost_customers",
    "customers_start", "customers_end", "early_churned_users", "new_users", "mrr_start",
    "expansion_mrr", "contraction_mrr", "churned_mrr", "promoters", "passives", "detractors",
    "positive_responses", "survey_responses", "paying_users", "total_users", "trial_signups",
    "visitors", "trial_conversions", "feature_users", "active_users", "activated_users",
    "onboarding_started", "onboarding_completed", "dau", "mau", "page_views", "clicks",
    "actions", "sessions", "total_session_duration", "tickets", "escalated_tickets",
    "total_first_response_time", "responded_tickets", "completed_points", "sprints",
    "on_time_deliveries", "deliveries", "available_capacity", "required_capacity",
    "defects_pre_release", "defects_post_release", "defects", "delivered_items",
    "automated_tests", "total_tests", "passed_tests", "executed_tests",
    // §2 events
    "wau", "time_to_value", "time_to_value_p90", "time_to_EVENT", "time_to_EVENT_p90",
    // §2 subscriptions
    "new_mrr", "reactivation_mrr", "reactivated_customers",
    // §2 tickets
    "first_response_time_median", "first_response_time_p90",
    "first_response_within_target_rate",
    // §3 funnels and retention
    "funnel_users", "funnel_conversion", "funnel_step_conversion", "funnel_median_time",
    "cohort_size", "retained_users",
};

// The worked example of each formula metric, inputs by name; the value is the
// one its `example` text states.
struct Example {
  std::string_view id;
  std::vector<std::pair<std::string_view, double>> inputs;
  double value;
};

const std::vector<Example> kExamples = {
    // 120 × 49.5 = 5940
    {"mrr", {{"customers", 120}, {"arpu", 49.5}}, 5940},
    // 5940 / 120 = 49.5
    {"arpu", {{"mrr", 5940}, {"customers", 120}}, 49.5},
    // 5940 × 12 = 71280
    {"arr", {{"mrr", 5940}}, 71280},
    // 80 × 2.5 = 200
    {"customer_value", {{"avg_purchase_value", 80}, {"avg_purchases", 2.5}}, 200},
    // 200 × 36 = 7200
    {"ltv", {{"customer_value", 200}, {"avg_customer_lifetime", 36}}, 7200},
    // 12000 / 40 = 300
    {"cac", {{"sales_marketing_cost", 12000}, {"new_customers", 40}}, 300},
    // 7200 / 300 = 24
    {"ltv_cac_ratio", {{"ltv", 7200}, {"cac", 300}}, 24},
    // 250000 × 100 / 10000000 = 2.5
    {"market_share", {{"revenue", 250000}, {"market_revenue", 10000000}}, 2.5},
    // 21 × 100 / 500 = 4.2
    {"churn_rate", {{"lost_customers", 21}, {"customers_start", 500}}, 4.2},
    // (520 − 41) × 100 / 500 = 95.8
    {"retention_rate", {{"customers_end", 520}, {"new_customers", 41}, {"customers_start", 500}}, 95.8},
    // 30 × 100 / 400 = 7.5
    {"early_churn_rate", {{"early_churned_users", 30}, {"new_users", 400}}, 7.5},
    // (10000 + 1200 − 300 − 500) × 100 / 10000 = 104
    {"net_revenue_retention",
     {{"mrr_start", 10000}, {"expansion_mrr", 1200}, {"contraction_mrr", 300}, {"churned_mrr", 500}},
     104},
    // (500 + 300) × 100 / 10000 = 8
    {"gross_mrr_churn_rate", {{"churned_mrr", 500}, {"contraction_mrr", 300}, {"mrr_start", 10000}}, 8},
    // (50 − 20) × 100 / (50 + 30 + 20) = 30
    {"nps", {{"promoters", 50}, {"passives", 30}, {"detractors", 20}}, 30},
    // 172 × 100 / 200 = 86
    {"csat", {{"positive_responses", 172}, {"survey_responses", 200}}, 86},
    // 45 × 100 / 1500 = 3
    {"conversion_rate", {{"paying_users", 45}, {"total_users", 1500}}, 3},
    // 240 × 100 / 8000 = 3
    {"visitor_to_trial_rate", {{"trial_signups", 240}, {"visitors", 8000}}, 3},
    // 60 × 100 / 8000 = 0.75
    {"visitor_to_sql_rate", {{"sqls", 60}, {"visitors", 8000}}, 0.75},
    // 84 × 100 / 240 = 35
    {"trial_to_pql_rate", {{"pqls", 84}, {"trial_signups", 240}}, 35},
    // 36 × 100 / 240 = 15
    {"trial_to_paid_rate", {{"trial_conversions", 36}, {"trial_signups", 240}}, 15},
    // 300 × 100 / 1500 = 20
    {"product_adoption_rate", {{"new_users", 300}, {"total_users", 1500}}, 20},
    // 270 × 100 / 900 = 30
    {"feature_adoption_rate", {{"feature_users", 270}, {"active_users", 900}}, 30},
    // 180 × 100 / 400 = 45
    {"activation_rate", {{"activated_users", 180}, {"new_users", 400}}, 45},
    // 150 × 100 / 200 = 75
    {"onboarding_completion_rate", {{"onboarding_completed", 150}, {"onboarding_started", 200}}, 75},
    // 180 × 100 / 900 = 20
    {"stickiness", {{"dau", 180}, {"mau", 900}}, 20},
    // 4200 / 1200 = 3.5
    {"pages_per_session", {{"page_views", 4200}, {"sessions", 1200}}, 3.5},
    // 3000 / 1200 = 2.5
    {"clicks_per_session", {{"clicks", 3000}, {"sessions", 1200}}, 2.5},
    // 9000 / 1200 = 7.5
    {"actions_per_session", {{"actions", 9000}, {"sessions", 1200}}, 7.5},
    // 540000 / 1200 = 450
    {"avg_session_duration", {{"total_session_duration", 540000}, {"sessions", 1200}}, 450},
    // tickets = 320
    {"ticket_count", {{"tickets", 320}}, 320},
    // 24 × 100 / 320 = 7.5
    {"escalation_rate", {{"escalated_tickets", 24}, {"tickets", 320}}, 7.5},
    // 1152000 / 300 = 3840
    {"first_response_time", {{"total_first_response_time", 1152000}, {"responded_tickets", 300}}, 3840},
    // 126 / 3 = 42
    {"velocity", {{"completed_points", 126}, {"sprints", 3}}, 42},
    // 34 × 100 / 40 = 85
    {"on_time_delivery_rate", {{"on_time_deliveries", 34}, {"deliveries", 40}}, 85},
    // 320 × 100 / 400 = 80
    {"resource_availability", {{"available_capacity", 320}, {"required_capacity", 400}}, 80},
    // 45 × 100 / (45 + 5) = 90
    {"defect_detection_efficiency", {{"defects_pre_release", 45}, {"defects_post_release", 5}}, 90},
    // 6 × 100 / 80 = 7.5
    {"defect_rate", {{"defects", 6}, {"delivered_items", 80}}, 7.5},
    // 680 × 100 / 800 = 85
    {"test_automation_rate", {{"automated_tests", 680}, {"total_tests", 800}}, 85},
    // 741 × 100 / 760 = 97.5
    {"test_pass_rate", {{"passed_tests", 741}, {"executed_tests", 760}}, 97.5},
};

std::vector<double> args_for(const kpi::MetricInfo& m, const Example& ex) {
  std::vector<double> args;
  for (std::string_view in : m.inputs) {
    const auto it = std::find_if(ex.inputs.begin(), ex.inputs.end(),
                                 [&](const auto& kv) { return kv.first == in; });
    if (it == ex.inputs.end()) {
      FAIL("example of " << m.id << " lacks input " << in);
      return {};
    }
    args.push_back(it->second);
  }
  return args;
}

}  // namespace

TEST_CASE("catalog: ids are unique and well formed", "[catalog]") {
  std::set<std::string_view> seen;
  for (const kpi::MetricInfo& m : kpi::catalog()) {
    INFO(m.id);
    CHECK(seen.insert(m.id).second);
    CHECK_FALSE(m.id.empty());
    // ids are snake_case (the EVENT placeholders keep their upper-case slot)
    const bool ok = std::all_of(m.id.begin(), m.id.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
             (c >= 'A' && c <= 'Z');
    });
    CHECK(ok);
  }
  CHECK(seen.size() == kpi::catalog().size());
}

TEST_CASE("catalog: every METRICS.md id is present", "[catalog]") {
  for (std::string_view id : kSpecIds) {
    INFO(id);
    CHECK(lookup(id) != nullptr);
  }
  // and nothing beyond the spec sneaked in
  for (const kpi::MetricInfo& m : kpi::catalog()) {
    INFO(m.id);
    CHECK(std::find(kSpecIds.begin(), kSpecIds.end(), m.id) != kSpecIds.end());
  }
}

TEST_CASE("catalog: formula metrics read catalogued inputs; measured ones read none",
          "[catalog]") {
  for (const kpi::MetricInfo& m : kpi::catalog()) {
    INFO(m.id);
    if (m.is_formula()) {
      CHECK_FALSE(m.inputs.empty());
      std::set<std::string_view> distinct(m.inputs.begin(), m.inputs.end());
      CHECK(distinct.size() == m.inputs.size());
      for (std::string_view in : m.inputs) {
        INFO("input " << in);
        CHECK(lookup(in) != nullptr);
        CHECK(in != m.id);  // never computed from itself
      }
    } else {
      CHECK(m.inputs.empty());
    }
  }
  // the ids §1 lists as inputs rather than formulas
  for (std::string_view id : {"customers", "mqls", "sqls", "pqls", "onboarding_views"}) {
    INFO(id);
    REQUIRE(lookup(id) != nullptr);
    CHECK_FALSE(lookup(id)->is_formula());
  }
}

TEST_CASE("catalog: every entry is documented", "[catalog]") {
  const std::set<std::string_view> sources = {"doc", "ChartMogul/Stripe Billing",
                                              "PostHog/Mixpanel/Amplitude",
                                              "Zendesk/Intercom", "ISTQB"};
  const std::set<std::string_view> kinds = {"summary", "events", "subscriptions", "tickets",
                                            "responses", "work_items"};
  for (const kpi::MetricInfo& m : kpi::catalog()) {
    INFO(m.id);
    CHECK_FALSE(m.formula.empty());
    CHECK_FALSE(m.description.empty());
    CHECK_FALSE(m.example.empty());
    CHECK_FALSE(m.produced_by.empty());
    CHECK(sources.count(m.source) == 1);
    // one line each
    CHECK(m.description.find('\n') == std::string_view::npos);
    CHECK(m.example.find('\n') == std::string_view::npos);
    // produced_by names known record kinds
    bool names_kind = false;
    for (std::string_view k : kinds) names_kind = names_kind || m.produced_by.find(k) != std::string_view::npos;
    CHECK(names_kind);
    // a formula with a division can be undefined, and says when
    if (m.is_formula() && m.formula.find('/') != std::string_view::npos)
      CHECK_FALSE(m.undefined_when.empty());
  }
}

TEST_CASE("catalog: units and signs", "[catalog]") {
  for (const kpi::MetricInfo& m : kpi::catalog()) {
    INFO(m.id);
    // every "× 100" formula is a percentage, except NPS, a score
    if (m.is_formula() && m.formula.find("× 100") != std::string_view::npos)
      CHECK(m.unit == (m.id == "nps" ? kpi::Unit::score : kpi::Unit::percent));
    if (m.id.ends_with("_rate")) CHECK(m.unit == kpi::Unit::percent);
    if (m.unit == kpi::Unit::count || m.unit == kpi::Unit::seconds ||
        m.unit == kpi::Unit::percent || m.unit == kpi::Unit::currency)
      CHECK(m.non_negative);
  }
  REQUIRE(lookup("nps") != nullptr);
  CHECK(lookup("nps")->unit == kpi::Unit::score);
  CHECK_FALSE(lookup("nps")->non_negative);
  CHECK(lookup("ltv_cac_ratio")->unit == kpi::Unit::times);
  CHECK(lookup("velocity")->unit == kpi::Unit::points);
  CHECK(lookup("completed_points")->unit == kpi::Unit::points);
  CHECK(lookup("pages_per_session")->unit == kpi::Unit::ratio);
  CHECK(lookup("avg_session_duration")->unit == kpi::Unit::seconds);
  CHECK(lookup("first_response_within_target_rate")->unit == kpi::Unit::percent);
  CHECK(lookup("time_to_EVENT")->unit == kpi::Unit::seconds);
  CHECK(lookup("time_to_EVENT_p90")->unit == kpi::Unit::seconds);
  CHECK(lookup("mrr")->unit == kpi::Unit::currency);
}

TEST_CASE("catalog: each formula reproduces its worked example", "[catalog]") {
  std::set<std::string_view> covered;
  for (const Example& ex : kExamples) {
    INFO(ex.id);
    const kpi::MetricInfo* m = lookup(ex.id);
    REQUIRE(m != nullptr);
    REQUIRE(m->is_formula());
    REQUIRE(ex.inputs.size() == m->inputs.size());
    const std::vector<double> args = args_for(*m, ex);
    const std::optional<double> v = m->compute(args.data());
    REQUIRE(v.has_value());
    CHECK(*v == Approx(ex.value));
    covered.insert(ex.id);
  }
  // every formula metric has an example here
  for (const kpi::MetricInfo& m : kpi::catalog()) {
    INFO(m.id);
    if (m.is_formula()) CHECK(covered.count(m.id) == 1);
  }
}

TEST_CASE("catalog: formulas never yield inf or nan", "[catalog]") {
  constexpr double kMax = std::numeric_limits<double>::max();
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  for (const kpi::MetricInfo& m : kpi::catalog()) {
    if (!m.is_formula()) continue;
    INFO(m.id);
    for (double fill : {0.0, 1.0, kMax, -kMax, kNaN, 1e-320}) {
      INFO("all inputs = " << fill);
      const std::vector<double> args(m.inputs.size(), fill);
      const std::optional<double> v = m.compute(args.data());
      if (v) CHECK((*v >= -kMax && *v <= kMax));
    }
  }
  // zero denominators give no value: churn_rate with customers_start = 0
  const double churn_args[] = {5, 0};
  CHECK_FALSE(lookup("churn_rate")->compute(churn_args).has_value());
}

TEST_CASE("catalog: report order follows METRICS.md", "[catalog]") {
  // sections in spec order, funnels and cohorts last
  const std::vector<std::string_view> heads = {
      "mrr", "churn_rate", "nps", "conversion_rate", "product_adoption_rate",
      "ticket_count", "velocity", "funnel_users", "cohort_size"};
  for (std::size_t i = 1; i < heads.size(); ++i) {
    INFO(heads[i - 1] << " before " << heads[i]);
    CHECK(index_of(heads[i - 1]) < index_of(heads[i]));
  }
  CHECK(kpi::catalog().front().id == "mrr");
  CHECK(kpi::catalog().back().id == "retained_users");

  // each measured input sits after the first formula that reads it
  const auto all = kpi::catalog();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].is_formula()) continue;
    for (std::size_t j = 0; j < all.size(); ++j) {
      const auto& ins = all[j].inputs;
      if (std::find(ins.begin(), ins.end(), all[i].id) == ins.end()) continue;
      INFO(all[i].id << " is first read by " << all[j].id);
      CHECK(j < i);
      break;
    }
  }
  // a few placements by hand
  CHECK(index_of("lost_customers") == index_of("churn_rate") + 1);
  CHECK(index_of("customers_start") == index_of("churn_rate") + 2);
  CHECK(index_of("tickets") == index_of("ticket_count") + 1);
  CHECK(index_of("first_response_time_median") > index_of("first_response_time"));
  CHECK(index_of("wau") > index_of("mau"));
}
