// Unit tests of kpi/formulas/: every formula on a worked example (arithmetic
// in the comments), its undefined cases, and compile-time evaluation.
#include <catch2/catch.hpp>

#include <array>
#include <limits>
#include <optional>
#include <span>

#include "kpi/formulas/formulas.hpp"

namespace f = kpi::formulas;

namespace {

constexpr double kMax = std::numeric_limits<double>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- constexpr-ness: each formula evaluates at compile time ------------------
// Exact equalities are chosen where the arithmetic is exact or correctly
// rounded (x × 100 / y with integer inputs is one rounding).
static_assert(f::is_finite(1.0) && !f::is_finite(kInf) && !f::is_finite(-kInf) && !f::is_finite(kNaN));
static_assert(*f::percent_of(21, 500) == 4.2);  // 2100 / 500, correctly rounded
static_assert(!f::percent_of(1, 0) && !f::ratio_of(1, 0));
static_assert(*f::product_of(120, 49.5) == 5940.0);

static_assert(*f::mrr(120, 49.5) == 5940.0);
static_assert(*f::arpu(5940, 120) == 49.5);
static_assert(!f::arpu(5940, 0));
static_assert(*f::arr(5940) == 71280.0);
static_assert(*f::customer_value(80, 2.5) == 200.0);
static_assert(*f::ltv(200, 36) == 7200.0);
static_assert(*f::cac(12000, 40) == 300.0);
static_assert(!f::cac(12000, 0));
static_assert(*f::ltv_cac_ratio(7200, 300) == 24.0);
static_assert(!f::ltv_cac_ratio(7200, 0));
static_assert(*f::market_share(250000, 10000000) == 2.5);
static_assert(!f::market_share(250000, 0));
static_assert(*f::customer_lifetime_months(1, 4) == 25.0);
static_assert(!f::customer_lifetime_months(1, 0));
static_assert(*f::subscription_ltv(49.5, 1, 4) == 1237.5);
static_assert(!f::subscription_ltv(49.5, 1, 0));

static_assert(*f::churn_rate(21, 500) == 4.2);
static_assert(!f::churn_rate(21, 0));
static_assert(*f::retention_rate(520, 41, 500) == 95.8);
static_assert(!f::retention_rate(520, 41, 0));
static_assert(*f::early_churn_rate(30, 400) == 7.5);
static_assert(!f::early_churn_rate(0, 0));
static_assert(*f::net_revenue_retention(10000, 1200, 300, 500) == 104.0);
static_assert(!f::net_revenue_retention(0, 1200, 0, 0));
static_assert(*f::gross_mrr_churn_rate(500, 300, 10000) == 8.0);
static_assert(!f::gross_mrr_churn_rate(500, 300, 0));

static_assert(*f::nps(50, 30, 20) == 30.0);
static_assert(!f::nps(0, 0, 0));
static_assert(*f::csat(172, 200) == 86.0);
static_assert(!f::csat(0, 0));

static_assert(*f::conversion_rate(45, 1500) == 3.0);
static_assert(*f::visitor_to_trial_rate(240, 8000) == 3.0);
static_assert(*f::visitor_to_sql_rate(60, 8000) == 0.75);
static_assert(*f::trial_to_pql_rate(84, 240) == 35.0);
static_assert(*f::trial_to_paid_rate(36, 240) == 15.0);
static_assert(!f::conversion_rate(0, 0) && !f::visitor_to_trial_rate(1, 0) &&
              !f::visitor_to_sql_rate(1, 0) && !f::trial_to_pql_rate(1, 0) &&
              !f::trial_to_paid_rate(1, 0));

static_assert(*f::product_adoption_rate(300, 1500) == 20.0);
static_assert(*f::feature_adoption_rate(270, 900) == 30.0);
static_assert(*f::activation_rate(180, 400) == 45.0);
static_assert(*f::onboarding_completion_rate(150, 200) == 75.0);
static_assert(*f::stickiness(180, 900) == 20.0);
static_assert(*f::pages_per_session(4200, 1200) == 3.5);
static_assert(*f::clicks_per_session(3000, 1200) == 2.5);
static_assert(*f::actions_per_session(9000, 1200) == 7.5);
static_assert(*f::avg_session_duration(540000, 1200) == 450.0);

static_assert(*f::ticket_count(320) == 320.0);
static_assert(*f::escalation_rate(24, 320) == 7.5);
static_assert(*f::first_response_time(1152000, 300) == 3840.0);

static_assert(*f::velocity(126, 3) == 42.0);
static_assert(*f::on_time_delivery_rate(34, 40) == 85.0);
static_assert(*f::resource_availability(320, 400) == 80.0);
static_assert(*f::defect_detection_efficiency(45, 5) == 90.0);
static_assert(!f::defect_detection_efficiency(0, 0));
static_assert(*f::defect_rate(6, 80) == 7.5);
static_assert(*f::test_automation_rate(680, 800) == 85.0);
static_assert(*f::test_pass_rate(741, 760) == 97.5);

constexpr std::array<double, 4> kOneToFour{1, 2, 3, 4};
static_assert(*f::median_sorted(kOneToFour) == 2.5);
static_assert(*f::percentile_sorted(kOneToFour, 0.0) == 1.0);
static_assert(*f::percentile_sorted(kOneToFour, 1.0) == 4.0);
static_assert(!f::median_sorted(std::span<const double>{}));

}  // namespace

