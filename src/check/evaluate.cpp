// Evaluates `kpi check` rules on a ResultSet: one outcome per rule × matching
// result, or an error outcome saying why a rule could not be evaluated.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "internal.hpp"
#include "kpi/check.hpp"

namespace kpi::check {

std::string_view verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::warn: return "warn";
    case Verdict::fail: return "fail";
    case Verdict::error: return "error";
  }
  return "?";
}

Summary Report::summary() const noexcept {
  Summary s;
  for (const Outcome& o : outcomes) {
    switch (o.verdict) {
      case Verdict::pass: ++s.passed; break;
      case Verdict::warn: ++s.warned; break;
      case Verdict::fail: ++s.failed; break;
      case Verdict::error: ++s.errors; break;
    }
  }
  return s;
}

bool blocks(const Report& report, const Outcome& o) noexcept {
  return o.verdict == Verdict::fail || (o.verdict == Verdict::warn && report.strict);
}

int exit_code(const Report& report) noexcept {
  bool failed = false;
  for (const Outcome& o : report.outcomes) {
    if (o.verdict == Verdict::error) return 2;
    failed = failed || blocks(report, o);
  }
  return failed ? 1 : 0;
}

namespace {

bool is_word_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// `needle` occurs in `hay` as a whole token: "mrr" is not in "mrr_start",
// "2025-03" is not in "2025-03-04", "row 2" is not in "row 23".
bool mentions(std::string_view hay, std::string_view needle) noexcept {
  if (needle.empty()) return false;
  for (std::size_t at = hay.find(needle); at != std::string_view::npos;
       at = hay.find(needle, at + 1)) {
    const std::size_t end = at + needle.size();
    const bool left_ok = at == 0 || !is_word_char(hay[at - 1]);
    bool right_ok = end >= hay.size() || !is_word_char(hay[end]);
    if (right_ok && end + 1 < hay.size() && (hay[end] == '-' || hay[end] == '.') &&
        is_word_char(hay[end + 1])) {
      right_ok = false;
    }
    if (left_ok && right_ok) return true;
  }
  return false;
}

bool contains_dims(const Dims& dims, const Dims& filter) {
  return std::all_of(filter.begin(), filter.end(), [&](const auto& want) {
    return std::find(dims.begin(), dims.end(), want) != dims.end();
  });
}

// The ResultSet warning that best explains why `metric` has no value in
// `period` for `dims`: one naming the metric, the period and every dim value;
// else the metric and the period; else (period empty) the metric alone.
std::optional<std::string> why(const ResultSet& rs, std::string_view metric,
                               std::string_view period, const Dims& dims) {
  const std::string* fallback = nullptr;
  for (const std::string& w : rs.warnings) {
    if (!mentions(w, metric)) continue;
    if (!period.empty() && !mentions(w, period)) continue;
    const bool all_dims = std::all_of(dims.begin(), dims.end(),
                                      [&](const auto& d) { return mentions(w, d.second); });
    if (all_dims) return w;
    if (fallback == nullptr) fallback = &w;
  }
  if (fallback != nullptr) return *fallback;
  return std::nullopt;
}

// The warning without what our message already says: "churn_rate 2025-01: no
// value: customers_start is 0" → "customers_start is 0".
std::string reason_only(std::string warning, std::string_view metric, std::string_view period) {
  const std::string head = std::string(metric) + " " + std::string(period) + ": ";
  if (!period.empty() && warning.starts_with(head)) {
    warning.erase(0, head.size());
    constexpr std::string_view kNoValue = "no value: ";
    if (warning.starts_with(kNoValue) && warning.size() > kNoValue.size()) warning.erase(0, kNoValue.size());
  }
  return warning;
}

std::string in_period(const std::string& period, const Dims& dims) {
  if (dims.empty()) return period;
  return fmt::format("{} ({})", period, detail::dims_text(dims));
}

// "2025-01, 2025-02, 2025-03" or "2025-01 … 2025-12 (12 periods)".
std::string periods_list(const std::vector<std::string>& periods) {
  if (periods.size() <= 6) {
    std::string out;
    for (const auto& p : periods) out += (out.empty() ? "" : ", ") + p;
    return out;
  }
  return fmt::format("{} \u2026 {} ({} periods)", periods.front(), periods.back(), periods.size());
}

bool compare(Op op, double actual, double threshold, double upper) noexcept {
  switch (op) {
    case Op::lt: return actual < threshold;
    case Op::le: return actual <= threshold;
    case Op::gt: return actual > threshold;
    case Op::ge: return actual >= threshold;
    case Op::eq: return actual == threshold;
    case Op::ne: return actual != threshold;
    case Op::between: return threshold <= actual && actual <= upper;
  }
  return false;
}

double margin_of(Op op, double actual, double threshold, double upper) noexcept {
  double m = 0;
  switch (op) {
    case Op::lt:
    case Op::le: m = threshold - actual; break;
    case Op::gt:
    case Op::ge: m = actual - threshold; break;
    case Op::eq: m = -std::fabs(actual - threshold); break;
    case Op::ne: m = std::fabs(actual - threshold); break;
    case Op::between: m = std::min(actual - threshold, upper - actual); break;
  }
  return m + 0.0;  // never report -0
}

class Evaluator {
 public:
  Evaluator(const ResultSet& rs, Report& report) : rs_(rs), report_(report) {}

