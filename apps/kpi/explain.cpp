// kpi explain METRIC — one metric in full: formula, inputs, unit, edge cases, source, example.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "kpi/registry.hpp"
#include "kpi/report/writers.hpp"

namespace kpi::cli {
namespace {

struct Options {
  std::string metric;
  std::string format = "table";
};

std::string unit_words(Unit u) {
  switch (u) {
    case Unit::currency: return "currency (a plain number in the data's currency)";
    case Unit::count: return "count";
    case Unit::percent: return "% (0–100)";
    case Unit::score: return "score (−100 to 100)";
    case Unit::ratio: return "ratio";
    case Unit::times: return "x (a multiple)";
    case Unit::seconds: return "s (seconds; humanised in tables)";
    case Unit::points: return "points";
    case Unit::months: return "months";
  }
  return "";
}

int run(const Options& o) {
  const MetricInfo* m = find_metric(o.metric);
  if (m == nullptr) {
    std::string hint;
    const auto close = suggest_metrics(o.metric);
    for (std::size_t i = 0; i < close.size(); ++i) hint += (i == 0 ? "; did you mean " : " or ") + close[i];
    if (!hint.empty()) hint += "?";
    return report_error(Error("unknown metric '" + o.metric + "'" + (hint.empty() ? " (see 'kpi list')" : hint)));
  }
  std::string inputs;
  for (const auto in : m->inputs) inputs += (inputs.empty() ? "" : ", ") + std::string(in);
  if (o.format == "json") {
    std::string list = "[";
    for (std::size_t i = 0; i < m->inputs.size(); ++i) list += (i ? ", " : "") + report::json_string(m->inputs[i]);
    list += "]";
    std::cout << "{\"id\": " << report::json_string(o.metric) << ", \"unit\": " << report::json_string(unit_symbol(m->unit))
              << ", \"formula\": " << report::json_string(m->formula) << ", \"inputs\": " << list
              << ", \"description\": " << report::json_string(m->description)
              << ", \"undefined_when\": " << report::json_string(m->undefined_when)
              << ", \"source\": " << report::json_string(m->source)
              << ", \"example\": " << report::json_string(m->example)
              << ", \"produced_by\": " << report::json_string(m->produced_by) << "}\n";
    return kExitOk;
  }
  if (o.format != "table" && o.format != "text") {
    return report_error(Error("--format: expected table or json, got \"" + o.format + "\""));
  }
  std::cout << m->id << " — " << m->description << "\n\n";
  std::cout << "  formula      " << m->formula << '\n';
  std::cout << "  unit         " << unit_words(m->unit) << '\n';
  std::cout << "  inputs       " << (inputs.empty() ? "none: measured from records or given in the data" : inputs) << '\n';
  std::cout << "  undefined    "
            << (m->undefined_when.empty() ? "never" : std::string(m->undefined_when) + " → no value (null) and a warning")
            << '\n';
  std::cout << "  example      " << m->example << '\n';
  std::cout << "  produced by  " << m->produced_by << '\n';
  std::cout << "  source       " << m->source << '\n';
  std::cout.flush();
  return kExitOk;
}

Subcommand add(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = parent.add_subcommand("explain", "One metric in full: formula, inputs, unit, edge cases, source, example");
  cmd->add_option("METRIC", options->metric, "A metric id (see 'kpi list')")->required();
  cmd->add_option("-f,--format", options->format, "table (default) or json");
  cmd->footer("Examples:\n  kpi explain churn_rate\n  kpi explain ltv_cac_ratio -f json");
  return {cmd, [options] { return run(*options); }};
}

const Registration registration{70, add};

}  // namespace
}  // namespace kpi::cli
