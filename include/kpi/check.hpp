// kpi/check.hpp — `kpi check`: KPI gates for CI.
//
// A rule states what a metric must look like ("churn_rate <= 5"); `kpi check`
// parses rules, evaluates them on exactly the `ResultSet` that `kpi::compute`
// produces (it never computes a metric itself), and writes a verdict per rule ×
// period × dimension combination in a format people or CI systems read. The
// process exit status is the gate (CLI.md "Exit status").
//
// ## Rule grammar
//
//     rule    := [level ":"] metric [filter] [subject] test [scope]
//     level   := "warn" | "fail"                      (default: fail)
//     metric  := a registry id, or time_to_<event>[_p90]
//     filter  := "{" dim "=" value ("," dim "=" value)* "}"
//     subject := "change" | "change_abs"              (default: the value itself)
//     test    := op number | "between" number "and" number
//     op      := "<" | "<=" | ">" | ">=" | "==" | "!="
//     number  := ["+"|"-"] digits ["." digits] [("e"|"E") ["+"|"-"] digits] ["%"]
//     scope   := "@latest" | "@" period-label         (default: every period)
//
// Whitespace is allowed between any two tokens and ignored. A `#` starts a
// comment that runs to the end of the line (outside double quotes). Dimension
// names and values are taken verbatim up to `=`, `,` or `}` (trimmed), or may
// be double-quoted (`{plan="pro, annual"}`, `\"` and `\\` escape). A scope
// label is the rest of the rule, trimmed (`@row 2` is the summary row
// "row 2"), or a double-quoted label (`@"latest"` is a period named latest).
//
// Examples:
//     churn_rate <= 5                      every period's churn must be at most 5 %
//     churn_rate <= 5%                     the same: `%` is allowed on percent metrics
//     warn: nps >= 30 @latest              only the last period; a miss only warns
//     stickiness between 10 and 60         10 <= stickiness <= 60 (inclusive)
//     mrr change >= -5%                    MRR may drop at most 5 % period over period
//     customers change_abs > 0 @2025-03    more customers in 2025-03 than in 2025-02
//     churn_rate{plan=pro} < 3             only results whose dims include plan=pro
//     fail: feature_adoption_rate{feature=export} >= 20 @latest
//
// `%` means "percent" and is required after a `change` number (the relative
// change is in percent), allowed after a plain number only when the metric's
// unit is percent (where it changes nothing), and rejected after `change_abs`
// (whose number is in the metric's own unit — percentage points for rates).
//
// ## Semantics
//
// Matching: a rule matches the results of its metric whose dims contain every
// pair of its filter (other dims are free: `churn_rate <= 5` with `--by plan`
// checks every plan). Scope "every period" takes every matching result;
// `@latest` the matching results of the last period among them (results are
// in chronological order); `@P` those whose period label is exactly P.
//
// Subject: `value` compares the metric's value. `change` compares the
// relative change from the previous period of the same series (same metric,
// same dims, the preceding result in `ResultSet` order):
// (value − previous) / |previous| × 100, undefined when previous is 0 (the
// absolute value keeps the sign meaning "up"/"down" for negative metrics such
// as NPS). `change_abs` compares value − previous. A series' first period has
// no previous period, so with scope "every period" a change rule starts at the
// second period; a scope that holds only first periods is an error.
//
// Comparison is exact, on the double as computed: no epsilon, no rounding. A
// value exactly at the threshold passes `<=`, `>=`, `==` and `between`, and
// fails `<`, `>` and `!=`. (Rates are computed from exact counts, so a stated
// threshold such as 5 is hit exactly when the data are at 5 %; `==` on a
// computed ratio is rarely what you want — prefer `between`.)
//
// Margin (signed room before the rule is violated, in the compared quantity's
// unit — the metric's unit, percent for `change`):
//     <, <=        threshold − actual
//     >, >=        actual − threshold
//     ==           −|actual − threshold|        (0 at the threshold, else < 0)
//     !=           |actual − threshold|
//     between A B  min(actual − A, B − actual)  (distance to the nearest bound,
//                                               negative outside the range)
// so margin > 0 always passes, margin < 0 always fails, and margin == 0 means
// "exactly at the threshold" (passes the inclusive ops, fails the strict ones).
// The verdict is decided by the comparison itself, never by the margin.
//
// Errors: a rule whose metric has no value in its scope — no matching result,
// a matching result whose value is null, no previous period, a previous value
// that is null (or 0 for `change`) — gives an `error` outcome naming the
// metric, the scope and why (the ResultSet warning that names the metric and
// period when there is one). Errors make the run exit 2: a gate that cannot be
// evaluated is not a pass.
//
// Exit status (`exit_code`): 2 when any outcome is an error; else 1 when a
// `fail` rule failed, or a `warn` rule failed under `strict`; else 0.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kpi/error.hpp"
#include "kpi/result.hpp"

