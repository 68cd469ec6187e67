// Report writers for compute results.
#include "kpi/report/writers.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "kpi/time.hpp"

namespace kpi::report {
namespace {

Unit unit_of(std::string_view metric) {
  const MetricInfo* m = find_metric(metric);
  return m == nullptr ? Unit::count : m->unit;
}

std::string csv_field(std::string_view text, char delimiter) {
  if (delimiter == '\t') {
    std::string out;
    for (char c : text) {
      if (c == '\t') {
        out += "\\t";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else {
        out += c;
      }
    }
    return out;
  }
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Dimension names in order of first appearance.
std::vector<std::string> dimension_names(const ResultSet& rs) {
  std::vector<std::string> names;
  for (const auto& r : rs.results) {
    for (const auto& [name, value] : r.dims) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

std::string json_result(const Result& r) {
  std::string out = "{\"metric\": " + json_string(r.metric) + ", \"period\": " + json_string(r.period) +
                    ", \"value\": " + (r.value ? machine_number(*r.value) : "null") +
                    ", \"unit\": " + json_string(unit_symbol(unit_of(r.metric)));
  if (!r.dims.empty()) {
    out += ", \"dims\": {";
    for (std::size_t i = 0; i < r.dims.size(); ++i) {
      out += (i == 0 ? "" : ", ") + json_string(r.dims[i].first) + ": " + json_string(r.dims[i].second);
    }
    out += "}";
  }
  if (!r.inputs.empty()) {
    out += ", \"inputs\": {";
    for (std::size_t i = 0; i < r.inputs.size(); ++i) {
      const auto& [name, v] = r.inputs[i];
      out += (i == 0 ? "" : ", ") + json_string(name) + ": " + (v ? machine_number(*v) : "null");
    }
    out += "}";
  }
  return out + "}";
}

void write_json(std::ostream& out, const ResultSet& rs) {
  out << "{\n  \"results\": [";
  for (std::size_t i = 0; i < rs.results.size(); ++i) {
    out << (i == 0 ? "\n    " : ",\n    ") << json_result(rs.results[i]);
  }
  out << (rs.results.empty() ? "],\n" : "\n  ],\n");
  out << "  \"inputs\": {\"files\": [";
  for (std::size_t i = 0; i < rs.inputs.files.size(); ++i) {
    out << (i == 0 ? "" : ", ") << json_string(rs.inputs.files[i]);
  }
  out << "], \"kind\": " << json_string(rs.inputs.kind) << ", \"rows\": " << rs.inputs.rows
      << ", \"skipped_rows\": " << rs.inputs.skipped_rows << "},\n  \"warnings\": [";
  for (std::size_t i = 0; i < rs.warnings.size(); ++i) {
    out << (i == 0 ? "\n    " : ",\n    ") << json_string(rs.warnings[i]);
  }
  out << (rs.warnings.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

void write_delimited(std::ostream& out, const ResultSet& rs, char delimiter) {
  const auto dims = dimension_names(rs);
  out << "metric" << delimiter << "period";
  for (const auto& d : dims) out << delimiter << csv_field(d, delimiter);
  out << delimiter << "value" << delimiter << "unit\n";
  for (const auto& r : rs.results) {
    out << csv_field(r.metric, delimiter) << delimiter << csv_field(r.period, delimiter);
    for (const auto& d : dims) {
      std::string value;
      for (const auto& [name, v] : r.dims) {
        if (name == d) value = v;
      }
      out << delimiter << csv_field(value, delimiter);
    }
    out << delimiter << (r.value ? machine_number(*r.value) : "") << delimiter
        << csv_field(unit_symbol(unit_of(r.metric)), delimiter) << '\n';
  }
}

std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string dims_label(const Dims& dims) {
  std::string out;
  for (const auto& [name, value] : dims) out += (out.empty() ? "" : ", ") + name + "=" + value;
  return out;
}

std::string grouped(double value, int decimals);
bool is_whole(double v);
std::string markdown_cell(std::string_view text);

// Human layout: one block per dims combination; rows = metrics, columns = periods.
struct Block {
  Dims dims;
  std::vector<std::string> metrics;
  std::vector<std::string> periods;
  std::map<std::pair<std::string, std::string>, std::optional<double>> cells;
};

std::vector<Block> blocks_of(const ResultSet& rs) {
  std::vector<Block> blocks;
  for (const auto& r : rs.results) {
    auto it = std::find_if(blocks.begin(), blocks.end(), [&](const Block& b) { return b.dims == r.dims; });
    if (it == blocks.end()) {
      blocks.push_back(Block{r.dims, {}, {}, {}});
      it = blocks.end() - 1;
    }
    if (std::find(it->metrics.begin(), it->metrics.end(), r.metric) == it->metrics.end()) {
      it->metrics.push_back(r.metric);
    }
    if (std::find(it->periods.begin(), it->periods.end(), r.period) == it->periods.end()) {
      it->periods.push_back(r.period);
    }
    it->cells[{r.metric, r.period}] = r.value;
  }
  // Blocks in dims order, so a segment's metrics are read together.
  std::stable_sort(blocks.begin(), blocks.end(), [](const Block& a, const Block& b) { return a.dims < b.dims; });
  return blocks;
}

std::vector<std::vector<std::string>> block_rows(const Block& block) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"metric"};
  header.insert(header.end(), block.periods.begin(), block.periods.end());
  header.emplace_back("unit");
  rows.push_back(std::move(header));
  for (const auto& metric : block.metrics) {
    const Unit unit = unit_of(metric);
    // A row of counts where some value is a mean (dau 87.3) shows every value with
    // the same decimals, so the column reads evenly.
    bool fractional = false;
    for (const auto& period : block.periods) {
      const auto it = block.cells.find({metric, period});
      if (it != block.cells.end() && it->second && !is_whole(*it->second)) fractional = true;
    }
    std::vector<std::string> row{metric};
    for (const auto& period : block.periods) {
      const auto it = block.cells.find({metric, period});
      if (it == block.cells.end()) {
        row.emplace_back("");
      } else if (!it->second) {
        row.emplace_back("—");
      } else if (fractional && (unit == Unit::count || unit == Unit::points)) {
        row.push_back(grouped(*it->second, 2));
      } else {
        row.push_back(human_number(*it->second, unit));
      }
    }
    row.emplace_back(unit_symbol(unit));
    rows.push_back(std::move(row));
  }
  return rows;
}

void write_table(std::ostream& out, const ResultSet& rs) {
  const auto blocks = blocks_of(rs);
  bool first = true;
  for (const auto& block : blocks) {
    if (!first) out << '\n';
    first = false;
    if (!block.dims.empty()) out << dims_label(block.dims) << '\n';
    const auto rows = block_rows(block);
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& row : rows) {
      for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], display_width(row[c]));
    }
    for (const auto& row : rows) {
      std::string line;
      for (std::size_t c = 0; c < row.size(); ++c) {
        const std::size_t pad = width[c] - display_width(row[c]);
        const bool left = c == 0 || c + 1 == row.size();
        if (c > 0) line += "  ";
        line += left ? row[c] + std::string(pad, ' ') : std::string(pad, ' ') + row[c];
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out << line << '\n';
    }
  }
  if (blocks.empty()) out << "(no results)\n";
}

// "lost_customers / customers_start × 100" with values put before each input name:
// "21 lost_customers / 500 customers_start × 100".
std::string substitute_inputs(std::string_view formula, const Result& r) {
  std::string out;
  std::size_t i = 0;
  auto is_ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < formula.size()) {
    if (!is_ident(formula[i])) {
      out += formula[i++];
      continue;
    }
    std::size_t j = i;
    while (j < formula.size() && is_ident(formula[j])) ++j;
    const std::string_view word = formula.substr(i, j - i);
    for (const auto& [name, value] : r.inputs) {
      if (name == word) {
        out += (value ? human_number(*value, unit_of(name)) : std::string("—")) + " ";
        break;
      }
    }
    out += word;
    i = j;
  }
  return out;
}

// --explain-inputs for people: one line per result with the arithmetic behind it.
void write_explained(std::ostream& out, const ResultSet& rs, bool markdown) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"metric", "period", "dims", "value", "from"});
  for (const auto& r : rs.results) {
    const MetricInfo* m = find_metric(r.metric);
    std::string from;
    if (!r.inputs.empty() && m != nullptr) from = "= " + substitute_inputs(m->formula, r);
    rows.push_back({r.metric, r.period, dims_label(r.dims),
                    r.value ? human_number(*r.value, unit_of(r.metric)) : "—", from});
  }
  if (markdown) {
    for (std::size_t i = 0; i < rows.size(); ++i) {
      out << '|';
      for (const auto& cell : rows[i]) out << ' ' << markdown_cell(cell) << " |";
      out << '\n';
      if (i == 0) out << "| --- | --- | --- | ---: | --- |\n";
    }
    return;
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], display_width(row[c]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::size_t pad = width[c] - display_width(row[c]);
      if (c > 0) line += "  ";
      line += c == 3 ? std::string(pad, ' ') + row[c] : row[c] + std::string(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

void write_markdown(std::ostream& out, const ResultSet& rs) {
  const auto blocks = blocks_of(rs);
  bool first = true;
  for (const auto& block : blocks) {
    if (!first) out << '\n';
    first = false;
    if (!block.dims.empty()) out << "**" << markdown_cell(dims_label(block.dims)) << "**\n\n";
    const auto rows = block_rows(block);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      out << '|';
      for (const auto& cell : rows[r]) out << ' ' << markdown_cell(cell) << " |";
      out << '\n';
      if (r == 0) {
        out << '|';
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
          out << (c == 0 || c + 1 == rows[r].size() ? " --- |" : " ---: |");
        }
        out << '\n';
      }
    }
  }
  if (blocks.empty()) out << "_no results_\n";
}

// "1234567.891" → "1,234,567.89" with `decimals` digits after the point.
std::string grouped(double value, int decimals) {
  std::string digits = fmt::format("{:.{}f}", std::fabs(value), decimals);
  const std::size_t point = digits.find('.');
  std::string whole = digits.substr(0, point);
  const std::string frac = point == std::string::npos ? "" : digits.substr(point);
  std::string out;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  const bool negative = value < 0 && (out + frac).find_first_not_of("0,.") != std::string::npos;
  return (negative ? "-" : "") + out + frac;
}

bool is_whole(double v) { return std::fabs(v - std::round(v)) < 1e-9 * std::max(1.0, std::fabs(v)); }

}  // namespace