TEST_CASE("common helpers: ratio, percent, product, finiteness", "[formulas]") {
  // 420 / 120 = 3.5
  CHECK(*f::ratio_of(420, 120) == Approx(3.5));
  // 21 × 100 / 500 = 4.2 — and exactly the double 4.2, not 4.200000000000001
  CHECK(*f::percent_of(21, 500) == 4.2);
  // 7 × 100 / 100 = 7 (where 7 / 100 × 100 would be 7.000000000000001)
  CHECK(*f::percent_of(7, 100) == 7.0);
  CHECK_FALSE(f::ratio_of(5, 0).has_value());
  CHECK_FALSE(f::percent_of(5, 0).has_value());
  CHECK_FALSE(f::percent_of(0, 0).has_value());
  CHECK_FALSE(f::ratio_of(5, -0.0).has_value());
  // Overflow is no value, never inf.
  CHECK_FALSE(f::product_of(kMax, 2).has_value());
  CHECK_FALSE(f::ratio_of(kMax, 0.5).has_value());
  // part × 100 overflows but the percentage itself is representable:
  // 1e307 / 1e308 × 100 = 10.
  CHECK(*f::percent_of(1e307, 1e308) == Approx(10.0));
  CHECK_FALSE(f::percent_of(kMax, 1e-10).has_value());
  // Non-finite inputs never leak out.
  CHECK_FALSE(f::ratio_of(kNaN, 2).has_value());
  CHECK_FALSE(f::ratio_of(2, kNaN).has_value());
  CHECK_FALSE(f::percent_of(kInf, 2).has_value());
  CHECK_FALSE(f::finite_or_null(-kInf).has_value());
  CHECK(*f::finite_or_null(-3.0) == -3.0);
}