namespace kpi::check {

enum class Level : unsigned char { warn, fail };
enum class Op : unsigned char { lt, le, gt, ge, eq, ne, between };
enum class Subject : unsigned char { value, change, change_abs };
enum class Scope : unsigned char { every, latest, period };

std::string_view level_name(Level l) noexcept;    ///< "warn", "fail"
std::string_view op_symbol(Op op) noexcept;       ///< "<=", ..., "between"
std::string_view subject_name(Subject s) noexcept;  ///< "value", "change", "change_abs"

/// One parsed rule.
struct Rule {
  std::string text;       ///< the rule as written, trimmed, without its comment
  Location where;         ///< file ("--rule" for command-line rules), line, column 1, source line
  Level level = Level::fail;
  std::string metric;
  Dims filter;            ///< pairs every matching result's dims must contain
  Subject subject = Subject::value;
  Op op = Op::le;
  double threshold = 0;   ///< the number; the lower bound for `between`
  double upper = 0;       ///< `between` only: the upper bound (>= threshold)
  Scope scope = Scope::every;
  std::string period;     ///< Scope::period only: the label
};

/// Parses one rule. `where.file`/`where.line` say where the text comes from
/// (for `--rule` options: file "--rule", line = the option's 1-based index);
/// errors carry them plus the 1-based column and `text` as the source line.
/// Unknown metric ids are errors with "did you mean".
Expected<Rule> parse_rule(std::string_view text, Location where);

struct ParsedRules {
  std::vector<Rule> rules;
  std::vector<Error> errors;  ///< every bad line, in order (not just the first)
};

/// Parses a rules file: one rule per line, `#` comments (whole-line or
/// trailing), blank lines ignored. A file with no rule at all is an error.
ParsedRules parse_rules(std::string_view contents, std::string_view file);

enum class Verdict : unsigned char { pass, warn, fail, error };
std::string_view verdict_name(Verdict v) noexcept;  ///< "pass", "warn", "fail", "error"

/// One rule evaluated on one result (or, for an error, on its scope).
struct Outcome {
  std::size_t rule = 0;            ///< index into Report::rules
  std::string period;              ///< the result's period; for errors the period if known
  Dims dims;                       ///< the result's dims
  std::optional<double> value;     ///< the metric's value in the period
  std::optional<double> previous;  ///< change rules: the previous period's value
  std::string previous_period;     ///< change rules: its label
  std::optional<double> actual;    ///< the compared quantity (value, or the change)
  double margin = 0;               ///< see "Margin" above; 0 for errors
  Verdict verdict = Verdict::error;
  std::string message;             ///< errors: what is missing and why; else empty
};

struct Options {
  bool strict = false;  ///< a failed warn rule fails the gate (exit 1)
};

struct Summary {
  std::size_t passed = 0, warned = 0, failed = 0, errors = 0;
  std::size_t total() const noexcept { return passed + warned + failed + errors; }
};

struct Report {
  std::vector<Rule> rules;
  std::vector<Outcome> outcomes;  ///< rule order, then ResultSet order
  InputsInfo inputs;              ///< copied from the ResultSet, for the reports
  bool strict = false;
  Summary summary() const noexcept;
};

/// Evaluates every rule on `results`. Never fails: problems are error outcomes.
Report evaluate_rules(std::span<const Rule> rules, const ResultSet& results,
                      const Options& options = {});

/// 0 all passed (warnings allowed unless strict), 1 a rule failed, 2 errors.
int exit_code(const Report& report) noexcept;

/// Whether an outcome fails the gate: a fail, or a warn under strict.
bool blocks(const Report& report, const Outcome& o) noexcept;

// ---- reports -------------------------------------------------------------

enum class Format : unsigned char { table, json, junit, markdown, github };
std::optional<Format> parse_format(std::string_view name) noexcept;

/// For people: one row per outcome (rule, period, dims, value, threshold,
/// margin, verdict), numbers rounded for reading (but never so far that a
/// failing value looks equal to its threshold), then a summary line. ANSI
/// colours only when `color` (the CLI decides: a terminal and no NO_COLOR).
void write_table(std::ostream& out, const Report& report, bool color);

/// Machine-readable, numbers in shortest round-trip form:
///   {"passed": bool, "strict": bool, "exit_code": 0|1|2,
///    "summary": {"total": N, "passed": N, "warned": N, "failed": N, "errors": N},
///    "checks": [{"rule": "churn_rate <= 5", "source": "rules.txt:3", "level": "fail",
///                "metric": "churn_rate", "subject": "value", "op": "<=",
///                "threshold": 5,          (between: [low, high])
///                "period": "2025-03", "dims": {"plan": "pro"},   (dims only when non-empty)
///                "value": 4.2, "previous": 4.0, "previous_period": "2025-02",
///                                          (previous*: change rules only)
///                "actual": 4.2,           (the compared quantity: value or change)
///                "margin": 0.8, "status": "pass"|"warn"|"fail"|"error",
///                "message": "..."}]}      (message: errors only; value/actual/margin
///                                          are null when unknown)
void write_json(std::ostream& out, const Report& report);

/// JUnit XML (validates against the Jenkins xunit junit-10 schema, see
/// tests/data/junit.xsd): one <testsuite name="kpi check">, one <testcase
/// classname="kpi.check.<metric>" name="<rule> [<period> <dims>]"> per
/// outcome. fail → <failure type="fail">; error → <error type="undefined">;
/// a failed warn rule → <skipped message="warning: ..."> (every CI UI shows
/// skipped tests visibly without failing the run), or <failure type="warn">
/// under strict. Details (value, previous, threshold, margin) go in the
/// failure/error body, or in <system-out> for passes and warnings.
void write_junit(std::ostream& out, const Report& report);

/// A GitHub-flavoured Markdown table for a PR comment, ✅ / ⚠️ / ❌ / ❗.
void write_markdown(std::ostream& out, const Report& report);

/// GitHub Actions workflow commands: `::error` for failures and errors,
/// `::warning` for failed warn rules (`::error` under strict), with
/// file/line when the rule came from a --rules file; passes are not
/// annotated; a last plain line summarises.
void write_github(std::ostream& out, const Report& report);

void write_report(std::ostream& out, const Report& report, Format format, bool color);

}  // namespace kpi::check