  void run(std::size_t index) {
    const Rule& rule = report_.rules[index];
    std::vector<std::size_t> matching;
    for (std::size_t i = 0; i < rs_.results.size(); ++i) {
      const Result& r = rs_.results[i];
      if (r.metric == rule.metric && contains_dims(r.dims, rule.filter)) matching.push_back(i);
    }
    if (matching.empty()) return no_results(index);

    std::vector<std::size_t> scoped;
    if (rule.scope == Scope::every) {
      scoped = matching;
    } else {
      const std::string& wanted =
          rule.scope == Scope::latest ? rs_.results[matching.back()].period : rule.period;
      for (std::size_t i : matching) {
        if (rs_.results[i].period == wanted) scoped.push_back(i);
      }
      if (scoped.empty()) {
        std::vector<std::string> periods;
        for (std::size_t i : matching) {
          if (std::find(periods.begin(), periods.end(), rs_.results[i].period) == periods.end()) {
            periods.push_back(rs_.results[i].period);
          }
        }
        return error(index, rule.period, {},
                     fmt::format("no results for {}{} in period '{}' (its periods: {})", rule.metric,
                                 detail::filter_text(rule.filter), rule.period,
                                 periods_list(periods)));
      }
    }

    const std::size_t before = report_.outcomes.size();
    bool skipped_first = false;
    for (std::size_t i : scoped) {
      const Result& r = rs_.results[i];
      if (!r.value) {
        undefined(index, r, matching, scoped);
        continue;
      }
      if (rule.subject == Subject::value) {
        decide(index, r, *r.value, std::nullopt, {});
        continue;
      }
      const Result* prev = previous(i);
      if (prev == nullptr) {
        // A series' first period has nothing to change from: with every
        // period in scope that is expected and skipped; asked for explicitly
        // it is an error.
        if (rule.scope == Scope::every) {
          skipped_first = true;
        } else {
          error(index, r.period, r.dims,
                fmt::format("{} {} in {}: there is no previous period to compare with",
                            rule.metric, subject_name(rule.subject), in_period(r.period, r.dims)));
        }
        continue;
      }
      if (!prev->value) {
        std::string msg = fmt::format(
            "{} {} in {}: the previous value ({}) is undefined", rule.metric,
            subject_name(rule.subject), in_period(r.period, r.dims), prev->period);
        if (auto w = why(rs_, rule.metric, prev->period, prev->dims)) {
          msg += ": " + reason_only(std::move(*w), rule.metric, prev->period);
        }
        error(index, r.period, r.dims, std::move(msg));
        continue;
      }
      const double p = *prev->value;
      if (rule.subject == Subject::change && p == 0) {
        error(index, r.period, r.dims,
              fmt::format("{} change in {}: the relative change is undefined because the previous "
                          "value ({}) is 0 (use change_abs for an absolute change)",
                          rule.metric, in_period(r.period, r.dims), prev->period));
        continue;
      }
      const double delta = *r.value - p;
      const double actual = rule.subject == Subject::change ? delta / std::fabs(p) * 100.0 : delta;
      decide(index, r, actual, p, prev->period);
    }
    if (report_.outcomes.size() == before && skipped_first) {
      error(index, {}, {},
            fmt::format("{}{} {}: every period in scope is the first of its series, so there is "
                        "no previous period to compare with (one period in the data?)",
                        rule.metric, detail::filter_text(rule.filter), subject_name(rule.subject)));
    }
  }

