// Report writers of `kpi check`: table, json, junit, markdown and github, plus
// the wording helpers they share (internal.hpp).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "internal.hpp"
#include "kpi/check.hpp"
#include "kpi/registry.hpp"

namespace kpi::check {

std::optional<Format> parse_format(std::string_view name) noexcept {
  if (name == "table") return Format::table;
  if (name == "json") return Format::json;
  if (name == "junit") return Format::junit;
  if (name == "markdown" || name == "md") return Format::markdown;
  if (name == "github") return Format::github;
  return std::nullopt;
}

namespace detail {

std::optional<Unit> metric_unit(std::string_view id) noexcept {
  if (const MetricInfo* m = find_metric(id)) return m->unit;
  constexpr std::string_view kTimeTo = "time_to_";
  if (id.starts_with(kTimeTo)) {
    std::string_view event = id.substr(kTimeTo.size());
    if (event.ends_with("_p90")) event.remove_suffix(4);
    if (!event.empty()) return Unit::seconds;
  }
  return std::nullopt;
}

bool known_metric(std::string_view id) noexcept { return metric_unit(id).has_value(); }

std::string machine_number(double v) { return fmt::format("{}", v + 0.0); }

namespace {

std::string group_thousands(std::string digits) {
  // digits: optional '-', integer part, optional fraction.
  const std::size_t sign = digits.starts_with('-') ? 1 : 0;
  std::size_t int_end = digits.find('.');
  if (int_end == std::string::npos) int_end = digits.size();
  for (std::size_t i = int_end; i > sign + 3; i -= 3) digits.insert(i - 3, 1, ',');
  return digits;
}

}  // namespace

std::string human_number(double v) {
  if (!std::isfinite(v)) return machine_number(v);
  const double a = std::fabs(v);
  if (a == 0) return "0";
  if (a >= 1e15 || a < 1e-6) return machine_number(v);
  // About four significant digits, at most six decimals, trailing zeros trimmed.
  const int magnitude = static_cast<int>(std::floor(std::log10(a)));
  const int decimals = std::clamp(3 - magnitude, 0, 6);
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return group_thousands(std::move(s));
}

std::string human_number_vs(double v, double other) {
  std::string h = human_number(v);
  if (v != other && h == human_number(other)) return machine_number(v);
  return h;
}

std::string_view unit_suffix(const Rule& rule) noexcept {
  if (rule.subject == Subject::change) return "%";
  const auto u = metric_unit(rule.metric);
  if (!u) return "";
  switch (*u) {
    case Unit::percent: return "%";
    case Unit::seconds: return "s";
    case Unit::times: return "x";
    default: return "";
  }
}

std::string dims_text(const Dims& dims) {
  std::string out;
  for (const auto& [name, value] : dims) {
    if (!out.empty()) out += ", ";
    out += name + "=" + value;
  }
  return out;
}

std::string filter_text(const Dims& filter) {
  if (filter.empty()) return {};
  std::string out = "{";
  for (const auto& [name, value] : filter) {
    if (out.size() > 1) out += ",";
    out += name + "=" + value;
  }
  return out + "}";
}

std::string scope_text(const Rule& rule) {
  switch (rule.scope) {
    case Scope::every: return "every period";
    case Scope::latest: return "the latest period";
    case Scope::period: return "period " + rule.period;
  }
  return {};
}

std::string test_text(const Rule& rule) {
  const std::string pct = rule.subject == Subject::change ? "%" : "";
  std::string out;
  if (rule.subject != Subject::value) out = std::string(subject_name(rule.subject)) + " ";
  if (rule.op == Op::between) {
    return out + fmt::format("between {}{} and {}{}", machine_number(rule.threshold), pct,
                             machine_number(rule.upper), pct);
  }
  return out + fmt::format("{} {}{}", op_symbol(rule.op), machine_number(rule.threshold), pct);
}

std::string threshold_human(const Rule& rule, std::optional<double> actual) {
  const std::string_view sfx = unit_suffix(rule);
  auto num = [&](double t) {
    return (actual ? human_number_vs(t, *actual) : human_number(t)) + std::string(sfx);
  };
  if (rule.op == Op::between) return fmt::format("between {} and {}", num(rule.threshold), num(rule.upper));
  return fmt::format("{} {}", op_symbol(rule.op), num(rule.threshold));
}

std::string outcome_name(const Report& report, const Outcome& o) {
  const Rule& rule = report.rules[o.rule];
  std::string where = o.period;
  if (!o.dims.empty()) where += (where.empty() ? "" : " ") + dims_text(o.dims);
  if (where.empty()) where = scope_text(rule);
  return fmt::format("{} [{}]", rule.text, where);
}

namespace {

// The compared quantity, for people: "6.1%", or for change rules
// "-7.5% (10,000 → 9,250)".
std::string actual_human(const Rule& rule, const Outcome& o) {
  if (!o.actual) return {};
  const double other = rule.threshold;
  std::string a = human_number_vs(*o.actual, other);
  if (rule.op == Op::between && human_number(*o.actual) == human_number(rule.upper) &&
      *o.actual != rule.upper) {
    a = machine_number(*o.actual);
  }
  a += unit_suffix(rule);
  if (rule.subject != Subject::value && o.previous && o.value) {
    a += fmt::format(" ({} \u2192 {})", human_number(*o.previous), human_number(*o.value));
  }
  return a;
}

std::string margin_human(const Outcome& o) {
  if (!o.actual) return {};
  return human_number_vs(o.margin, 0.0);
}

}  // namespace

std::string outcome_sentence(const Report& report, const Outcome& o) {
  const Rule& rule = report.rules[o.rule];
  if (o.verdict == Verdict::error) return o.message;
  std::string where = o.period;
  if (!o.dims.empty()) where += " (" + dims_text(o.dims) + ")";
  std::string what;
  if (rule.subject == Subject::value) {
    what = fmt::format("{} is {} in {}", rule.metric, actual_human(rule, o), where);
  } else {
    const std::string_view sfx = rule.subject == Subject::change ? "%" : unit_suffix(rule);
    what = fmt::format("{} {} is {}{} in {} (from {} in {} to {})", rule.metric,
                       subject_name(rule.subject), human_number_vs(*o.actual, rule.threshold), sfx,
                       where, human_number(o.previous.value_or(0)), o.previous_period,
                       human_number(o.value.value_or(0)));
  }
  return fmt::format("{}, expected {} (margin {})", what, threshold_human(rule, o.actual),
                     margin_human(o));
}

std::string source_text(const Rule& rule) {
  if (rule.where.file == "--rule") return fmt::format("--rule {}", rule.where.line);
  if (rule.where.file.empty()) return {};
  return fmt::format("{}:{}", rule.where.file, rule.where.line);
}

}  // namespace detail

namespace {

using namespace detail;

std::string_view verdict_upper(Verdict v) noexcept {
  switch (v) {
    case Verdict::pass: return "PASS";
    case Verdict::warn: return "WARN";
    case Verdict::fail: return "FAIL";
    case Verdict::error: return "ERROR";
  }
  return "?";
}

// Display width: code points (the table holds no wide characters of ours).
std::size_t width(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// "FAILED: 5 checks, 3 passed, 1 warned, 1 failed" and friends.
std::string summary_line(const Report& report) {
  const Summary s = report.summary();
  const int code = exit_code(report);
  std::string head = code == 0 ? "PASSED" : code == 1 ? "FAILED" : "ERROR";
  std::string line = fmt::format("{}: {} check{}, {} passed", head, s.total(), s.total() == 1 ? "" : "s",
                                 s.passed);
  if (s.warned > 0) line += fmt::format(", {} warned{}", s.warned, report.strict ? " (--strict: warnings fail)" : "");
  if (s.failed > 0) line += fmt::format(", {} failed", s.failed);
  if (s.errors > 0) line += fmt::format(", {} error{}", s.errors, s.errors == 1 ? "" : "s");
  return line;
}

// ---- JSON ------------------------------------------------------------------

void json_string(std::ostream& out, std::string_view s) {
  out << '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out << "\\\""; break;
      case '\\': out << "\\\\"; break;
      case '\n': out << "\\n"; break;
      case '\r': out << "\\r"; break;
      case '\t': out << "\\t"; break;
      default:
        if (c < 0x20) {
          out << fmt::format("\\u{:04x}", c);
        } else {
          out << ch;
        }
    }
  }
  out << '"';
}

void json_number(std::ostream& out, std::optional<double> v) {
  if (v && std::isfinite(*v)) {
    out << machine_number(*v);
  } else {
    out << "null";
  }
}

// ---- XML -------------------------------------------------------------------

// Escapes for both attribute values and text; drops what XML 1.0 cannot hold
// (C0 controls other than tab/newline/CR, invalid UTF-8 → U+FFFD), so the
// report is well-formed whatever the data's dimension values contain.
std::string xml(std::string_view s, bool attribute = true) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        // Attribute values normalise raw whitespace away; text keeps it.
        case '\n': out += attribute ? "&#10;" : "\n"; break;
        case '\r': out += "&#13;"; break;
        case '\t': out += attribute ? "&#9;" : "\t"; break;
        default:
          if (c < 0x20 || c == 0x7F) {
            out += "\xEF\xBF\xBD";
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Validate one UTF-8 sequence (no overlongs, no surrogates, <= U+10FFFF).
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07u;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (ok) {
      ok = !(len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)) &&
           !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF));
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string details(const Report& report, const Outcome& o) {
  const Rule& rule = report.rules[o.rule];
  std::string d;
  d += fmt::format("rule: {}\n", rule.text);
  if (const std::string src = source_text(rule); !src.empty()) d += fmt::format("source: {}\n", src);
  d += fmt::format("level: {}\n", level_name(rule.level));
  d += fmt::format("metric: {}\n", rule.metric);
  if (!o.period.empty()) d += fmt::format("period: {}\n", o.period);
  if (!o.dims.empty()) d += fmt::format("dims: {}\n", dims_text(o.dims));
  if (o.verdict == Verdict::error) {
    d += fmt::format("scope: {}\n", scope_text(rule));
    d += fmt::format("error: {}\n", o.message);
    return d;
  }
  if (o.value) d += fmt::format("value: {}\n", machine_number(*o.value));
  if (o.previous) d += fmt::format("previous: {} ({})\n", machine_number(*o.previous), o.previous_period);
  if (rule.subject != Subject::value && o.actual) {
    d += fmt::format("{}: {}{}\n", subject_name(rule.subject), machine_number(*o.actual),
                     rule.subject == Subject::change ? "%" : "");
  }
  d += fmt::format("expected: {}\n", test_text(rule));
  d += fmt::format("margin: {}\n", machine_number(o.margin));
  d += fmt::format("status: {}\n", verdict_name(o.verdict));
  return d;
}