TEST_CASE("revenue and business formulas", "[formulas][revenue]") {
  SECTION("mrr = customers × arpu") {
    // 120 × 49.5 = 5940
    CHECK(*f::mrr(120, 49.5) == Approx(5940));
    CHECK(*f::mrr(0, 49.5) == Approx(0));  // no customers: 0, a real value
    CHECK_FALSE(f::mrr(kMax, 10).has_value());
  }
  SECTION("arpu = mrr / customers") {
    // 5940 / 120 = 49.5
    CHECK(*f::arpu(5940, 120) == Approx(49.5));
    // 1000 / 3 = 333.333…
    CHECK(*f::arpu(1000, 3) == Approx(333.3333333333));
    CHECK_FALSE(f::arpu(5940, 0).has_value());
  }
  SECTION("arr = mrr × 12") {
    // 5940 × 12 = 71280
    CHECK(*f::arr(5940) == Approx(71280));
    CHECK_FALSE(f::arr(kMax).has_value());
  }
  SECTION("customer_value = avg_purchase_value × avg_purchases") {
    // 80 × 2.5 = 200
    CHECK(*f::customer_value(80, 2.5) == Approx(200));
  }
  SECTION("ltv = customer_value × avg_customer_lifetime") {
    // 200 × 36 = 7200
    CHECK(*f::ltv(200, 36) == Approx(7200));
  }
  SECTION("cac = sales_marketing_cost / new_customers") {
    // 12000 / 40 = 300
    CHECK(*f::cac(12000, 40) == Approx(300));
    CHECK_FALSE(f::cac(12000, 0).has_value());
  }
  SECTION("ltv_cac_ratio = ltv / cac") {
    // 7200 / 300 = 24
    CHECK(*f::ltv_cac_ratio(7200, 300) == Approx(24));
    CHECK_FALSE(f::ltv_cac_ratio(7200, 0).has_value());
  }
  SECTION("market_share = revenue / market_revenue × 100") {
    // 250000 × 100 / 10000000 = 2.5
    CHECK(*f::market_share(250000, 10000000) == Approx(2.5));
    CHECK_FALSE(f::market_share(250000, 0).has_value());
  }
  SECTION("subscription lifetime and ltv") {
    // month, 4% churn: 1 × 100 / 4 = 25 months; ltv = 49.5 × 25 = 1237.5
    CHECK(*f::customer_lifetime_months(1, 4) == Approx(25));
    CHECK(*f::subscription_ltv(49.5, 1, 4) == Approx(1237.5));
    // quarter, 7.5% churn: 3 × 100 / 7.5 = 40 months; ltv = 30 × 40 = 1200
    CHECK(*f::customer_lifetime_months(3, 7.5) == Approx(40));
    CHECK(*f::subscription_ltv(30, 3, 7.5) == Approx(1200));
    // week, 1% churn: (12/52) × 100 / 1 = 23.0769… months; ltv = 52 × 23.0769… = 1200
    CHECK(*f::subscription_ltv(52, 12.0 / 52.0, 1) == Approx(1200));
    // ltv equals arpu × the reported lifetime
    CHECK(*f::subscription_ltv(49.5, 1, 4) ==
          Approx(49.5 * *f::customer_lifetime_months(1, 4)));
    // churn 0: nobody leaves, no finite lifetime
    CHECK_FALSE(f::customer_lifetime_months(1, 0).has_value());
    CHECK_FALSE(f::subscription_ltv(49.5, 1, 0).has_value());
    // a tiny churn overflowing the product is no value either
    CHECK_FALSE(f::subscription_ltv(kMax, 1, 1).has_value());
  }
}

