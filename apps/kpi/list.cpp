// kpi list — every metric of the registry: id, unit, formula, description.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "kpi/registry.hpp"
#include "kpi/report/writers.hpp"

namespace kpi::cli {
namespace {

struct Options {
  std::string format = "table";
};

std::string inputs_json(const MetricInfo& m) {
  std::string out = "[";
  for (std::size_t i = 0; i < m.inputs.size(); ++i) {
    out += (i == 0 ? "" : ", ") + report::json_string(m.inputs[i]);
  }
  return out + "]";
}

void write_json() {
  std::cout << "{\"metrics\": [";
  bool first = true;
  for (const auto& m : catalog()) {
    std::cout << (first ? "\n  " : ",\n  ") << "{\"id\": " << report::json_string(m.id)
              << ", \"unit\": " << report::json_string(unit_symbol(m.unit))
              << ", \"formula\": " << report::json_string(m.formula) << ", \"inputs\": " << inputs_json(m)
              << ", \"description\": " << report::json_string(m.description)
              << ", \"source\": " << report::json_string(m.source)
              << ", \"kind\": " << report::json_string(m.is_formula() ? "formula" : "measured") << "}";
    first = false;
  }
  std::cout << "\n]}\n";
}

void write_delimited(char sep) {
  std::cout << "id" << sep << "unit" << sep << "formula" << sep << "description\n";
  auto field = [sep](std::string_view s) {
    if (sep == ',' && s.find_first_of(",\"\n") != std::string_view::npos) {
      std::string out = "\"";
      for (char c : s) {
        if (c == '"') out += '"';
        out += c;
      }
      return out + "\"";
    }
    return std::string(s);
  };
  for (const auto& m : catalog()) {
    std::cout << field(m.id) << sep << field(unit_symbol(m.unit)) << sep << field(m.formula) << sep
              << field(m.description) << '\n';
  }
}

std::size_t width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

void write_table() {
  std::size_t id_w = 2;
  std::size_t unit_w = 4;
  std::size_t formula_w = 7;
  for (const auto& m : catalog()) {
    id_w = std::max(id_w, width(m.id));
    unit_w = std::max(unit_w, width(unit_symbol(m.unit)));
    formula_w = std::max(formula_w, std::min<std::size_t>(width(m.formula), 60));
  }
  auto pad = [](std::string_view s, std::size_t w) { return std::string(s) + std::string(w > width(s) ? w - width(s) : 0, ' '); };
  std::cout << pad("id", id_w) << "  " << pad("unit", unit_w) << "  " << pad("formula", formula_w)
            << "  description\n";
  for (const auto& m : catalog()) {
    std::cout << pad(m.id, id_w) << "  " << pad(unit_symbol(m.unit), unit_w) << "  "
              << pad(m.formula, formula_w) << "  " << m.description << '\n';
  }
}

int run(const Options& o) {
  if (o.format == "table") {
    write_table();
  } else if (o.format == "json") {
    write_json();
  } else if (o.format == "markdown" || o.format == "md") {
    std::cout << report::catalog_markdown();
  } else if (o.format == "csv") {
    write_delimited(',');
  } else if (o.format == "tsv") {
    write_delimited('\t');
  } else {
    return report_error(Error("--format: expected table, json, csv, tsv or markdown, got \"" + o.format + "\""));
  }
  std::cout.flush();
  return kExitOk;
}

Subcommand add(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = parent.add_subcommand("list", "Every metric: id, unit, formula, one-line description");
  cmd->add_option("-f,--format", options->format, "table (default), json, csv, tsv or markdown");
  cmd->footer("Examples:\n  kpi list\n  kpi list -f json | jq -r '.metrics[].id'\n  kpi list -f markdown");
  return {cmd, [options] { return run(*options); }};
}

const Registration registration{60, add};

}  // namespace
}  // namespace kpi::cli