std::optional<Format> parse_format(std::string_view name) noexcept {
  if (name == "table") return Format::table;
  if (name == "json") return Format::json;
  if (name == "csv") return Format::csv;
  if (name == "tsv") return Format::tsv;
  if (name == "ndjson") return Format::ndjson;
  if (name == "markdown" || name == "md") return Format::markdown;
  return std::nullopt;
}

std::string catalog_markdown() {
  std::string out = "| id | unit | formula | description |\n|---|---|---|---|\n";
  for (const auto& m : catalog()) {
    out += "| `" + std::string(m.id) + "` | " + markdown_cell(unit_symbol(m.unit)) + " | " +
           markdown_cell(m.formula) + " | " + markdown_cell(m.description) + " |\n";
  }
  return out;
}

std::string machine_number(double value) {
  if (value == 0) return "0";  // never "-0"
  return fmt::format("{}", value);
}

std::string human_number(double value, Unit unit) {
  switch (unit) {
    case Unit::percent: return fmt::format("{:.1f}%", value);
    case Unit::currency: return grouped(value, 2);
    case Unit::count: return is_whole(value) ? grouped(value, 0) : grouped(value, 2);
    case Unit::score: return fmt::format("{:.1f}", value);
    case Unit::ratio: return fmt::format("{:.2f}", value);
    case Unit::times: return fmt::format("{:.2f}x", value);
    case Unit::seconds: return time::humanize_seconds(value);
    case Unit::points: return is_whole(value) ? grouped(value, 0) : grouped(value, 1);
    case Unit::months: return fmt::format("{:.1f} mo", value);
  }
  return machine_number(value);
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += fmt::format("\\u{:04x}", u);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void write(std::ostream& out, const ResultSet& results, Format format) {
  const bool explained = std::any_of(results.results.begin(), results.results.end(),
                                     [](const Result& r) { return !r.inputs.empty(); });
  if (explained && (format == Format::table || format == Format::markdown)) {
    write_explained(out, results, format == Format::markdown);
    return;
  }
  switch (format) {
    case Format::table: write_table(out, results); break;
    case Format::json: write_json(out, results); break;
    case Format::csv: write_delimited(out, results, ','); break;
    case Format::tsv: write_delimited(out, results, '\t'); break;
    case Format::ndjson:
      for (const auto& r : results.results) out << json_result(r) << '\n';
      break;
    case Format::markdown: write_markdown(out, results); break;
  }
}

}  // namespace kpi::report
