// kpi compute — KPIs per period from an export (the main job).
#include <memory>

#include "commands.hpp"
#include "common.hpp"
#include "kpi/compute.hpp"
#include "kpi/report/writers.hpp"

namespace kpi::cli {
namespace {

struct Options {
  InputFlags input;
  ComputeFlags compute;
  OutputFlags output;
};

const char* const kFooter = R"(Examples:
  kpi compute examples/summary.csv
  kpi compute examples/summary.csv -m churn_rate,nps -f json
  kpi compute events.csv --period week --tz Europe/Paris
  kpi compute events.ndjson --map user_id=properties.distinct_id --map timestamp=properties.time
  kpi compute orders.csv --default event=purchase --kind events -m revenue
  kpi compute subscriptions.csv --by plan -f csv -o mrr.csv
  cat events.csv | kpi compute - -m dau,mau,stickiness -f ndjson | jq .

Without -m every metric the data can feed is reported. Rates are in percent,
durations in seconds (humanised in the table), money as plain numbers.
Subscriptions whose status is trialing, trial, incomplete or incomplete_expired
are not revenue and are left out (with a warning).)";

void setup(CLI::App& cmd, Options& o) {
  o.input.setup(cmd);
  o.compute.setup(cmd);
  o.output.setup(cmd, "table, json, csv, tsv, ndjson, markdown");
  cmd.footer(kFooter);
}

int run(const Options& o) {
  const auto format = results_format(o.output);
  if (!format) return report_error(format.error());
  auto input = o.input.to_options();
  if (!input) return report_error(input.error());
  auto options = o.compute.to_options(std::move(*input));
  if (!options) return report_error(options.error());
  return emit_results(kpi::compute(*options), o.output,
                      [&](std::ostream& out, const ResultSet& rs) { report::write(out, rs, *format); });
}

Subcommand add(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* cmd = parent.add_subcommand("compute", "KPIs per period from an export (the main job)");
  setup(*cmd, *options);
  return {cmd, [options] { return run(*options); }};
}

const Registration registration{10, add};

}  // namespace
}  // namespace kpi::cli