// ---- Markdown --------------------------------------------------------------

std::string md(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '\\': case '*': case '_': case '[': case ']': case '`': case '~':
        out += '\\';
        out += c;
        break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\n': case '\r': out += ' '; break;
      default: out += c;
    }
  }
  return out;
}

// A code span that survives backticks and pipes inside a table cell.
std::string md_code(std::string_view s) {
  std::string body;
  for (char c : s) {
    if (c == '|') {
      body += "\\|";
    } else if (c == '\n' || c == '\r') {
      body += ' ';
    } else {
      body += c;
    }
  }
  const std::string fence = s.find('`') == std::string_view::npos ? "`" : "`` ";
  const std::string close = fence == "`" ? "`" : " ``";
  return fence + body + close;
}

// ---- GitHub workflow commands ------------------------------------------------

std::string gh_data(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      default: out += c;
    }
  }
  return out;
}

std::string gh_property(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      case ':': out += "%3A"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

// ---- writers -------------------------------------------------------------------

void write_table(std::ostream& out, const Report& report, bool color) {
  const bool any_dims = std::any_of(report.outcomes.begin(), report.outcomes.end(),
                                    [](const Outcome& o) { return !o.dims.empty(); });
  std::vector<std::string> header = {"RULE", "PERIOD"};
  if (any_dims) header.emplace_back("DIMS");
  for (const char* h : {"VALUE", "THRESHOLD", "MARGIN", "VERDICT"}) header.emplace_back(h);
  const std::size_t verdict_col = header.size() - 1;
  // Right-align the numeric columns so digits line up.
  const std::size_t value_col = any_dims ? 3 : 2;

  std::vector<std::vector<std::string>> rows;
  rows.push_back(header);
  for (const Outcome& o : report.outcomes) {
    const Rule& rule = report.rules[o.rule];
    std::vector<std::string> row = {rule.text, o.period.empty() ? "-" : o.period};
    if (any_dims) row.push_back(o.dims.empty() ? "" : dims_text(o.dims));
    if (o.verdict == Verdict::error) {
      row.insert(row.end(), {"", "", ""});
    } else {
      row.push_back(actual_human(rule, o));
      row.push_back(threshold_human(rule, o.actual));
      row.push_back(margin_human(o));
    }
    row.emplace_back(verdict_upper(o.verdict));
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], width(row[c]));
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::size_t pad = widths[c] - width(row[c]);
      const bool right = r > 0 && (c == value_col || c == value_col + 2);
      std::string cell = right ? std::string(pad, ' ') + row[c] : row[c];
      if (c == verdict_col && r > 0 && color) {
        const Verdict v = report.outcomes[r - 1].verdict;
        const char* code = v == Verdict::pass ? "32" : v == Verdict::warn ? "33" : v == Verdict::fail ? "31" : "1;31";
        cell = fmt::format("\x1b[{}m{}\x1b[0m", code, cell);
      } else if (r == 0 && color) {
        cell = fmt::format("\x1b[1m{}\x1b[0m", cell);
        if (c + 1 < row.size()) cell += std::string(pad, ' ');
      } else if (!right && c + 1 < row.size()) {
        cell += std::string(pad, ' ');
      }
      if (c > 0) line += "  ";
      line += cell;
    }
    out << line << '\n';
    if (r > 0 && report.outcomes[r - 1].verdict == Verdict::error) {
      out << "  \u21b3 " << report.outcomes[r - 1].message << '\n';
    }
  }
  const int code = exit_code(report);
  std::string summary = summary_line(report);
  if (color) {
    summary = fmt::format("\x1b[1;{}m{}\x1b[0m", code == 0 ? "32" : "31", summary);
  }
  out << '\n' << summary << '\n';
}