 private:
  void decide(std::size_t index, const Result& r, double actual, std::optional<double> previous,
              std::string previous_period) {
    const Rule& rule = report_.rules[index];
    Outcome o;
    o.rule = index;
    o.period = r.period;
    o.dims = r.dims;
    o.value = r.value;
    o.previous = previous;
    o.previous_period = std::move(previous_period);
    o.actual = actual;
    o.margin = margin_of(rule.op, actual, rule.threshold, rule.upper);
    if (compare(rule.op, actual, rule.threshold, rule.upper)) {
      o.verdict = Verdict::pass;
    } else {
      o.verdict = rule.level == Level::warn ? Verdict::warn : Verdict::fail;
    }
    report_.outcomes.push_back(std::move(o));
  }

  void error(std::size_t index, std::string period, Dims dims, std::string message) {
    Outcome o;
    o.rule = index;
    o.period = std::move(period);
    o.dims = std::move(dims);
    o.verdict = Verdict::error;
    o.message = std::move(message);
    report_.outcomes.push_back(std::move(o));
  }

  void undefined(std::size_t index, const Result& r, const std::vector<std::size_t>& matching,
                 const std::vector<std::size_t>& scoped) {
    const Rule& rule = report_.rules[index];
    std::string msg = fmt::format("{} has no value in {}", rule.metric, in_period(r.period, r.dims));
    if (auto w = why(rs_, rule.metric, r.period, r.dims)) {
      msg += ": " + reason_only(std::move(*w), rule.metric, r.period);
    } else {
      msg += " (the computation left it undefined)";
    }
    // With every period in scope, one undefined period (typically the first,
    // when there is nothing to divide by yet) blocks the rule; say how to
    // narrow the scope when other periods do have values.
    if (rule.scope == Scope::every && scoped.size() > 1) {
      const bool some_defined = std::any_of(matching.begin(), matching.end(), [&](std::size_t i) {
        return rs_.results[i].value.has_value();
      });
      if (some_defined) msg += " (to check only some periods add @latest or @PERIOD to the rule)";
    }
    Outcome o;
    o.rule = index;
    o.period = r.period;
    o.dims = r.dims;
    o.verdict = Verdict::error;
    o.message = std::move(msg);
    report_.outcomes.push_back(std::move(o));
  }

  void no_results(std::size_t index) {
    const Rule& rule = report_.rules[index];
    std::string msg = fmt::format("no results for {}{}", rule.metric, detail::filter_text(rule.filter));
    bool metric_present = false;
    for (const Result& r : rs_.results) {
      if (r.metric == rule.metric) {
        metric_present = true;
        break;
      }
    }
    if (metric_present && !rule.filter.empty()) {
      // Say which dimension values exist, so a typo in the filter is obvious.
      std::string present;
      for (const auto& [name, value] : rule.filter) {
        std::vector<std::string> values;
        for (const Result& r : rs_.results) {
          if (r.metric != rule.metric) continue;
          for (const auto& [n, v] : r.dims) {
            if (n == name && std::find(values.begin(), values.end(), v) == values.end()) {
              values.push_back(v);
            }
          }
        }
        if (!present.empty()) present += "; ";
        if (values.empty()) {
          present += fmt::format("its results have no dimension '{}'", name);
        } else {
          std::string list;
          for (const auto& v : values) list += (list.empty() ? "" : ", ") + fmt::format("\"{}\"", v);
          present += fmt::format("{} is one of {}", name, list);
        }
      }
      msg += " (" + present + ")";
    } else if (auto w = why(rs_, rule.metric, {}, {})) {
      msg += ": " + *w;
    } else {
      msg += fmt::format(" (the computation produced none: the input does not feed it; "
                         "'kpi explain {}' lists its inputs)", rule.metric);
    }
    error(index, {}, {}, std::move(msg));
  }

  // The previous result of r's series (same metric, same dims), or nullptr.
  const Result* previous(std::size_t i) const {
    const Result& r = rs_.results[i];
    for (std::size_t j = i; j-- > 0;) {
      const Result& p = rs_.results[j];
      if (p.metric == r.metric && p.dims == r.dims && p.period != r.period) return &p;
    }
    return nullptr;
  }

  const ResultSet& rs_;
  Report& report_;
};

}  // namespace

Report evaluate_rules(std::span<const Rule> rules, const ResultSet& results, const Options& options) {
  Report report;
  report.rules.assign(rules.begin(), rules.end());
  report.inputs = results.inputs;
  report.strict = options.strict;
  Evaluator ev(results, report);
  for (std::size_t i = 0; i < report.rules.size(); ++i) ev.run(i);
  return report;
}

}  // namespace kpi::check