TEST_CASE("retention and churn formulas", "[formulas][retention]") {
  SECTION("churn_rate = lost_customers / customers_start × 100") {
    // 21 × 100 / 500 = 4.2
    CHECK(*f::churn_rate(21, 500) == Approx(4.2));
    CHECK(*f::churn_rate(0, 500) == Approx(0));
    CHECK_FALSE(f::churn_rate(21, 0).has_value());
    CHECK_FALSE(f::churn_rate(0, 0).has_value());
  }
  SECTION("retention_rate = (customers_end − new_customers) / customers_start × 100") {
    // (520 − 41) × 100 / 500 = 47900 / 500 = 95.8
    CHECK(*f::retention_rate(520, 41, 500) == Approx(95.8));
    // retention = 100 − churn when new_customers are the ones active only at the end:
    // start 500, 21 lost, 41 new → end 520 → 95.8 = 100 − 4.2
    CHECK(*f::retention_rate(520, 41, 500) == Approx(100 - *f::churn_rate(21, 500)));
    CHECK_FALSE(f::retention_rate(41, 41, 0).has_value());
  }
  SECTION("early_churn_rate = early_churned_users / new_users × 100") {
    // 30 × 100 / 400 = 7.5
    CHECK(*f::early_churn_rate(30, 400) == Approx(7.5));
    CHECK_FALSE(f::early_churn_rate(0, 0).has_value());
  }
  SECTION("net_revenue_retention") {
    // (10000 + 1200 − 300 − 500) × 100 / 10000 = 10400 × 100 / 10000 = 104
    CHECK(*f::net_revenue_retention(10000, 1200, 300, 500) == Approx(104));
    // everything churned: (800 + 0 − 0 − 800) / 800 = 0
    CHECK(*f::net_revenue_retention(800, 0, 0, 800) == Approx(0));
    CHECK_FALSE(f::net_revenue_retention(0, 1200, 0, 0).has_value());
  }
  SECTION("gross_mrr_churn_rate = (churned_mrr + contraction_mrr) / mrr_start × 100") {
    // (500 + 300) × 100 / 10000 = 8
    CHECK(*f::gross_mrr_churn_rate(500, 300, 10000) == Approx(8));
    CHECK_FALSE(f::gross_mrr_churn_rate(500, 300, 0).has_value());
  }
}

TEST_CASE("satisfaction formulas", "[formulas][satisfaction]") {
  SECTION("nps") {
    // (50 − 20) × 100 / (50 + 30 + 20) = 3000 / 100 = 30
    CHECK(*f::nps(50, 30, 20) == Approx(30));
    // all detractors: (0 − 7) × 100 / 7 = −100
    CHECK(*f::nps(0, 0, 7) == Approx(-100));
    // all promoters: 100
    CHECK(*f::nps(9, 0, 0) == Approx(100));
    // (2 − 5) × 100 / (2 + 4 + 5) = −300 / 11 = −27.2727…
    CHECK(*f::nps(2, 4, 5) == Approx(-27.272727));
    // only passives: 0 / 3 = 0, a real score
    CHECK(*f::nps(0, 3, 0) == Approx(0));
    CHECK_FALSE(f::nps(0, 0, 0).has_value());
  }
  SECTION("csat = positive_responses / survey_responses × 100") {
    // 172 × 100 / 200 = 86
    CHECK(*f::csat(172, 200) == Approx(86));
    // 2 × 100 / 3 = 66.666…
    CHECK(*f::csat(2, 3) == Approx(66.666667));
    CHECK_FALSE(f::csat(0, 0).has_value());
  }
}

TEST_CASE("conversion formulas", "[formulas][conversion]") {
  // 45 × 100 / 1500 = 3
  CHECK(*f::conversion_rate(45, 1500) == Approx(3));
  CHECK_FALSE(f::conversion_rate(45, 0).has_value());
  // 240 × 100 / 8000 = 3
  CHECK(*f::visitor_to_trial_rate(240, 8000) == Approx(3));
  CHECK_FALSE(f::visitor_to_trial_rate(240, 0).has_value());
  // 60 × 100 / 8000 = 0.75
  CHECK(*f::visitor_to_sql_rate(60, 8000) == Approx(0.75));
  CHECK_FALSE(f::visitor_to_sql_rate(60, 0).has_value());
  // 84 × 100 / 240 = 35
  CHECK(*f::trial_to_pql_rate(84, 240) == Approx(35));
  CHECK_FALSE(f::trial_to_pql_rate(84, 0).has_value());
  // 36 × 100 / 240 = 15
  CHECK(*f::trial_to_paid_rate(36, 240) == Approx(15));
  CHECK_FALSE(f::trial_to_paid_rate(36, 0).has_value());
}