void write_json(std::ostream& out, const Report& report) {
  const Summary s = report.summary();
  const int code = exit_code(report);
  out << "{\"passed\": " << (code == 0 ? "true" : "false")
      << ", \"strict\": " << (report.strict ? "true" : "false") << ", \"exit_code\": " << code
      << ",\n \"summary\": {\"total\": " << s.total() << ", \"passed\": " << s.passed
      << ", \"warned\": " << s.warned << ", \"failed\": " << s.failed << ", \"errors\": " << s.errors
      << "},\n \"checks\": [";
  bool first = true;
  for (const Outcome& o : report.outcomes) {
    const Rule& rule = report.rules[o.rule];
    out << (first ? "\n  {" : ",\n  {");
    first = false;
    out << "\"rule\": ";
    json_string(out, rule.text);
    if (const std::string src = source_text(rule); !src.empty()) {
      out << ", \"source\": ";
      json_string(out, src);
    }
    out << ", \"level\": \"" << level_name(rule.level) << "\", \"metric\": ";
    json_string(out, rule.metric);
    out << ", \"subject\": \"" << subject_name(rule.subject) << "\", \"op\": \"" << op_symbol(rule.op)
        << "\", \"threshold\": ";
    if (rule.op == Op::between) {
      out << '[' << machine_number(rule.threshold) << ", " << machine_number(rule.upper) << ']';
    } else {
      out << machine_number(rule.threshold);
    }
    out << ", \"period\": ";
    if (o.period.empty()) {
      out << "null";
    } else {
      json_string(out, o.period);
    }
    if (!o.dims.empty()) {
      out << ", \"dims\": {";
      for (std::size_t i = 0; i < o.dims.size(); ++i) {
        if (i > 0) out << ", ";
        json_string(out, o.dims[i].first);
        out << ": ";
        json_string(out, o.dims[i].second);
      }
      out << '}';
    }
    out << ", \"value\": ";
    json_number(out, o.value);
    if (rule.subject != Subject::value) {
      out << ", \"previous\": ";
      json_number(out, o.previous);
      out << ", \"previous_period\": ";
      if (o.previous_period.empty()) {
        out << "null";
      } else {
        json_string(out, o.previous_period);
      }
    }
    out << ", \"actual\": ";
    json_number(out, o.actual);
    out << ", \"margin\": ";
    json_number(out, o.actual ? std::optional<double>(o.margin) : std::nullopt);
    out << ", \"status\": \"" << verdict_name(o.verdict) << '"';
    if (o.verdict == Verdict::error) {
      out << ", \"message\": ";
      json_string(out, o.message);
    }
    out << '}';
  }
  out << (first ? "]}\n" : "\n ]}\n");
}

