// libFuzzer target: the rule parser of `kpi check` on a rules-file text. Every
// error is rendered (column and caret code included).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kpi/check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const kpi::check::ParsedRules parsed = kpi::check::parse_rules(text, "rules.txt");
  if (parsed.rules.empty() && parsed.errors.empty()) std::abort();  // documented: never both empty
  for (const auto& e : parsed.errors) (void)e.render();
  for (const auto& r : parsed.rules) {
    if (r.op == kpi::check::Op::between && !(r.threshold <= r.upper)) std::abort();
    (void)r.where.line;
  }
  return 0;
}
