// The `kpi check` rule parser: rule text → `check::Rule`, or an `Error` that
// points at the offending column and says what was expected and what was found.
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "internal.hpp"
#include "kpi/check.hpp"
#include "kpi/registry.hpp"

namespace kpi::check {

std::string_view level_name(Level l) noexcept { return l == Level::warn ? "warn" : "fail"; }

std::string_view op_symbol(Op op) noexcept {
  switch (op) {
    case Op::lt: return "<";
    case Op::le: return "<=";
    case Op::gt: return ">";
    case Op::ge: return ">=";
    case Op::eq: return "==";
    case Op::ne: return "!=";
    case Op::between: return "between";
  }
  return "?";
}

std::string_view subject_name(Subject s) noexcept {
  switch (s) {
    case Subject::value: return "value";
    case Subject::change: return "change";
    case Subject::change_abs: return "change_abs";
  }
  return "?";
}

namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// Metric ids are [a-z0-9_]; `-` and `.` too so that time_to_<event> can name
// events such as "sign-up" or "checkout.done".
bool is_word(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Position of the `#` that starts a comment (outside double quotes), or npos.
std::size_t comment_start(std::string_view s) noexcept {
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\' && i + 1 < s.size()) {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == '#') {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string quote(std::string_view s) { return fmt::format("'{}'", s); }

std::string join_suggestions(const std::vector<std::string>& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0) out += i + 1 == s.size() ? " or " : ", ";
    out += quote(s[i]);
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view line, Location where) : line_(line), where_(std::move(where)) {
    const std::size_t hash = comment_start(line_);
    text_ = hash == std::string_view::npos ? line_ : line_.substr(0, hash);
    where_.source_line = std::string(line_);
    // The caret rendering wants one physical line; a rule never spans lines.
    while (!where_.source_line.empty() &&
           (where_.source_line.back() == '\r' || where_.source_line.back() == '\n')) {
      where_.source_line.pop_back();
    }
  }

  Expected<Rule> parse() {
    Rule rule;
    skip_ws();
    if (at_end()) return fail("expected a rule such as 'churn_rate <= 5', got an empty rule");
    const std::size_t start = pos_;
    rule.text = std::string(trim(text_.substr(start)));
    rule.where = where_;
    rule.where.column = column(start);

    // [level ":"] metric
    std::size_t word_at = pos_;
    std::string_view word = read_word();
    if (word.empty()) return fail(fmt::format("expected a metric id, got {}", found()));
    skip_ws();
    if (peek() == ':') {
      if (word == "warn") {
        rule.level = Level::warn;
      } else if (word == "fail") {
        rule.level = Level::fail;
      } else {
        return fail_at(word_at, fmt::format("expected the level 'warn' or 'fail' before ':', got {}",
                                            quote(word)));
      }
      ++pos_;
      skip_ws();
      word_at = pos_;
      word = read_word();
      if (word.empty()) {
        return fail(fmt::format("expected a metric id after '{}:', got {}", level_name(rule.level),
                                found()));
      }
    }
    if (!detail::known_metric(word)) {
      const auto suggestions = suggest_metrics(word);
      if (suggestions.empty()) {
        return fail_at(word_at, fmt::format("unknown metric {} ('kpi list' shows every metric)",
                                            quote(word)));
      }
      return fail_at(word_at, fmt::format("unknown metric {}; did you mean {}?", quote(word),
                                          join_suggestions(suggestions)));
    }
    rule.metric = std::string(word);
    const auto unit = detail::metric_unit(word);

    // [filter]
    skip_ws();
    if (peek() == '{') {
      ++pos_;
      if (auto st = parse_filter(rule.filter); !st) return std::move(st).error();
    }

    // [subject] test
    skip_ws();
    std::size_t at = pos_;
    word = peek_word();
    if (word == "change" || word == "change_abs") {
      rule.subject = word == "change" ? Subject::change : Subject::change_abs;
      pos_ += word.size();
      skip_ws();
      at = pos_;
      word = peek_word();
    }
    struct Num {
      double value = 0;
      bool percent = false;
      std::size_t at = 0, percent_at = 0, end = 0;
    };
    std::vector<Num> nums;
    auto read_num = [&](std::string_view after) -> Status {
      skip_ws();
      Num n;
      n.at = pos_;
      auto v = read_number();
      if (!v) {
        return fail(fmt::format("expected a number after {}, got {}", after, found()));
      }
      n.value = *v;
      n.end = pos_;
      skip_ws();
      if (peek() == '%') {
        n.percent = true;
        n.percent_at = pos_;
        ++pos_;
      }
      nums.push_back(n);
      return Status::ok();
    };
    if (word == "between") {
      rule.op = Op::between;
      pos_ += word.size();
      if (auto st = read_num("'between'"); !st) return std::move(st).error();
      skip_ws();
      if (peek_word() != "and") {
        return fail(fmt::format("expected 'and' after the lower bound of 'between', got {}", found()));
      }
      pos_ += 3;
      if (auto st = read_num("'and'"); !st) return std::move(st).error();
    } else {
      const auto op = read_op();
      if (!op) {
        std::string expected = "an operator (<, <=, >, >=, ==, !=) or 'between'";
        if (rule.subject == Subject::value) {
          expected = "an operator (<, <=, >, >=, ==, !=), 'between', 'change' or 'change_abs'";
        }
        std::string msg = fmt::format("expected {} after {}, got {}", expected,
                                      quote(trim(text_.substr(start, at - start))), found());
        if (auto hint = op_hint(); !hint.empty()) msg += fmt::format(" (did you mean '{}'?)", hint);
        return fail(msg);
      }
      rule.op = *op;
      if (auto st = read_num(quote(op_symbol(*op))); !st) return std::move(st).error();
    }

    // Percent signs: required for relative changes, meaningless elsewhere
    // unless the metric itself is in percent.
    for (const Num& n : nums) {
      if (rule.subject == Subject::change && !n.percent) {
        return fail_at(n.end, fmt::format(
            "expected '%' after {}: 'change' is the relative change in percent "
            "(for an absolute change write '{} change_abs ...')",
            machine_or_text(n), rule.metric));
      }
      if (rule.subject == Subject::change_abs && n.percent) {
        return fail_at(n.percent_at, fmt::format(
            "unexpected '%': 'change_abs' is in the unit of {} (percentage points for a rate); "
            "for a relative change write '{} change ... %'",
            rule.metric, rule.metric));
      }
      if (rule.subject == Subject::value && n.percent && unit != Unit::percent) {
        return fail_at(n.percent_at, fmt::format(
            "unexpected '%': {} is in {}, not percent; write the plain number",
            rule.metric, unit ? unit_symbol(*unit) : std::string_view("an unknown unit")));
      }
    }
    rule.threshold = nums[0].value;
    if (rule.op == Op::between) {
      rule.upper = nums[1].value;
      if (rule.upper < rule.threshold) {
        return fail_at(nums[0].at, fmt::format(
            "expected the lower bound first: {} is greater than {} (write 'between {} and {}')",
            machine_or_text(nums[0]), machine_or_text(nums[1]), machine_or_text(nums[1]),
            machine_or_text(nums[0])));
      }
    }

    // [scope]
    skip_ws();
    if (peek() == '@') {
      ++pos_;
      skip_ws();
      if (peek() == '"') {
        ++pos_;
        auto label = read_quoted();
        if (!label) return std::move(label).error();
        rule.scope = Scope::period;
        rule.period = std::move(*label);
        skip_ws();
        if (!at_end()) return fail(fmt::format("expected the end of the rule after the period label, got {}", found()));
      } else {
        const std::string_view rest = trim(text_.substr(pos_));
        if (rest.empty()) {
          return fail("expected 'latest' or a period label (e.g. 2025-03) after '@', got end of rule");
        }
        if (rest == "latest") {
          rule.scope = Scope::latest;
        } else if (rest.starts_with("latest") && is_space(rest[6])) {
          pos_ += 6;
          skip_ws();
          return fail(fmt::format("expected the end of the rule after '@latest', got {}", found()));
        } else {
          rule.scope = Scope::period;
          rule.period = std::string(rest);
        }
      }
    } else if (!at_end()) {
      return fail(fmt::format("expected '@latest', '@PERIOD' or the end of the rule, got {}", found()));
    }
    return rule;
  }

 private:
  Status parse_filter(Dims& filter) {
    for (;;) {
      skip_ws();
      const std::size_t name_at = pos_;
      auto name = read_dim_part(/*is_value=*/false);
      if (!name) return std::move(name).error();
      if (name->empty()) return fail_at(name_at, fmt::format("expected a dimension name (e.g. plan=pro), got {}", found()));
      for (const auto& [n, v] : filter) {
        if (n == *name) return fail_at(name_at, fmt::format("dimension '{}' is given twice", *name));
      }
      skip_ws();
      if (peek() != '=') {
        return fail(fmt::format("expected '=' after the dimension name '{}', got {}", *name, found()));
      }
      ++pos_;
      skip_ws();
      const bool quoted = peek() == '"';
      auto value = read_dim_part(/*is_value=*/true);
      if (!value) return std::move(value).error();
      if (value->empty() && !quoted) {
        return fail(fmt::format("expected a value after '{}=' (write \"\" for the blank segment), got {}",
                                *name, found()));
      }
      filter.emplace_back(std::move(*name), std::move(*value));
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return Status::ok();
      }
      return fail(fmt::format("expected ',' or '}}' in the dimension filter, got {}", found()));
    }
  }