TEST_CASE("adoption and engagement formulas", "[formulas][engagement]") {
  // 300 × 100 / 1500 = 20
  CHECK(*f::product_adoption_rate(300, 1500) == Approx(20));
  CHECK_FALSE(f::product_adoption_rate(0, 0).has_value());
  // 270 × 100 / 900 = 30
  CHECK(*f::feature_adoption_rate(270, 900) == Approx(30));
  CHECK_FALSE(f::feature_adoption_rate(1, 0).has_value());
  // 180 × 100 / 400 = 45
  CHECK(*f::activation_rate(180, 400) == Approx(45));
  CHECK_FALSE(f::activation_rate(0, 0).has_value());
  // 150 × 100 / 200 = 75
  CHECK(*f::onboarding_completion_rate(150, 200) == Approx(75));
  CHECK_FALSE(f::onboarding_completion_rate(0, 0).has_value());
  // 180 × 100 / 900 = 20
  CHECK(*f::stickiness(180, 900) == Approx(20));
  // dau 12.5 (a mean), mau 37.5: 1250 / 37.5 = 33.333…
  CHECK(*f::stickiness(12.5, 37.5) == Approx(33.333333));
  CHECK_FALSE(f::stickiness(0, 0).has_value());
  // 4200 / 1200 = 3.5
  CHECK(*f::pages_per_session(4200, 1200) == Approx(3.5));
  CHECK_FALSE(f::pages_per_session(4200, 0).has_value());
  // 3000 / 1200 = 2.5
  CHECK(*f::clicks_per_session(3000, 1200) == Approx(2.5));
  CHECK_FALSE(f::clicks_per_session(3000, 0).has_value());
  // 9000 / 1200 = 7.5
  CHECK(*f::actions_per_session(9000, 1200) == Approx(7.5));
  CHECK_FALSE(f::actions_per_session(9000, 0).has_value());
  // 540000 s / 1200 = 450 s
  CHECK(*f::avg_session_duration(540000, 1200) == Approx(450));
  CHECK_FALSE(f::avg_session_duration(0, 0).has_value());
}

TEST_CASE("support formulas", "[formulas][support]") {
  // ticket_count is the count itself: 320
  CHECK(*f::ticket_count(320) == Approx(320));
  CHECK(*f::ticket_count(0) == Approx(0));
  CHECK_FALSE(f::ticket_count(kInf).has_value());
  // 24 × 100 / 320 = 7.5
  CHECK(*f::escalation_rate(24, 320) == Approx(7.5));
  CHECK_FALSE(f::escalation_rate(0, 0).has_value());
  // 1152000 / 300 = 3840 s
  CHECK(*f::first_response_time(1152000, 300) == Approx(3840));
  CHECK_FALSE(f::first_response_time(0, 0).has_value());
}

TEST_CASE("delivery and quality formulas", "[formulas][delivery]") {
  // 126 / 3 = 42
  CHECK(*f::velocity(126, 3) == Approx(42));
  CHECK_FALSE(f::velocity(126, 0).has_value());
  // 34 × 100 / 40 = 85
  CHECK(*f::on_time_delivery_rate(34, 40) == Approx(85));
  CHECK_FALSE(f::on_time_delivery_rate(0, 0).has_value());
  // 320 × 100 / 400 = 80; over-staffed 500 / 400 = 125
  CHECK(*f::resource_availability(320, 400) == Approx(80));
  CHECK(*f::resource_availability(500, 400) == Approx(125));
  CHECK_FALSE(f::resource_availability(320, 0).has_value());
  // 45 × 100 / (45 + 5) = 4500 / 50 = 90
  CHECK(*f::defect_detection_efficiency(45, 5) == Approx(90));
  // nothing escaped: 12 / 12 = 100; nothing caught: 0 / 3 = 0
  CHECK(*f::defect_detection_efficiency(12, 0) == Approx(100));
  CHECK(*f::defect_detection_efficiency(0, 3) == Approx(0));
  CHECK_FALSE(f::defect_detection_efficiency(0, 0).has_value());
  // 6 × 100 / 80 = 7.5
  CHECK(*f::defect_rate(6, 80) == Approx(7.5));
  CHECK_FALSE(f::defect_rate(6, 0).has_value());
  // 680 × 100 / 800 = 85
  CHECK(*f::test_automation_rate(680, 800) == Approx(85));
  CHECK_FALSE(f::test_automation_rate(0, 0).has_value());
  // 741 × 100 / 760 = 97.5
  CHECK(*f::test_pass_rate(741, 760) == Approx(97.5));
  CHECK_FALSE(f::test_pass_rate(0, 0).has_value());
}

