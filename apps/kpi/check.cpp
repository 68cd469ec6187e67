// kpi check — KPI gates for CI: rules evaluated on what `kpi compute` computes.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "common.hpp"
#include "kpi/check.hpp"
#include "kpi/compute.hpp"

namespace kpi::cli {
namespace {

struct Options {
  InputFlags input;
  ComputeFlags compute;
  OutputFlags output;
  std::vector<std::string> rules;
  std::vector<std::string> rules_files;
  bool strict = false;
};

const char* const kFooter = R"(Rules:
  [warn:|fail:] METRIC[{DIM=VALUE,...}] OP NUMBER [@latest|@PERIOD]
  METRIC between LOW and HIGH                 inclusive at both ends
  METRIC change OP N%                         relative change from the previous period
  METRIC change_abs OP N                      absolute change from the previous period
  OP is <, <=, >, >=, == or !=. Default level fail, default scope every period.
  A value exactly at the threshold passes <=, >=, == and between (no rounding).

Examples:
  kpi check summary.csv --rule 'churn_rate <= 5'
  kpi check summary.csv --rule 'warn: nps >= 30 @latest' --rule 'stickiness between 10 and 60'
  kpi check subscriptions.csv --rule 'mrr change >= -5%' --rule 'churn_rate{plan=pro} < 3 @2025-03' --by plan
  kpi check events.csv --rules kpi-rules.txt -f junit -o kpi-report.xml
  kpi check events.csv --rules kpi-rules.txt -f github      (annotations in GitHub Actions)
  kpi check events.csv --rules kpi-rules.txt -f markdown >> "$GITHUB_STEP_SUMMARY"

A rules file holds one rule per line; '#' starts a comment; blank lines are ignored.
Only the metrics the rules name are computed, unless -m is given. A rule whose
metric has no value in its scope (no result, or an undefined one) is an error,
never a pass. Exit status: 0 every rule passed (warnings allowed), 1 a fail rule
failed (or a warn rule with --strict), 2 error.)";

void setup(CLI::App& cmd, Options& o) {
  o.input.setup(cmd);
  o.compute.setup(cmd);
  cmd.add_option("--rule", o.rules, "A rule, e.g. 'churn_rate <= 5' (repeatable)")->type_name("RULE");
  cmd.add_option("--rules", o.rules_files, "A file of rules, one per line, # comments (repeatable)")
      ->type_name("FILE");
  cmd.add_flag("--strict", o.strict, "A failed warn: rule fails the check too (exit 1)");
  o.output.setup(cmd, "table, json, junit, markdown, github");
  cmd.footer(kFooter);
}

// Every rule of --rule and --rules, or every error found in them.
struct Rules {
  std::vector<check::Rule> rules;
  std::vector<Error> errors;
};

Rules read_rules(const Options& o) {
  Rules out;
  for (std::size_t i = 0; i < o.rules.size(); ++i) {
    Location where;
    where.file = "--rule";
    where.line = i + 1;  // the i-th --rule option, like the i-th line of a file
    auto rule = check::parse_rule(o.rules[i], std::move(where));
    if (rule) {
      out.rules.push_back(std::move(*rule));
    } else {
      out.errors.push_back(std::move(rule).error());
    }
  }
  for (const auto& path : o.rules_files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      out.errors.emplace_back("--rules " + path + ": cannot read: " + std::strerror(errno));
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = check::parse_rules(text.str(), path);
    for (auto& r : parsed.rules) out.rules.push_back(std::move(r));
    for (auto& e : parsed.errors) out.errors.push_back(std::move(e));
  }
  if (out.rules.empty() && out.errors.empty()) {
    out.errors.emplace_back("expected --rule RULE or --rules FILE, e.g. --rule 'churn_rate <= 5'");
  }
  return out;
}

bool use_color(const Options& o, check::Format format) {
  if (format != check::Format::table) return false;
  if (!o.output.output.empty() && o.output.output != "-") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return ::isatty(STDOUT_FILENO) != 0;
}

int run(const Options& o) {
  const auto format = check::parse_format(o.output.format);
  if (!format) {
    return report_error(Error("--format: expected table, json, junit, markdown or github, got \"" +
                              o.output.format + "\""));
  }
  // Rules first: a typo should not wait for a large file to be read.
  const Rules rules = read_rules(o);
  if (!rules.errors.empty()) {
    for (const auto& e : rules.errors) report_error(e);
    return kExitError;
  }

  auto input = o.input.to_options();
  if (!input) return report_error(input.error());
  auto options = o.compute.to_options(std::move(*input));
  if (!options) return report_error(options.error());
  if (options->metrics.empty()) {
    // Compute only what the rules read: faster, and a metric the data cannot
    // feed is then reported by compute with the inputs it lacks.
    std::set<std::string> seen;
    for (const auto& r : rules.rules) {
      if (seen.insert(r.metric).second) options->metrics.push_back(r.metric);
    }
  }
  auto results = kpi::compute(*options);
  if (!results) return report_error(results.error());
  print_warnings(results->warnings);

  const check::Report report =
      check::evaluate_rules(rules.rules, *results, check::Options{.strict = o.strict});
  // A rule that could not be evaluated is an error of the run: say so on
  // stderr too, pointing at the rule, while the report still lists it.
  for (const auto& outcome : report.outcomes) {
    if (outcome.verdict != check::Verdict::error) continue;
    const check::Rule& rule = report.rules[outcome.rule];
    report_error(Error(rule.where, outcome.message));
  }
  const bool color = use_color(o, *format);
  const int written = write_output(o.output.output, results->inputs.files, [&](std::ostream& out) {
    check::write_report(out, report, *format, color);
  });
  if (written != kExitOk) return written;
  return check::exit_code(report);
}

Subcommand add(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = parent.add_subcommand("check", "Evaluate KPI rules on the computed results (a CI gate)");
  setup(*cmd, *options);
  return {cmd, [options] { return run(*options); }};
}

const Registration registration{20, add};

}  // namespace
}  // namespace kpi::cli