  // A dimension name or value: double-quoted, or verbatim up to `=` (names),
  // `,` or `}`, trimmed.
  Expected<std::string> read_dim_part(bool is_value) {
    if (peek() == '"') {
      ++pos_;
      return read_quoted();
    }
    const std::size_t begin = pos_;
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == ',' || c == '}' || (!is_value && c == '=') || c == '"') break;
      ++pos_;
    }
    return std::string(trim(text_.substr(begin, pos_ - begin)));
  }

  // After the opening quote; consumes the closing one.
  Expected<std::string> read_quoted() {
    std::string out;
    const std::size_t open = pos_ - 1;
    while (!at_end()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\' && !at_end()) {
        out += text_[pos_++];
      } else {
        out += c;
      }
    }
    return fail_at(open, "expected a closing '\"' for this quoted text, got end of rule");
  }

  std::optional<Op> read_op() {
    const std::string_view rest = text_.substr(pos_);
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"<=", Op::le}, {">=", Op::ge}, {"==", Op::eq}, {"!=", Op::ne}, {"<", Op::lt}, {">", Op::gt}};
    for (const auto& [sym, op] : kOps) {
      if (rest.starts_with(sym)) {
        // "<>" and "=<" style typos are caught by op_hint; "<=>" is not an operator.
        if (rest.size() > sym.size() && (rest[sym.size()] == '=' || rest[sym.size()] == '<' ||
                                         rest[sym.size()] == '>')) {
          return std::nullopt;
        }
        pos_ += sym.size();
        return op;
      }
    }
    return std::nullopt;
  }

  // Common ways of writing an operator that kpi does not accept, and the fix.
  std::string_view op_hint() const {
    const std::string_view rest = text_.substr(pos_);
    static constexpr std::pair<std::string_view, std::string_view> kHints[] = {
        {"=<", "<="}, {"=>", ">="}, {"<>", "!="}, {"=!", "!="}, {"===", "=="},
        {"\xE2\x89\xA4", "<="}, {"\xE2\x89\xA5", ">="}, {"\xE2\x89\xA0", "!="},  // ≤ ≥ ≠
        {"=", "=="}};
    for (const auto& [bad, good] : kHints) {
      if (rest.starts_with(bad)) return good;
    }
    return {};
  }

  std::optional<double> read_number() {
    const std::size_t begin = pos_;
    std::size_t i = pos_;
    if (i < text_.size() && (text_[i] == '+' || text_[i] == '-')) ++i;
    const std::size_t digits_at = i;
    while (i < text_.size() && is_digit(text_[i])) ++i;
    std::size_t mantissa_digits = i - digits_at;
    if (i < text_.size() && text_[i] == '.') {
      ++i;
      const std::size_t frac_at = i;
      while (i < text_.size() && is_digit(text_[i])) ++i;
      mantissa_digits += i - frac_at;
    }
    if (mantissa_digits == 0) return std::nullopt;
    if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      std::size_t j = i + 1;
      if (j < text_.size() && (text_[j] == '+' || text_[j] == '-')) ++j;
      const std::size_t exp_at = j;
      while (j < text_.size() && is_digit(text_[j])) ++j;
      if (j > exp_at) i = j;
    }
    // "5k", "5x": a number glued to letters is not a number.
    if (i < text_.size() && (is_word(text_[i]) && text_[i] != '-')) return std::nullopt;
    std::size_t from = begin;
    if (text_[from] == '+') ++from;
    double v = 0;
    const auto [ptr, ec] = std::from_chars(text_.data() + from, text_.data() + i, v);
    if (ec != std::errc() || ptr != text_.data() + i) return std::nullopt;
    pos_ = i;
    return v;
  }

  std::string machine_or_text(const auto& n) const {
    return std::string(trim(text_.substr(n.at, n.end - n.at)));
  }

  std::string_view read_word() {
    const std::size_t begin = pos_;
    while (!at_end() && is_word(text_[pos_])) ++pos_;
    return text_.substr(begin, pos_ - begin);
  }
  std::string_view peek_word() const {
    std::size_t i = pos_;
    while (i < text_.size() && is_word(text_[i])) ++i;
    return text_.substr(pos_, i - pos_);
  }

  // What is at the cursor, for "got ..." in messages.
  std::string found() const {
    if (at_end()) return "end of rule";
    std::size_t i = pos_;
    if (is_word(text_[i])) {
      while (i < text_.size() && is_word(text_[i])) ++i;
    } else {
      while (i < text_.size() && !is_space(text_[i]) && !is_word(text_[i])) ++i;
    }
    std::string_view tok = text_.substr(pos_, i - pos_);
    if (tok.size() > 24) return quote(std::string(tok.substr(0, 24)) + "...");
    return quote(tok);
  }

  void skip_ws() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }
  bool at_end() const noexcept { return pos_ >= text_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }

  // 1-based character (not byte) column of byte offset `at`.
  std::size_t column(std::size_t at) const noexcept {
    std::size_t col = 1;
    for (std::size_t i = 0; i < at && i < line_.size(); ++i) {
      if ((static_cast<unsigned char>(line_[i]) & 0xC0) != 0x80) ++col;
    }
    return col;
  }

  Error fail(std::string message) const { return fail_at(pos_, std::move(message)); }
  Error fail_at(std::size_t at, std::string message) const {
    Location loc = where_;
    loc.column = column(at);
    return Error(std::move(loc), std::move(message));
  }

  std::string_view line_;  // the whole line, comment included (for columns and the caret)
  std::string_view text_;  // the line up to its comment
  Location where_;
  std::size_t pos_ = 0;
};

}  // namespace