TEST_CASE("percentiles interpolate linearly (type 7)", "[formulas][stats]") {
  const std::array<double, 4> x{1, 2, 3, 4};
  // h = (4 − 1) × 0.9 = 2.7 → x[2] + 0.7 × (x[3] − x[2]) = 3 + 0.7 = 3.7
  CHECK(*f::percentile_sorted(x, 0.9) == Approx(3.7));
  // even count: median is the mean of the middle two, (2 + 3) / 2 = 2.5
  CHECK(*f::median_sorted(x) == Approx(2.5));
  // h = 3 × 0.25 = 0.75 → 1 + 0.75 × 1 = 1.75 (NumPy: np.percentile([1,2,3,4], 25))
  CHECK(*f::percentile_sorted(x, 0.25) == Approx(1.75));
  // ends are the extremes
  CHECK(*f::percentile_sorted(x, 0.0) == Approx(1));
  CHECK(*f::percentile_sorted(x, 1.0) == Approx(4));

  SECTION("odd count: the median is the middle value") {
    const std::array<double, 5> y{10, 20, 30, 1000, 5000};
    // h = 4 × 0.5 = 2 → y[2] = 30
    CHECK(*f::median_sorted(y) == Approx(30));
    // h = 4 × 0.9 = 3.6 → 1000 + 0.6 × (5000 − 1000) = 3400
    CHECK(*f::percentile_sorted(y, 0.9) == Approx(3400));
  }
  SECTION("response times, seconds") {
    // 10m, 20m, 40m, 80m: median (1200 + 2400) / 2 = 1800;
    // p90: h = 2.7 → 2400 + 0.7 × (4800 − 2400) = 4080
    const std::array<double, 4> t{600, 1200, 2400, 4800};
    CHECK(*f::median_sorted(t) == Approx(1800));
    CHECK(*f::percentile_sorted(t, 0.9) == Approx(4080));
  }
  SECTION("one value is every percentile") {
    const std::array<double, 1> one{42};
    CHECK(*f::median_sorted(one) == Approx(42));
    CHECK(*f::percentile_sorted(one, 0.9) == Approx(42));
    CHECK(*f::percentile_sorted(one, 1.0) == Approx(42));
  }
  SECTION("ties and zeros") {
    // h = 3 × 0.9 = 2.7 → 0 + 0.7 × (5 − 0) = 3.5
    const std::array<double, 4> z{0, 0, 0, 5};
    CHECK(*f::median_sorted(z) == Approx(0));
    CHECK(*f::percentile_sorted(z, 0.9) == Approx(3.5));
  }
  SECTION("undefined, and extremes") {
    CHECK_FALSE(f::median_sorted({}).has_value());
    CHECK_FALSE(f::percentile_sorted({}, 0.9).has_value());
    CHECK_FALSE(f::percentile_sorted(x, -0.1).has_value());
    CHECK_FALSE(f::percentile_sorted(x, 1.1).has_value());
    CHECK_FALSE(f::percentile_sorted(x, kNaN).has_value());
    // the gap between ±max overflows, the interpolated value does not:
    // −max × 0.5 + max × 0.5 = 0
    const std::array<double, 2> huge{-kMax, kMax};
    CHECK(*f::median_sorted(huge) == Approx(0));
    // but a whole h never touches the difference: h = 1 × 1 = 1 → max
    CHECK(*f::percentile_sorted(huge, 1.0) == kMax);
  }
}