void write_junit(std::ostream& out, const Report& report) {
  std::size_t failures = 0, errors = 0, skipped = 0;
  for (const Outcome& o : report.outcomes) {
    if (o.verdict == Verdict::error) {
      ++errors;
    } else if (blocks(report, o)) {
      ++failures;
    } else if (o.verdict == Verdict::warn) {
      ++skipped;
    }
  }
  const std::size_t tests = report.outcomes.size();
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << fmt::format("<testsuites name=\"kpi check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"0\">\n",
                     tests, failures, errors);
  out << fmt::format(
      "  <testsuite name=\"kpi check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">\n",
      tests, failures, errors, skipped);
  out << "    <properties>\n";
  auto property = [&](std::string_view name, std::string_view value) {
    out << "      <property name=\"" << xml(name) << "\" value=\"" << xml(value) << "\"/>\n";
  };
  std::string files;
  for (const auto& f : report.inputs.files) files += (files.empty() ? "" : " ") + f;
  property("kpi.inputs.files", files);
  property("kpi.inputs.kind", report.inputs.kind);
  property("kpi.inputs.rows", std::to_string(report.inputs.rows));
  property("kpi.inputs.skipped_rows", std::to_string(report.inputs.skipped_rows));
  property("kpi.strict", report.strict ? "true" : "false");
  out << "    </properties>\n";
  for (const Outcome& o : report.outcomes) {
    const Rule& rule = report.rules[o.rule];
    std::string classname = "kpi.check." + rule.metric;
    // Jenkins splits classnames at dots into package and class.
    std::replace(classname.begin() + 10, classname.end(), '.', '_');
    out << "    <testcase classname=\"" << xml(classname) << "\" name=\"" << xml(outcome_name(report, o))
        << "\" time=\"0\">\n";
    const std::string sentence = outcome_sentence(report, o);
    if (o.verdict == Verdict::error) {
      out << "      <error type=\"undefined\" message=\"" << xml(sentence) << "\">" << xml(details(report, o), false)
          << "</error>\n";
    } else if (blocks(report, o)) {
      out << "      <failure type=\"" << level_name(rule.level) << "\" message=\"" << xml(sentence) << "\">"
          << xml(details(report, o), false) << "</failure>\n";
    } else if (o.verdict == Verdict::warn) {
      out << "      <skipped message=\"" << xml("warning: " + sentence) << "\"/>\n";
    }
    // Failures and errors carry the details in their body already.
    if (o.verdict == Verdict::pass || (o.verdict == Verdict::warn && !report.strict)) {
      out << "      <system-out>" << xml(details(report, o), false) << "</system-out>\n";
    }
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

void write_markdown(std::ostream& out, const Report& report) {
  const Summary s = report.summary();
  const int code = exit_code(report);
  const char* icon = code == 2 ? "\u2757" : code == 1 ? "\u274c" : s.warned > 0 ? "\u26a0\ufe0f" : "\u2705";
  out << "### " << icon << " kpi check: " << md(summary_line(report)) << "\n\n";
  if (report.outcomes.empty()) return;
  const bool any_dims = std::any_of(report.outcomes.begin(), report.outcomes.end(),
                                    [](const Outcome& o) { return !o.dims.empty(); });
  out << "| | Rule | Period |" << (any_dims ? " Dims |" : "") << " Value | Threshold | Margin |\n";
  out << "|---|---|---|" << (any_dims ? "---|" : "") << "--:|---|--:|\n";
  for (const Outcome& o : report.outcomes) {
    const Rule& rule = report.rules[o.rule];
    const char* mark = "";
    switch (o.verdict) {
      case Verdict::pass: mark = "\u2705"; break;
      case Verdict::warn: mark = report.strict ? "\u274c" : "\u26a0\ufe0f"; break;
      case Verdict::fail: mark = "\u274c"; break;
      case Verdict::error: mark = "\u2757"; break;
    }
    out << "| " << mark << " | " << md_code(rule.text) << " | " << md(o.period.empty() ? "\u2014" : o.period)
        << " |";
    if (any_dims) out << ' ' << md(dims_text(o.dims)) << " |";
    if (o.verdict == Verdict::error) {
      out << " \u2014 | " << md(threshold_human(rule, std::nullopt)) << " | \u2014 |\n";
    } else {
      out << ' ' << md(actual_human(rule, o)) << " | " << md(threshold_human(rule, o.actual)) << " | "
          << md(margin_human(o)) << " |\n";
    }
  }
  if (s.errors > 0) {
    out << "\n**Errors** (a rule that cannot be evaluated is not a pass):\n\n";
    for (const Outcome& o : report.outcomes) {
      if (o.verdict != Verdict::error) continue;
      out << "- " << md_code(report.rules[o.rule].text) << ": " << md(o.message) << '\n';
    }
  }
}

void write_github(std::ostream& out, const Report& report) {
  for (const Outcome& o : report.outcomes) {
    if (o.verdict == Verdict::pass) continue;
    const Rule& rule = report.rules[o.rule];
    const bool is_error = o.verdict == Verdict::error || blocks(report, o);
    std::string props;
    if (!rule.where.file.empty() && rule.where.file != "--rule" && rule.where.line > 0) {
      props = fmt::format("file={},line={},col={},", gh_property(rule.where.file), rule.where.line,
                          rule.where.column);
    }
    const char* what = o.verdict == Verdict::error ? "kpi check error" : o.verdict == Verdict::warn ? "kpi check warning" : "kpi check failed";
    props += "title=" + gh_property(fmt::format("{}: {}", what, outcome_name(report, o)));
    out << "::" << (is_error ? "error" : "warning") << ' ' << props << "::"
        << gh_data(outcome_sentence(report, o)) << '\n';
  }
  out << "kpi check: " << summary_line(report) << '\n';
}

void write_report(std::ostream& out, const Report& report, Format format, bool color) {
  switch (format) {
    case Format::table: write_table(out, report, color); break;
    case Format::json: write_json(out, report); break;
    case Format::junit: write_junit(out, report); break;
    case Format::markdown: write_markdown(out, report); break;
    case Format::github: write_github(out, report); break;
  }
}

}  // namespace kpi::check
