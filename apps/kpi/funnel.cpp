// kpi funnel — how many users go through a sequence of events (METRICS.md §3).
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <sstream>
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
  std::vector<std::string> steps;
  std::string window = "14d";
  std::string order = "ordered";
  std::string period;
  std::vector<std::string> by;
  OutputFlags output;
};

const char* const kFooter = R"(Examples:
  kpi funnel events.csv --steps signup,activation,purchase
  kpi funnel events.csv --steps signup,purchase --window 7d --order strict
  kpi funnel events.csv --steps page_view,trial_start,purchase --period month --by plan -f csv
  kpi funnel events.ndjson --map user_id=properties.distinct_id --map timestamp=properties.time \
      --steps signup,purchase -f json

A user enters at their first in-range STEP1 event (no retry from a later one); the
window (inclusive) runs from that entry. ordered: each step is the earliest
occurrence at or after the previous step; strict: the very next event must be the
step; any: the steps may happen in any order inside the window. Users count in
the period and --by segment of their entry event.)";

void setup(CLI::App& cmd, Options& o) {
  o.input.setup(cmd);
  cmd.add_option("--steps", o.steps, "The funnel's events, in order (comma-separated)")
      ->required()
      ->delimiter(',')
      ->type_name("A,B[,...]");
  cmd.add_option("--window", o.window, "Time allowed from the entry to the last step (default 14d)");
  cmd.add_option("--order", o.order, "ordered (default), strict or any");
  cmd.add_option("-p,--period", o.period, "Split entrants by period: day, week, month, quarter, year or all (default all)");
  cmd.add_option("--by", o.by, "Split entrants by this column of their entry event (repeatable)");
  o.output.setup(cmd, "table, json, csv, tsv, ndjson, markdown");
  cmd.footer(kFooter);
}

std::string pad_left(const std::string& s, std::size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}
std::string pad_right(const std::string& s, std::size_t w) {
  return s.size() >= w ? s : s + std::string(w - s.size(), ' ');
}

// The table format: one block per period and segment, a bar per step.
void write_bars(std::ostream& out, const ResultSet& rs) {
  struct Step {
    std::string name;
    std::optional<double> users, conversion, step_conversion, median;
  };
  // Blocks in first-seen order (results are ordered by metric, then period, dims).
  std::vector<std::string> block_order;
  std::map<std::string, std::vector<Step>> blocks;
  for (const auto& r : rs.results) {
    std::string key = r.period;
    std::string step_name;
    for (const auto& [k, v] : r.dims) {
      if (k == "step") step_name = v;
      else key += "  " + k + "=" + v;
    }
    auto [it, inserted] = blocks.try_emplace(key);
    if (inserted) block_order.push_back(key);
    auto& steps = it->second;
    auto s = std::find_if(steps.begin(), steps.end(), [&](const Step& x) { return x.name == step_name; });
    if (s == steps.end()) {
      steps.push_back(Step{step_name, {}, {}, {}, {}});
      s = steps.end() - 1;
    }
    if (r.metric == "funnel_users") s->users = r.value;
    if (r.metric == "funnel_conversion") s->conversion = r.value;
    if (r.metric == "funnel_step_conversion") s->step_conversion = r.value;
    if (r.metric == "funnel_median_time") s->median = r.value;
  }
  constexpr int kWidth = 30;
  bool first = true;
  for (const auto& key : block_order) {
    const auto& steps = blocks[key];
    if (!first) out << '\n';
    first = false;
    out << key << '\n';
    std::size_t name_w = 4, users_w = 5;
    for (const auto& s : steps) {
      name_w = std::max(name_w, s.name.size());
      if (s.users) users_w = std::max(users_w, report::human_number(*s.users, Unit::count).size());
    }
    out << "  " << pad_right("step", name_w) << "  " << pad_left("users", users_w) << "  "
        << std::string(kWidth, ' ') << "  " << pad_left("of step 1", 9) << "  "
        << pad_left("of prev", 9) << "  median time\n";
    for (const auto& s : steps) {
      const double frac = s.conversion ? std::clamp(*s.conversion / 100.0, 0.0, 1.0) : 0.0;
      const auto cells = static_cast<int>(std::lround(frac * kWidth));
      std::string bar;
      for (int i = 0; i < kWidth; ++i) bar += i < cells ? "█" : "·";
      auto pct = [](const std::optional<double>& v) {
        return v ? report::human_number(*v, Unit::percent) : std::string("—");
      };
      out << "  " << pad_right(s.name, name_w) << "  "
          << pad_left(s.users ? report::human_number(*s.users, Unit::count) : "—", users_w) << "  "
          << bar << "  " << pad_left(pct(s.conversion), 9) << "  "
          << pad_left(pct(s.step_conversion), 9) << "  "
          << (s.median ? time::humanize_seconds(*s.median) : std::string("—")) << '\n';
    }
  }
}

int run(const Options& o) {
  const auto format = results_format(o.output);
  if (!format) return report_error(format.error());
  auto input = o.input.to_options();
  if (!input) return report_error(input.error());
  FunnelOptions options;
  options.input = std::move(*input);
  options.steps = o.steps;
  if (options.steps.empty()) return report_error(Error("--steps: expected at least one event"));
  for (const auto& s : options.steps)
    if (s.empty()) return report_error(Error("--steps: an event name is empty"));
  const auto window = time::parse_duration(o.window);
  if (!window) return report_error(Error("--window: expected a duration like 90s, 30m, 24h or 14d, got \"" + o.window + "\""));
  options.window = *window;
  const auto order = parse_funnel_order(o.order);
  if (!order) return report_error(Error("--order: expected ordered, strict or any, got \"" + o.order + "\""));
  options.order = *order;
  if (!o.period.empty()) {
    const auto p = period_flag(o.period);
    if (!p) return report_error(p.error());
    options.period = *p;
  }
  options.by = o.by;
  return emit_results(run_funnel(options), o.output, [&](std::ostream& out, const ResultSet& rs) {
    if (*format == report::Format::table) {
      write_bars(out, rs);
    } else {
      report::write(out, rs, *format);
    }
  });
}

Subcommand add(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = parent.add_subcommand("funnel", "How many users go through a sequence of events");
  setup(*cmd, *options);
  return {cmd, [options] { return run(*options); }};
}

const Registration registration{30, add};

}  // namespace
}  // namespace kpi::cli
