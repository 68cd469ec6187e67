// kpi retention — cohort retention table (METRICS.md §3).
#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "kpi/kinds/events.hpp"
#include "kpi/registry.hpp"
#include "kpi/report/writers.hpp"
#include "kpi/time.hpp"

namespace kpi::cli {
namespace {

struct Options {
  InputFlags input;
  std::string period = "week";
  std::string horizon = "12";
  std::string mode = "on";
  std::string cohort = "first";
  std::string start_event, return_event;
  std::vector<std::string> by;
  OutputFlags output;
};

const char* const kFooter = R"(Examples:
  kpi retention events.csv
  kpi retention events.csv --period month --horizon 6 --mode on_or_after
  kpi retention events.csv --start-event signup --return-event purchase -f csv
  kpi retention events.csv --cohort recurring --by plan -f json

A user's cohort is the period of their first event (or first --start-event),
for users first seen inside the range; with --cohort recurring every period a
user is active in is a cohort of theirs. Offset k counts the cohort's users
active (or doing --return-event) in period cohort+k (--mode on), or in cohort+k
or any later period (--mode on_or_after). Cells beyond the range have no value.)";

void setup(CLI::App& cmd, Options& o) {
  o.input.setup(cmd);
  cmd.add_option("-p,--period", o.period, "Cohort period: day, week (default), month, quarter or year");
  cmd.add_option("--horizon", o.horizon, "Last offset reported (default 12)");
  cmd.add_option("--mode", o.mode, "on (default): active in period cohort+k; on_or_after: in it or later");
  cmd.add_option("--cohort", o.cohort, "first (default): period of the first event; recurring: every active period");
  cmd.add_option("--start-event", o.start_event, "The event that puts a user in a cohort (default any)");
  cmd.add_option("--return-event", o.return_event, "The event that counts as a return (default any)");
  cmd.add_option("--by", o.by, "Segment by this column's values (repeatable)");
  o.output.setup(cmd, "table, json, csv, tsv, ndjson, markdown");
  cmd.footer(kFooter);
}

std::string pad_left(const std::string& s, std::size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}

// The table format: the cohort triangle, one row per cohort (and segment).
void write_triangle(std::ostream& out, const ResultSet& rs) {
  struct Row {
    std::string label;
    std::optional<double> size;
    std::map<int, std::optional<double>> rates;
  };
  std::vector<Row> rows;
  std::map<std::string, std::size_t> index;
  int max_offset = 0;
  for (const auto& r : rs.results) {
    std::string label = r.period;
    int offset = -1;
    for (const auto& [k, v] : r.dims) {
      if (k == "offset") offset = std::stoi(v);
      else label += "  " + k + "=" + v;
    }
    auto [it, inserted] = index.try_emplace(label, rows.size());
    if (inserted) rows.push_back(Row{label, {}, {}});
    Row& row = rows[it->second];
    if (r.metric == "cohort_size") row.size = r.value;
    if (r.metric == "retention_rate" && offset >= 0) {
      row.rates[offset] = r.value;
      max_offset = std::max(max_offset, offset);
    }
  }
  std::size_t label_w = 6;
  for (const auto& r : rows) label_w = std::max(label_w, r.label.size());
  constexpr std::size_t kCell = 7;
  out << std::string(label_w, ' ').replace(0, 6, "cohort") << "  " << pad_left("users", 7);
  for (int k = 0; k <= max_offset; ++k) out << pad_left(std::to_string(k), kCell);
  out << '\n';
  for (const auto& r : rows) {
    out << r.label << std::string(label_w - r.label.size(), ' ') << "  "
        << pad_left(r.size ? report::human_number(*r.size, Unit::count) : "—", 7);
    for (int k = 0; k <= max_offset; ++k) {
      const auto it = r.rates.find(k);
      const bool has = it != r.rates.end() && it->second.has_value();
      out << pad_left(has ? report::human_number(*it->second, Unit::percent) : "—", kCell);
    }
    out << '\n';
  }
}

int run(const Options& o) {
  const auto format = results_format(o.output);
  if (!format) return report_error(format.error());
  auto input = o.input.to_options();
  if (!input) return report_error(input.error());
  RetentionOptions options;
  options.input = std::move(*input);
  const auto p = period_flag(o.period);
  if (!p) return report_error(p.error());
  options.period = *p;
  int horizon = -1;
  const auto [ptr, ec] = std::from_chars(o.horizon.data(), o.horizon.data() + o.horizon.size(), horizon);
  if (ec != std::errc() || ptr != o.horizon.data() + o.horizon.size() || horizon < 0 || horizon > 10000)
    return report_error(Error("--horizon: expected a whole number of periods (0 or more), got \"" + o.horizon + "\""));
  options.horizon = horizon;
  const auto mode = parse_retention_mode(o.mode);
  if (!mode) return report_error(Error("--mode: expected on or on_or_after, got \"" + o.mode + "\""));
  options.mode = *mode;
  const auto cohort = parse_cohort_mode(o.cohort);
  if (!cohort) return report_error(Error("--cohort: expected first or recurring, got \"" + o.cohort + "\""));
  options.cohort = *cohort;
  options.start_event = o.start_event;
  options.return_event = o.return_event;
  options.by = o.by;
  return emit_results(run_retention(options), o.output, [&](std::ostream& out, const ResultSet& rs) {
    if (*format == report::Format::table) {
      write_triangle(out, rs);
    } else {
      report::write(out, rs, *format);
    }
  });
}

Subcommand add(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = parent.add_subcommand("retention", "Cohort retention: who comes back, period after period");
  setup(*cmd, *options);
  return {cmd, [options] { return run(*options); }};
}

const Registration registration{40, add};

}  // namespace
}  // namespace kpi::cli
