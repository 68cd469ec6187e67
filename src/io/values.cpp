#include "kpi/io/values.hpp"

#include <cmath>
#include <limits>

#include <fast_float/fast_float.h>

namespace kpi::io {

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<double> parse_number(std::string_view text) noexcept {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  // fast_float also accepts "inf"/"nan" and a leading '+'; kpi accepts plain decimals only.
  const char first = text.front() == '-' && text.size() > 1 ? text[1] : text.front();
  if (!(first >= '0' && first <= '9') && first != '.') return std::nullopt;
  double value = 0;
  const auto [end, ec] = fast_float::from_chars(text.data(), text.data() + text.size(), value,
                                                fast_float::chars_format::general);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value == 0 ? 0.0 : value;
}

std::optional<long long> parse_integer(std::string_view text) noexcept {
  const auto value = parse_number(text);
  if (!value || std::trunc(*value) != *value || std::fabs(*value) > 9.0e15) return std::nullopt;
  return static_cast<long long>(*value);
}

std::optional<bool> parse_bool(std::string_view text) noexcept {
  text = trim(text);
  auto is = [&](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      char c = text[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != word[i]) return false;
    }
    return true;
  };
  if (is("true") || is("1") || is("yes") || is("y") || is("t")) return true;
  if (is("false") || is("0") || is("no") || is("n") || is("f")) return false;
  return std::nullopt;
}

}  // namespace kpi::io
