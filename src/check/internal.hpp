// check/internal.hpp — helpers shared by the `kpi check` sources (private).
//
// Number formatting, descriptions of rules, scopes and outcomes: the parser,
// the evaluator and every report writer word things the same way, so a CI log,
// a JUnit failure and a PR comment never disagree.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kpi/check.hpp"
#include "kpi/registry.hpp"

namespace kpi::check::detail {

/// The metric's unit; time_to_<event>[_p90] ids are seconds. nullopt: unknown id.
std::optional<Unit> metric_unit(std::string_view id) noexcept;
/// Whether `id` is a metric `check` accepts (catalog id or time_to_<event>).
bool known_metric(std::string_view id) noexcept;

/// Shortest text that reads back as exactly `v` ("4.2", "1e-07", "-0" never).
std::string machine_number(double v);
/// Rounded for reading: about four significant digits, thousands separated.
std::string human_number(double v);
/// human_number, unless that would print the same text as `other` while
/// `v != other` — then machine_number, so a failing value never looks equal
/// to its threshold.
std::string human_number_vs(double v, double other);

/// Suffix for the compared quantity of `rule` in human formats: "%" for
/// percent metrics and relative changes, "s" for seconds, "" otherwise.
std::string_view unit_suffix(const Rule& rule) noexcept;

/// "plan=pro, region=eu"
std::string dims_text(const Dims& dims);
/// "{plan=pro}" or "" (the rule's filter, as it would be written)
std::string filter_text(const Dims& filter);
/// "every period", "the latest period", "period 2025-03"
std::string scope_text(const Rule& rule);
/// "<= 5", "between 10 and 60", "change >= -5%", "change_abs > 0" (machine numbers)
std::string test_text(const Rule& rule);
/// The comparison applied to the compared quantity, human numbers: "<= 5%", "between 10 and 60".
std::string threshold_human(const Rule& rule, std::optional<double> actual);
/// "rule [period dims]" — the name of one outcome (JUnit testcase, annotation title).
std::string outcome_name(const Report& report, const Outcome& o);
/// One sentence saying what was measured and what was expected, e.g.
/// "churn_rate is 6.1% in 2025-03, expected <= 5% (margin -1.1)"; errors: the message.
std::string outcome_sentence(const Report& report, const Outcome& o);
/// "rules.txt:3" for file rules, "--rule 2" for command-line rules.
std::string source_text(const Rule& rule);

}  // namespace kpi::check::detail