Expected<Rule> parse_rule(std::string_view text, Location where) {
  return Parser(text, std::move(where)).parse();
}

ParsedRules parse_rules(std::string_view contents, std::string_view file) {
  ParsedRules out;
  std::size_t line_no = 0;
  std::size_t begin = 0;
  if (contents.starts_with("\xEF\xBB\xBF")) begin = 3;  // a UTF-8 BOM from Windows editors
  while (begin < contents.size()) {
    std::size_t end = contents.find('\n', begin);
    if (end == std::string_view::npos) end = contents.size();
    std::string_view line = contents.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    begin = end + 1;

    const std::size_t hash = comment_start(line);
    if (trim(hash == std::string_view::npos ? line : line.substr(0, hash)).empty()) continue;
    Location where;
    where.file = std::string(file);
    where.line = line_no;
    auto rule = parse_rule(line, std::move(where));
    if (rule) {
      out.rules.push_back(std::move(*rule));
    } else {
      out.errors.push_back(std::move(rule).error());
    }
  }
  if (out.rules.empty() && out.errors.empty()) {
    Location where;
    where.file = std::string(file);
    out.errors.emplace_back(std::move(where),
                            "expected at least one rule (one per line, e.g. 'churn_rate <= 5'), "
                            "got only blank lines and comments");
  }
  return out;
}

}  // namespace kpi::check
