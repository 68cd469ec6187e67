// kpi check: rule parsing, evaluation on hand-built ResultSets, exit codes and
// every report format (JUnit validated by libxml2 against tests/data/junit.xsd).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../../src/check/internal.hpp"
#include "kpi/check.hpp"

using namespace kpi;
using namespace kpi::check;

namespace {

Rule rule(std::string_view text) {
  Location where;
  where.file = "--rule";
  where.line = 1;
  auto r = parse_rule(text, where);
  if (!r) FAIL("parse_rule(\"" << std::string(text) << "\"): " << r.error().render());
  return *r;
}

Error parse_error(std::string_view text) {
  Location where;
  where.file = "--rule";
  where.line = 1;
  auto r = parse_rule(text, where);
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

Result res(std::string metric, std::string period, std::optional<double> value, Dims dims = {}) {
  return Result{std::move(metric), std::move(period), std::move(dims), value};
}

// churn_rate over three months: 4.2 (21 lost / 500), 5 (25 / 500, exactly at a
// threshold of 5), 6.1 (61 / 1000); mrr 10000 → 9250 → 9500.
ResultSet monthly() {
  ResultSet rs;
  rs.results = {
      res("mrr", "2025-01", 10000), res("mrr", "2025-02", 9250), res("mrr", "2025-03", 9500),
      res("churn_rate", "2025-01", 21.0 / 500 * 100), res("churn_rate", "2025-02", 25.0 / 500 * 100),
      res("churn_rate", "2025-03", 61.0 / 1000 * 100),
  };
  rs.inputs.files = {"summary.csv"};
  rs.inputs.kind = "summary";
  rs.inputs.rows = 3;
  return rs;
}

Report run(const std::vector<std::string>& rules, const ResultSet& rs, bool strict = false) {
  std::vector<Rule> parsed;
  parsed.reserve(rules.size());
  for (const auto& r : rules) parsed.push_back(rule(r));
  return evaluate_rules(parsed, rs, Options{strict});
}

std::string render(const Report& report, Format f, bool color = false) {
  std::ostringstream out;
  write_report(out, report, f, color);
  return out.str();
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

// ---- parsing -----------------------------------------------------------------

TEST_CASE("check: a plain rule parses into its parts", "[check][parse]") {
  const Rule r = rule("churn_rate <= 5");
  CHECK(r.level == Level::fail);
  CHECK(r.metric == "churn_rate");
  CHECK(r.filter.empty());
  CHECK(r.subject == Subject::value);
  CHECK(r.op == Op::le);
  CHECK(r.threshold == 5);
  CHECK(r.scope == Scope::every);
  CHECK(r.text == "churn_rate <= 5");
  CHECK(r.where.column == 1);
}

TEST_CASE("check: every operator, level and whitespace style", "[check][parse]") {
  struct Case { const char* text; Op op; Level level; };
  const Case cases[] = {
      {"churn_rate < 5", Op::lt, Level::fail},     {"churn_rate<=5", Op::le, Level::fail},
      {"warn: churn_rate > 5", Op::gt, Level::warn}, {"warn:churn_rate>=5", Op::ge, Level::warn},
      {"  fail :  churn_rate   ==   5  ", Op::eq, Level::fail}, {"fail: churn_rate != 5", Op::ne, Level::fail},
      {"\twarn\t:\tchurn_rate\t<\t5", Op::lt, Level::warn},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const Rule r = rule(c.text);
    CHECK(r.op == c.op);
    CHECK(r.level == c.level);
    CHECK(r.metric == "churn_rate");
    CHECK(r.threshold == 5);
  }
  CHECK(rule("  fail :  churn_rate   ==   5  ").text == "fail :  churn_rate   ==   5");
  CHECK(rule("  fail :  churn_rate   ==   5  ").where.column == 3);
}

TEST_CASE("check: numbers are signed decimals with an optional exponent", "[check][parse]") {
  CHECK(rule("nps >= -5").threshold == -5);
  CHECK(rule("nps >= +5").threshold == 5);
  CHECK(rule("nps >= 4.25").threshold == 4.25);
  CHECK(rule("nps >= .5").threshold == 0.5);
  CHECK(rule("mrr >= 1.5e3").threshold == 1500);
  CHECK(rule("mrr >= 12000").threshold == 12000);
  CHECK(rule("churn_rate <= 5%").threshold == 5);  // % allowed: churn_rate is a percent
  CHECK(rule("churn_rate <= 5 %").threshold == 5);
}

TEST_CASE("check: between, change, change_abs, scopes and filters", "[check][parse]") {
  const Rule b = rule("stickiness between 10 and 60");
  CHECK(b.op == Op::between);
  CHECK(b.threshold == 10);
  CHECK(b.upper == 60);
  CHECK(rule("stickiness between 10 and 10").upper == 10);  // a single point is a valid range

  const Rule c = rule("mrr change >= -5%");
  CHECK(c.subject == Subject::change);
  CHECK(c.op == Op::ge);
  CHECK(c.threshold == -5);

  const Rule cb = rule("mrr change between -5% and 10%");
  CHECK(cb.subject == Subject::change);
  CHECK(cb.op == Op::between);
  CHECK(cb.threshold == -5);
  CHECK(cb.upper == 10);

  const Rule ca = rule("customers change_abs > 0 @2025-03");
  CHECK(ca.subject == Subject::change_abs);
  CHECK(ca.scope == Scope::period);
  CHECK(ca.period == "2025-03");

  CHECK(rule("warn: nps >= 30 @latest").scope == Scope::latest);
  CHECK(rule("nps >= 30 @ latest").scope == Scope::latest);
  const Rule row = rule("nps >= 30 @row 2");
  CHECK(row.scope == Scope::period);
  CHECK(row.period == "row 2");
  const Rule quoted = rule("nps >= 30 @\"latest\"");
  CHECK(quoted.scope == Scope::period);
  CHECK(quoted.period == "latest");

  const Rule f = rule("churn_rate{plan=pro, region = eu west } < 3");
  REQUIRE(f.filter.size() == 2);
  CHECK(f.filter[0] == std::pair<std::string, std::string>{"plan", "pro"});
  CHECK(f.filter[1] == std::pair<std::string, std::string>{"region", "eu west"});
  const Rule fq = rule(R"(churn_rate{plan="pro, annual}", tier=""} < 3 # quoted values keep , } and #)");
  REQUIRE(fq.filter.size() == 2);
  CHECK(fq.filter[0].second == "pro, annual}");
  CHECK(fq.filter[1].second.empty());
  CHECK(fq.text == R"(churn_rate{plan="pro, annual}", tier=""} < 3)");

  const Rule all = rule("warn: feature_adoption_rate{feature=export} change_abs >= -2 @2025-W10  # trailing");
  CHECK(all.level == Level::warn);
  CHECK(all.metric == "feature_adoption_rate");
  CHECK(all.filter.size() == 1);
  CHECK(all.subject == Subject::change_abs);
  CHECK(all.threshold == -2);
  CHECK(all.period == "2025-W10");

  // time_to_<event> comes from --time-to and is not in the catalog by name.
  CHECK(rule("time_to_invite <= 3600").metric == "time_to_invite");
  CHECK(rule("time_to_sign-up_p90 <= 86400").metric == "time_to_sign-up_p90");
}

TEST_CASE("check: parse errors point at the column and say expected/got", "[check][parse]") {
  SECTION("unknown metric: did you mean") {
    const Error e = parse_error("warn: churn_rat <= 5");
    CHECK(e.where().column == 7);
    CHECK(e.where().file == "--rule");
    CHECK(e.where().line == 1);
    CHECK(e.message().find("unknown metric 'churn_rat'") != std::string::npos);
    CHECK(e.message().find("did you mean 'churn_rate'") != std::string::npos);
    CHECK(e.render() == "--rule:1:7: unknown metric 'churn_rat'; did you mean 'churn_rate', "
                        "'early_churn_rate' or 'gross_mrr_churn_rate'?\n"
                        "  warn: churn_rat <= 5\n"
                        "        ^");
  }
  SECTION("unknown metric without a close match") {
    const Error e = parse_error("zzzzzzzzzzzz < 1");
    CHECK(e.message() == "unknown metric 'zzzzzzzzzzzz' ('kpi list' shows every metric)");
  }
  SECTION("operator typos get a hint") {
    const Error e = parse_error("churn_rate =< 5");
    CHECK(e.where().column == 12);
    CHECK(e.message() ==
          "expected an operator (<, <=, >, >=, ==, !=), 'between', 'change' or 'change_abs' after "
          "'churn_rate', got '=<' (did you mean '<='?)");
    CHECK(parse_error("churn_rate = 5").message().find("did you mean '=='?") != std::string::npos);
    CHECK(parse_error("churn_rate <> 5").message().find("did you mean '!='?") != std::string::npos);
    CHECK(parse_error("churn_rate \xE2\x89\xA4 5").message().find("did you mean '<='?") != std::string::npos);
    CHECK(parse_error("churn_rate is 5").message().find("got 'is'") != std::string::npos);
  }
  SECTION("numbers") {
    const Error e = parse_error("churn_rate <= five");
    CHECK(e.where().column == 15);
    CHECK(e.message() == "expected a number after '<=', got 'five'");
    CHECK(parse_error("churn_rate <= 5k").message() == "expected a number after '<=', got '5k'");
    CHECK(parse_error("churn_rate <=").message() == "expected a number after '<=', got end of rule");
    CHECK(parse_error("churn_rate <= 1,5").message().find("got ','") != std::string::npos);
  }
  SECTION("percent signs") {
    const Error no_pct = parse_error("mrr change >= -5");
    CHECK(no_pct.where().column == 17);
    CHECK(no_pct.message().find("expected '%' after -5") != std::string::npos);
    CHECK(no_pct.message().find("change_abs") != std::string::npos);
    const Error abs_pct = parse_error("churn_rate change_abs <= 1%");
    CHECK(abs_pct.where().column == 27);
    CHECK(abs_pct.message().find("unexpected '%'") != std::string::npos);
    const Error cur_pct = parse_error("mrr >= 5%");
    CHECK(cur_pct.message() == "unexpected '%': mrr is in currency, not percent; write the plain number");
  }
  SECTION("levels, between, filters, scopes, leftovers") {
    const Error lvl = parse_error("error: churn_rate <= 5");
    CHECK(lvl.where().column == 1);
    CHECK(lvl.message() == "expected the level 'warn' or 'fail' before ':', got 'error'");
    const Error rev = parse_error("stickiness between 60 and 10");
    CHECK(rev.where().column == 20);
    CHECK(rev.message().find("expected the lower bound first") != std::string::npos);
    CHECK(parse_error("stickiness between 10 or 60").message() ==
          "expected 'and' after the lower bound of 'between', got 'or'");
    CHECK(parse_error("churn_rate{plan=pro <= 5").message().find("expected ',' or '}'") != std::string::npos);
    CHECK(parse_error("churn_rate{plan} <= 5").message().find("expected '=' after the dimension name 'plan'") !=
          std::string::npos);
    CHECK(parse_error("churn_rate{plan=} <= 5").message().find("expected a value after 'plan='") !=
          std::string::npos);
    CHECK(parse_error("churn_rate{plan=a,plan=b} <= 5").message() == "dimension 'plan' is given twice");
    CHECK(parse_error("churn_rate <= 5 @").message().find("after '@', got end of rule") != std::string::npos);
    CHECK(parse_error("churn_rate <= 5 @latest please").message() ==
          "expected the end of the rule after '@latest', got 'please'");
    const Error extra = parse_error("churn_rate <= 5 and more");
    CHECK(extra.where().column == 17);
    CHECK(extra.message() == "expected '@latest', '@PERIOD' or the end of the rule, got 'and'");
    CHECK(parse_error("   ").message().find("got an empty rule") != std::string::npos);
    CHECK(parse_error("# only a comment").message().find("got an empty rule") != std::string::npos);
    CHECK(parse_error("<= 5").message() == "expected a metric id, got '<='");
  }
}

TEST_CASE("check: rules files skip comments and blank lines, report every bad line", "[check][parse]") {
  const std::string file =
      "# KPI gates for the monthly report\n"
      "\n"
      "churn_rate <= 5          # hard gate\r\n"
      "   # indented comment\n"
      "warn: nps >= 30 @latest\n"
      "stickness between 10 and 60\n"
      "mrr change >= -5%";
  const ParsedRules parsed = parse_rules(file, "rules.txt");
  REQUIRE(parsed.rules.size() == 3);
  CHECK(parsed.rules[0].text == "churn_rate <= 5");
  CHECK(parsed.rules[0].where.line == 3);
  CHECK(parsed.rules[1].where.line == 5);
  CHECK(parsed.rules[2].where.line == 7);
  REQUIRE(parsed.errors.size() == 1);
  const Error& e = parsed.errors[0];
  CHECK(e.where().file == "rules.txt");
  CHECK(e.where().line == 6);
  CHECK(e.where().column == 1);
  CHECK(e.render() ==
        "rules.txt:6:1: unknown metric 'stickness'; did you mean 'stickiness' or 'tickets'?\n"
        "  stickness between 10 and 60\n"
        "  ^");

  const ParsedRules two = parse_rules("churn_rate <= five\nnps >= 30\nnps >> 3\n", "r.txt");
  CHECK(two.rules.size() == 1);
  REQUIRE(two.errors.size() == 2);
  CHECK(two.errors[0].where().line == 1);
  CHECK(two.errors[1].where().line == 3);

  const ParsedRules none = parse_rules("# nothing\n\n   \n", "empty.txt");
  CHECK(none.rules.empty());
  REQUIRE(none.errors.size() == 1);
  CHECK(none.errors[0].render().starts_with("empty.txt: expected at least one rule"));
}

// ---- evaluation --------------------------------------------------------------

TEST_CASE("check: a value exactly at the threshold passes <= and fails <", "[check][eval]") {
  const ResultSet rs = monthly();
  const Report le = run({"churn_rate <= 5"}, rs);
  REQUIRE(le.outcomes.size() == 3);
  // 2025-01: 21/500×100 = 4.2 → margin 5 − 4.2 = 0.8
  CHECK(le.outcomes[0].period == "2025-01");
  CHECK(le.outcomes[0].verdict == Verdict::pass);
  CHECK(*le.outcomes[0].actual == Approx(4.2));
  CHECK(le.outcomes[0].margin == Approx(0.8));
  // 2025-02: 25/500×100 = 5 exactly → passes <=, margin 0
  CHECK(le.outcomes[1].verdict == Verdict::pass);
  CHECK(le.outcomes[1].margin == 0);
  // 2025-03: 61/1000×100 = 6.1 → margin 5 − 6.1 = −1.1
  CHECK(le.outcomes[2].verdict == Verdict::fail);
  CHECK(le.outcomes[2].margin == Approx(-1.1));
  CHECK(exit_code(le) == 1);
  CHECK(le.summary().passed == 2);
  CHECK(le.summary().failed == 1);

  const Report lt = run({"churn_rate < 5 @2025-02"}, rs);
  REQUIRE(lt.outcomes.size() == 1);
  CHECK(lt.outcomes[0].verdict == Verdict::fail);
  CHECK(lt.outcomes[0].margin == 0);
  CHECK_FALSE(std::signbit(lt.outcomes[0].margin));

  CHECK(run({"churn_rate >= 5 @2025-02"}, rs).outcomes[0].verdict == Verdict::pass);
  CHECK(run({"churn_rate > 5 @2025-02"}, rs).outcomes[0].verdict == Verdict::fail);
  CHECK(run({"churn_rate == 5 @2025-02"}, rs).outcomes[0].verdict == Verdict::pass);
  CHECK(run({"churn_rate != 5 @2025-02"}, rs).outcomes[0].verdict == Verdict::fail);
  CHECK(run({"churn_rate between 5 and 6 @2025-02"}, rs).outcomes[0].verdict == Verdict::pass);
  CHECK(run({"churn_rate between 4 and 5 @2025-02"}, rs).outcomes[0].verdict == Verdict::pass);
}

TEST_CASE("check: margins of every operator", "[check][eval]") {
  const ResultSet rs = monthly();  // churn_rate @2025-03 = 6.1
  auto margin = [&](const std::string& r) {
    const Report rep = run({r + " @2025-03"}, rs);
    REQUIRE(rep.outcomes.size() == 1);
    return rep.outcomes[0];
  };
  CHECK(margin("churn_rate < 7").margin == Approx(0.9));      // 7 − 6.1
  CHECK(margin("churn_rate > 7").margin == Approx(-0.9));     // 6.1 − 7
  CHECK(margin("churn_rate >= 6").margin == Approx(0.1));     // 6.1 − 6
  CHECK(margin("churn_rate == 6").margin == Approx(-0.1));    // −|6.1 − 6|
  CHECK(margin("churn_rate == 6").verdict == Verdict::fail);
  CHECK(margin("churn_rate != 6").margin == Approx(0.1));     // |6.1 − 6|
  CHECK(margin("churn_rate != 6").verdict == Verdict::pass);
  CHECK(margin("churn_rate between 6 and 10").margin == Approx(0.1));  // min(6.1−6, 10−6.1)
  CHECK(margin("churn_rate between 0 and 6.5").margin == Approx(0.4)); // min(6.1, 6.5−6.1)
  const Outcome out = margin("churn_rate between 0 and 5");            // min(6.1, 5−6.1) = −1.1
  CHECK(out.margin == Approx(-1.1));
  CHECK(out.verdict == Verdict::fail);
  CHECK(margin("churn_rate between 7 and 9").margin == Approx(-0.9));  // min(6.1−7, 9−6.1)
}

TEST_CASE("check: levels, strict and exit codes", "[check][eval]") {
  const ResultSet rs = monthly();
  const Report all_pass = run({"churn_rate <= 10", "mrr > 0"}, rs);
  CHECK(all_pass.outcomes.size() == 6);
  CHECK(exit_code(all_pass) == 0);

  const Report warned = run({"warn: churn_rate <= 5", "mrr > 0"}, rs);
  CHECK(warned.outcomes[2].verdict == Verdict::warn);
  CHECK(warned.summary().warned == 1);
  CHECK(exit_code(warned) == 0);  // warnings alone pass the gate
  CHECK_FALSE(blocks(warned, warned.outcomes[2]));

  const Report strict = run({"warn: churn_rate <= 5", "mrr > 0"}, rs, /*strict=*/true);
  CHECK(strict.outcomes[2].verdict == Verdict::warn);
  CHECK(exit_code(strict) == 1);
  CHECK(blocks(strict, strict.outcomes[2]));

  const Report failed = run({"fail: churn_rate <= 5", "warn: mrr > 0"}, rs);
  CHECK(exit_code(failed) == 1);

  // An error wins over a failure.
  const Report error = run({"churn_rate <= 5", "nps >= 30"}, rs);
  CHECK(exit_code(error) == 2);
  CHECK(error.summary().errors == 1);

  CHECK(exit_code(Report{}) == 0);
}

TEST_CASE("check: scopes @latest and @PERIOD", "[check][eval]") {
  const ResultSet rs = monthly();
  const Report latest = run({"churn_rate <= 5 @latest"}, rs);
  REQUIRE(latest.outcomes.size() == 1);
  CHECK(latest.outcomes[0].period == "2025-03");
  CHECK(latest.outcomes[0].verdict == Verdict::fail);

  const Report feb = run({"churn_rate <= 5 @2025-02"}, rs);
  REQUIRE(feb.outcomes.size() == 1);
  CHECK(feb.outcomes[0].period == "2025-02");
  CHECK(*feb.outcomes[0].value == 5);

  const Report missing = run({"churn_rate <= 5 @2025-3"}, rs);
  REQUIRE(missing.outcomes.size() == 1);
  CHECK(missing.outcomes[0].verdict == Verdict::error);
  CHECK(missing.outcomes[0].message ==
        "no results for churn_rate in period '2025-3' (its periods: 2025-01, 2025-02, 2025-03)");
  CHECK(exit_code(missing) == 2);
}

TEST_CASE("check: dimension filters match results whose dims contain the pairs", "[check][eval]") {
  ResultSet rs;
  rs.results = {
      res("churn_rate", "2025-01", 2, {{"plan", "pro"}, {"region", "eu"}}),
      res("churn_rate", "2025-01", 4, {{"plan", "pro"}, {"region", "us"}}),
      res("churn_rate", "2025-01", 9, {{"plan", "basic"}, {"region", "eu"}}),
      res("churn_rate", "2025-02", 3, {{"plan", "pro"}, {"region", "eu"}}),
      res("churn_rate", "2025-02", 6, {{"plan", "pro"}, {"region", "us"}}),
      res("churn_rate", "2025-02", 8, {{"plan", "basic"}, {"region", "eu"}}),
  };
  const Report pro = run({"churn_rate{plan=pro} < 5"}, rs);
  REQUIRE(pro.outcomes.size() == 4);
  CHECK(pro.outcomes[3].dims == Dims{{"plan", "pro"}, {"region", "us"}});
  CHECK(pro.outcomes[3].verdict == Verdict::fail);  // 6 ≥ 5
  CHECK(pro.summary().passed == 3);

  const Report pro_us = run({"churn_rate{region=us,plan=pro} < 5 @latest"}, rs);
  REQUIRE(pro_us.outcomes.size() == 1);
  CHECK(*pro_us.outcomes[0].value == 6);

  const Report every = run({"churn_rate <= 10"}, rs);  // no filter: every segment
  CHECK(every.outcomes.size() == 6);

  const Report typo = run({"churn_rate{plan=premium} < 5"}, rs);
  REQUIRE(typo.outcomes.size() == 1);
  CHECK(typo.outcomes[0].verdict == Verdict::error);
  CHECK(typo.outcomes[0].message == "no results for churn_rate{plan=premium} (plan is one of \"pro\", \"basic\")");
  const Report no_dim = run({"churn_rate{tier=gold} < 5"}, rs);
  CHECK(no_dim.outcomes[0].message == "no results for churn_rate{tier=gold} (its results have no dimension 'tier')");

  // Change rules follow each series (same dims) separately:
  // pro/eu 2 → 3 = +1, pro/us 4 → 6 = +2, basic/eu 9 → 8 = −1.
  const Report delta = run({"churn_rate change_abs <= 1"}, rs);
  REQUIRE(delta.outcomes.size() == 3);
  CHECK(*delta.outcomes[0].actual == 1);
  CHECK(*delta.outcomes[0].previous == 2);
  CHECK(delta.outcomes[0].verdict == Verdict::pass);
  CHECK(*delta.outcomes[1].actual == 2);
  CHECK(delta.outcomes[1].verdict == Verdict::fail);
  CHECK(delta.outcomes[1].margin == -1);
  CHECK(*delta.outcomes[2].actual == -1);
  CHECK(delta.outcomes[2].margin == 2);
}

TEST_CASE("check: change and change_abs from the previous period", "[check][eval]") {
  const ResultSet rs = monthly();
  // mrr 10000 → 9250: (9250 − 10000) / 10000 × 100 = −7.5 %;
  // 9250 → 9500: 250 / 9250 × 100 = 2.7027027…%.
  const Report rel = run({"mrr change >= -5%"}, rs);
  REQUIRE(rel.outcomes.size() == 2);  // 2025-01 has no previous period
  CHECK(rel.outcomes[0].period == "2025-02");
  CHECK(rel.outcomes[0].previous_period == "2025-01");
  CHECK(*rel.outcomes[0].previous == 10000);
  CHECK(*rel.outcomes[0].value == 9250);
  CHECK(*rel.outcomes[0].actual == Approx(-7.5));
  CHECK(rel.outcomes[0].margin == Approx(-2.5));  // −7.5 − (−5)
  CHECK(rel.outcomes[0].verdict == Verdict::fail);
  CHECK(*rel.outcomes[1].actual == Approx(250.0 / 9250 * 100));
  CHECK(rel.outcomes[1].margin == Approx(250.0 / 9250 * 100 + 5));
  CHECK(rel.outcomes[1].verdict == Verdict::pass);

  const Report abs = run({"warn: mrr change_abs > -500 @latest"}, rs);
  REQUIRE(abs.outcomes.size() == 1);
  CHECK(*abs.outcomes[0].actual == 250);
  CHECK(abs.outcomes[0].margin == 750);  // 250 − (−500)
  CHECK(abs.outcomes[0].verdict == Verdict::pass);

  const Report feb = run({"warn: mrr change_abs > -500 @2025-02"}, rs);
  CHECK(*feb.outcomes[0].actual == -750);
  CHECK(feb.outcomes[0].verdict == Verdict::warn);

  const Report between = run({"mrr change between -10% and 0% @2025-02"}, rs);
  CHECK(between.outcomes[0].margin == Approx(2.5));  // min(−7.5 + 10, 0 + 7.5)

  // A negative previous value: nps −20 → −10 is an improvement of +50 %.
  ResultSet nps;
  nps.results = {res("nps", "2025-01", -20), res("nps", "2025-02", -10)};
  const Report up = run({"nps change >= 0%"}, nps);
  REQUIRE(up.outcomes.size() == 1);
  CHECK(*up.outcomes[0].actual == Approx(50));  // (−10 − −20) / |−20| × 100
}

TEST_CASE("check: a rule with no value in its scope is an error that says why", "[check][eval]") {
  ResultSet rs;
  rs.results = {res("churn_rate", "2025-01", std::nullopt), res("churn_rate", "2025-02", 4),
                res("customers", "2025-01", 0), res("customers", "2025-02", 12),
                res("mrr", "2025-01", std::nullopt), res("mrr", "2025-02", 100)};
  rs.warnings = {"mrr_start 2025-01: no subscriptions yet",
                 "churn_rate 2025-01: customers_start is 0",
                 "mrr 2025-01: no subscription is active"};

  const Report every = run({"churn_rate <= 5"}, rs);
  REQUIRE(every.outcomes.size() == 2);
  CHECK(every.outcomes[0].verdict == Verdict::error);
  CHECK(every.outcomes[0].period == "2025-01");
  CHECK(every.outcomes[0].message ==
        "churn_rate has no value in 2025-01: customers_start is 0 "
        "(to check only some periods add @latest or @PERIOD to the rule)");
  CHECK(every.outcomes[1].verdict == Verdict::pass);
  CHECK(exit_code(every) == 2);

  CHECK(exit_code(run({"churn_rate <= 5 @latest"}, rs)) == 0);

  const Report prev_zero = run({"customers change >= 0% @latest"}, rs);
  REQUIRE(prev_zero.outcomes.size() == 1);
  CHECK(prev_zero.outcomes[0].verdict == Verdict::error);
  CHECK(prev_zero.outcomes[0].message.find("previous value (2025-01) is 0") != std::string::npos);
  CHECK(exit_code(run({"customers change_abs >= 0 @latest"}, rs)) == 0);  // 12 − 0 is defined

  const Report prev_null = run({"mrr change >= 0%"}, rs);
  REQUIRE(prev_null.outcomes.size() == 2);
  CHECK(prev_null.outcomes[0].verdict == Verdict::error);  // 2025-01 itself is null
  CHECK(prev_null.outcomes[1].message ==
        "mrr change in 2025-02: the previous value (2025-01) is undefined: no subscription is active");

  // The ResultSet's own wording ("metric period: no value: reason") is shortened
  // to the reason; a warning in another shape is quoted whole.
  ResultSet worded;
  worded.results = {res("churn_rate", "2025-01", std::nullopt, {{"plan", "pro"}}),
                    res("churn_rate", "2025-01", std::nullopt, {{"plan", "basic"}})};
  worded.warnings = {"churn_rate 2025-01: no value: customers_start is 0",
                     "churn_rate 2025-01 (plan=basic): no value: no customers on basic"};
  const Report wr = run({"churn_rate <= 5"}, worded);
  REQUIRE(wr.outcomes.size() == 2);
  CHECK(wr.outcomes[0].message == "churn_rate has no value in 2025-01 (plan=pro): customers_start is 0");
  CHECK(wr.outcomes[1].message ==
        "churn_rate has no value in 2025-01 (plan=basic): churn_rate 2025-01 (plan=basic): no value: no customers on basic");

  const Report first = run({"customers change_abs >= 0 @2025-01"}, rs);
  CHECK(first.outcomes[0].message == "customers change_abs in 2025-01: there is no previous period to compare with");

  ResultSet one;
  one.results = {res("mrr", "all", 100)};
  const Report single = run({"mrr change >= 0%"}, one);
  REQUIRE(single.outcomes.size() == 1);
  CHECK(single.outcomes[0].verdict == Verdict::error);
  CHECK(single.outcomes[0].message.find("no previous period") != std::string::npos);

  const Report absent = run({"nps >= 30"}, rs);
  REQUIRE(absent.outcomes.size() == 1);
  CHECK(absent.outcomes[0].message ==
        "no results for nps (the computation produced none: the input does not feed it; "
        "'kpi explain nps' lists its inputs)");

  ResultSet warned;
  warned.warnings = {"nps: no responses in the input"};
  CHECK(run({"nps >= 30"}, warned).outcomes[0].message == "no results for nps: nps: no responses in the input");

  // A null without a warning still says what is missing.
  ResultSet bare;
  bare.results = {res("nps", "2025-01", std::nullopt)};
  CHECK(run({"nps >= 30"}, bare).outcomes[0].message ==
        "nps has no value in 2025-01 (the computation left it undefined)");
}

// ---- reports -----------------------------------------------------------------

TEST_CASE("check: number formatting for people and machines", "[check][report]") {
  using namespace kpi::check::detail;
  CHECK(machine_number(4.2) == "4.2");
  CHECK(machine_number(0.1 + 0.2) == "0.30000000000000004");
  CHECK(machine_number(-0.0) == "0");
  CHECK(machine_number(5) == "5");
  CHECK(human_number(4.2) == "4.2");
  CHECK(human_number(5 - 4.2) == "0.8");
  CHECK(human_number(12345.678) == "12,346");
  CHECK(human_number(-1234567.0) == "-1,234,567");
  CHECK(human_number(2.0 / 3) == "0.6667");
  CHECK(human_number(100.0 / 3) == "33.33");
  CHECK(human_number(0.000123456) == "0.000123");
  CHECK(human_number(0) == "0");
  CHECK(human_number(-0.00000001) == "-1e-08");
  // Never round a failing value onto its threshold.
  CHECK(human_number_vs(5.0000001, 5) == "5.0000001");
  CHECK(human_number_vs(5.04, 5) == "5.04");
  CHECK(human_number_vs(5, 5) == "5");
}

TEST_CASE("check: table report", "[check][report]") {
  const Report r = run({"churn_rate <= 5", "warn: mrr change >= -5%", "nps >= 30"}, monthly());
  const std::string t = render(r, Format::table);
  INFO(t);
  CHECK(t.find("\x1b[") == std::string::npos);
  CHECK(t.starts_with("RULE"));
  CHECK(t.find("VERDICT") != std::string::npos);
  CHECK(t.find("DIMS") == std::string::npos);  // no dims anywhere: no column
  CHECK(count(t, "PASS") == 3);                 // 2 churn + mrr 2025-03
  CHECK(count(t, "FAIL") == 1);
  CHECK(count(t, "WARN") == 1);
  CHECK(count(t, "ERROR") == 2);                // the row and the summary line
  CHECK(t.find("6.1%") != std::string::npos);
  CHECK(t.find("<= 5%") != std::string::npos);
  CHECK(t.find("-1.1") != std::string::npos);
  CHECK(t.find("-7.5% (10,000 \u2192 9,250)") != std::string::npos);
  CHECK(t.find("\u21b3 no results for nps") != std::string::npos);
  CHECK(t.find("ERROR: 6 checks, 3 passed, 1 warned, 1 failed, 1 error") != std::string::npos);

  const std::string colored = render(r, Format::table, /*color=*/true);
  CHECK(colored.find("\x1b[31mFAIL") != std::string::npos);
  CHECK(colored.find("\x1b[32mPASS") != std::string::npos);
}

TEST_CASE("check: json report", "[check][report]") {
  ResultSet rs = monthly();
  rs.results.push_back(res("churn_rate", "2025-03", 1, {{"plan", "pro \"x\""}}));
  const Report r = run({"churn_rate <= 5", "stickiness between 10 and 60", "mrr change >= -5% @latest"}, rs);
  const std::string text = render(r, Format::json);
  INFO(text);
  const auto j = nlohmann::json::parse(text);
  CHECK(j["passed"] == false);
  CHECK(j["exit_code"] == 2);
  CHECK(j["strict"] == false);
  CHECK(j["summary"]["total"] == 6);
  CHECK(j["summary"]["passed"] == 4);  // churn 01, 02, plan=pro; mrr change 03
  CHECK(j["summary"]["failed"] == 1);
  CHECK(j["summary"]["errors"] == 1);
  REQUIRE(j["checks"].size() == 6);
  const auto& c0 = j["checks"][0];
  CHECK(c0["rule"] == "churn_rate <= 5");
  CHECK(c0["source"] == "--rule 1");
  CHECK(c0["level"] == "fail");
  CHECK(c0["metric"] == "churn_rate");
  CHECK(c0["subject"] == "value");
  CHECK(c0["op"] == "<=");
  CHECK(c0["threshold"] == 5);
  CHECK(c0["period"] == "2025-01");
  CHECK_FALSE(c0.contains("dims"));
  CHECK(c0["value"].get<double>() == Approx(4.2));
  CHECK(c0["margin"].get<double>() == Approx(0.8));
  CHECK(c0["status"] == "pass");
  CHECK_FALSE(c0.contains("message"));
  CHECK(j["checks"][3]["dims"]["plan"] == "pro \"x\"");
  const auto& err = j["checks"][4];
  CHECK(err["status"] == "error");
  CHECK(err["threshold"] == nlohmann::json::array({10, 60}));
  CHECK(err["period"].is_null());
  CHECK(err["value"].is_null());
  CHECK(err["margin"].is_null());
  CHECK(err["message"].get<std::string>().starts_with("no results for stickiness"));
  const auto& ch = j["checks"][5];
  CHECK(ch["subject"] == "change");
  CHECK(ch["previous"] == 9250);
  CHECK(ch["previous_period"] == "2025-02");
  CHECK(ch["value"] == 9500);
  CHECK(ch["actual"].get<double>() == Approx(250.0 / 9250 * 100));

  // Exact, shortest round-trip numbers.
  ResultSet exact;
  exact.results = {res("churn_rate", "all", 0.1 + 0.2)};
  const auto je = nlohmann::json::parse(render(run({"churn_rate <= 5"}, exact), Format::json));
  CHECK(je["checks"][0]["value"].get<double>() == 0.1 + 0.2);
  CHECK(je["passed"] == true);
  CHECK(nlohmann::json::parse(render(Report{}, Format::json))["checks"].empty());
}

namespace {

bool have_xmllint() { return std::system("xmllint --version >/dev/null 2>&1") == 0; }

// Validates `xml` with libxml2 (xmllint) against tests/data/junit.xsd; xmllint's exit status.
int xmllint_validate(const std::string& xml, const std::string& tag) {
  const auto path = std::filesystem::temp_directory_path() / ("kpi_check_junit_" + tag + ".xml");
  {
    std::ofstream out(path, std::ios::binary);
    out << xml;
  }
  const std::string cmd = std::string("xmllint --noout --schema '") + KPI_SOURCE_DIR +
                          "/tests/data/junit.xsd' '" + path.string() + "' >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  std::filesystem::remove(path);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST_CASE("check: junit report is valid JUnit XML", "[check][report][junit]") {
  ResultSet rs = monthly();
  // Hostile dimension values: markup, quotes, control characters, invalid UTF-8.
  rs.results.push_back(res("churn_rate", "2025-03", 7, {{"plan", "<pro & \"co\" 'x'>\x01\xff\xc3\xa9"}}));
  rs.inputs.files = {"a&b.csv"};
  const Report r = run({"churn_rate <= 5", "warn: mrr change >= -5%", "nps >= 30"}, rs);
  const std::string xml = render(r, Format::junit);
  INFO(xml);
  CHECK(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kpi check\" tests=\"7\""));
  // 7 testcases: churn 01 pass, 02 pass, 03 fail, pro fail; mrr 02 warn, 03 pass; nps error
  CHECK(count(xml, "<testcase ") == 7);
  CHECK(xml.find("tests=\"7\" failures=\"2\" errors=\"1\" skipped=\"1\"") != std::string::npos);
  CHECK(count(xml, "<failure ") == 2);
  CHECK(count(xml, "<error ") == 1);
  CHECK(count(xml, "<skipped ") == 1);
  CHECK(xml.find("classname=\"kpi.check.churn_rate\" name=\"churn_rate &lt;= 5 [2025-03]\"") != std::string::npos);
  CHECK(xml.find("&lt;pro &amp; &quot;co&quot; &apos;x&apos;&gt;\xEF\xBF\xBD\xEF\xBF\xBD\xc3\xa9") != std::string::npos);
  CHECK(xml.find("<property name=\"kpi.inputs.files\" value=\"a&amp;b.csv\"/>") != std::string::npos);
  CHECK(xml.find("message=\"churn_rate is 6.1% in 2025-03, expected &lt;= 5% (margin -1.1)\"") != std::string::npos);

  const Report strict = run({"warn: mrr change >= -5%"}, monthly(), true);
  const std::string sx = render(strict, Format::junit);
  CHECK(count(sx, "<failure type=\"warn\"") == 1);
  CHECK(count(sx, "<skipped") == 0);

  if (!have_xmllint()) {
    // CI installs libxml2-utils (.ci/install-deps.sh): there a missing xmllint is a
    // broken setup, not a reason to skip the schema check.
    if (std::getenv("CI") != nullptr) FAIL("xmllint (Debian: libxml2-utils) is required in CI");
    WARN("xmllint (Debian: libxml2-utils) not found: JUnit schema validation skipped");
    return;
  }
  CHECK(xmllint_validate(xml, "mixed") == 0);
  CHECK(xmllint_validate(sx, "strict") == 0);
  CHECK(xmllint_validate(render(Report{}, Format::junit), "empty") == 0);
  // The validator itself rejects what the schema forbids (proves it runs).
  // xmllint: 3 = invalid against the schema, 1 = not well-formed.
  CHECK(xmllint_validate("<testsuites><testsuite tests=\"1\"/></testsuites>", "bad") == 3);
  CHECK(xmllint_validate("<testsuites><testsuite name=\"a\" tests=\"1\">&</testsuite></testsuites>", "bad2") == 1);
}

TEST_CASE("check: markdown report", "[check][report]") {
  ResultSet rs = monthly();
  rs.results.push_back(res("churn_rate", "2025-03", 1, {{"plan", "a|b"}}));
  const Report r = run({"churn_rate <= 5", "warn: mrr change >= -5%", "nps >= 30"}, rs);
  const std::string m = render(r, Format::markdown);
  INFO(m);
  CHECK(m.starts_with("### \u2757 kpi check: ERROR: 7 checks, 4 passed, 1 warned, 1 failed, 1 error\n"));
  CHECK(m.find("| | Rule | Period | Dims | Value | Threshold | Margin |") != std::string::npos);
  CHECK(count(m, "\u2705") == 4);
  CHECK(count(m, "\u26a0\ufe0f") == 1);
  CHECK(count(m, "\u274c") == 1);
  CHECK(m.find("| \u274c | `churn_rate <= 5` | 2025-03 |  | 6.1% | &lt;= 5% | -1.1 |") != std::string::npos);
  CHECK(m.find("plan=a\\|b") != std::string::npos);
  CHECK(m.find("**Errors**") != std::string::npos);
  CHECK(m.find("- `nps >= 30`: no results for nps") != std::string::npos);

  const std::string ok = render(run({"churn_rate <= 10"}, monthly()), Format::markdown);
  CHECK(ok.starts_with("### \u2705 kpi check: PASSED: 3 checks, 3 passed\n"));
}

TEST_CASE("check: github annotations are escaped workflow commands", "[check][report]") {
  ParsedRules parsed = parse_rules("# gates\nchurn_rate <= 5\nwarn: mrr change >= -5%\n", "ci/rules,v1.txt");
  REQUIRE(parsed.errors.empty());
  ResultSet rs = monthly();
  rs.results.push_back(res("churn_rate", "2025-03", 50, {{"plan", "100%\nfree, trial"}}));
  const Report r = evaluate_rules(parsed.rules, rs);
  const std::string g = render(r, Format::github);
  INFO(g);
  std::vector<std::string> lines;
  std::istringstream in(g);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 4);  // 2 failures, 1 warning, the summary; passes are quiet
  CHECK(lines[0] ==
        "::error file=ci/rules%2Cv1.txt,line=2,col=1,title=kpi check failed%3A churn_rate <= 5 [2025-03]::"
        "churn_rate is 6.1%25 in 2025-03, expected <= 5%25 (margin -1.1)");
  CHECK(lines[1] ==
        "::error file=ci/rules%2Cv1.txt,line=2,col=1,title=kpi check failed%3A churn_rate <= 5 "
        "[2025-03 plan=100%25%0Afree%2C trial]::churn_rate is 50%25 in 2025-03 (plan=100%25%0Afree, trial), "
        "expected <= 5%25 (margin -45)");
  CHECK(lines[2].starts_with("::warning file=ci/rules%2Cv1.txt,line=3,col=1,title=kpi check warning%3A "
                             "warn%3A mrr change >= -5%25 [2025-02]::mrr change is -7.5%25 in 2025-02 "
                             "(from 10,000 in 2025-01 to 9,250), expected >= -5%25 (margin -2.5)"));
  CHECK(lines[3] == "kpi check: FAILED: 6 checks, 3 passed, 1 warned, 2 failed");

  // Under --strict a warning is an error; command-line rules carry no file.
  const Report strict = run({"warn: mrr change >= -5%"}, monthly(), true);
  const std::string gs = render(strict, Format::github);
  CHECK(gs.starts_with("::error title=kpi check warning%3A warn%3A mrr change >= -5%25 [2025-02]::"));
}

TEST_CASE("check: formats by name", "[check][report]") {
  CHECK(parse_format("table") == Format::table);
  CHECK(parse_format("json") == Format::json);
  CHECK(parse_format("junit") == Format::junit);
  CHECK(parse_format("markdown") == Format::markdown);
  CHECK(parse_format("github") == Format::github);
  CHECK_FALSE(parse_format("xml").has_value());
}
