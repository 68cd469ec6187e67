#include "common.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "kpi/io/values.hpp"
#include "kpi/time.hpp"

namespace kpi::cli {

const char* const kMainFooter = R"(Examples:
  kpi compute examples/summary.csv                    KPIs of a summary export, as a table
  kpi compute events.csv --period week -f json        every events KPI per ISO week, as JSON
  cat events.ndjson | kpi compute - -m dau,mau -f csv  in a shell pipeline
  kpi check subscriptions.csv --rule 'churn_rate <= 5'  fail a CI job when churn is above 5%
  kpi list                                            every metric with its formula
  kpi explain nps                                     one metric in full

Run 'kpi COMMAND --help' for a command's options. Exit status: 0 success, 1 a check
failed, 2 error (bad usage, unknown metric, unreadable file, invalid data).)";

namespace {

std::vector<std::pair<int, SubcommandFactory>>& registry() {
  static std::vector<std::pair<int, SubcommandFactory>> commands;
  return commands;
}

// Splits "a,b" and repeated flags into one list, dropping empty items.
std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ',')) {
      item = std::string(io::trim(item));
      if (!item.empty()) out.push_back(item);
    }
  }
  return out;
}

Expected<time::Micros> duration(const std::string& text, const char* flag) {
  const auto d = time::parse_duration(text);
  if (!d) {
    return Error(std::string(flag) + ": expected a duration like 90s, 30m, 24h or 14d, got \"" + text + "\"");
  }
  return *d;
}

const char* const kRoles[] = {"page_view", "click", "trial", "mql", "sql", "pql", "purchase", "activation",
                              "onboarding_view", "onboarding_start", "onboarding_complete", "value"};

// The temp file of an output being written, removed if the run is interrupted.
char g_pending_output[4096];
std::atomic<bool> g_has_pending_output{false};

extern "C" void on_interrupt(int sig) {
  if (g_has_pending_output.load()) ::unlink(g_pending_output);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

Registration::Registration(int order, SubcommandFactory factory) { registry().emplace_back(order, factory); }

std::vector<SubcommandFactory> registered_subcommands() {
  auto commands = registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<SubcommandFactory> out;
  out.reserve(commands.size());
  for (const auto& c : commands) out.push_back(c.second);
  return out;
}

void one_value_per_flag(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    for (CLI::Option* opt : sub->get_options()) {
      if (!opt->get_positional() && opt->get_expected_max() > 1) {
        opt->expected(1)->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      }
    }
    one_value_per_flag(*sub);
  }
}

int parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    if (argc <= 1) {
      std::cout << app.help();
      return kExitError;
    }
    std::cerr << "kpi: error: " << e.what() << "\nRun 'kpi --help' for usage.\n";
    return kExitError;
  } catch (const CLI::ParseError& e) {
    std::cerr << "kpi: error: " << e.what() << "\nRun 'kpi --help' for usage.\n";
    return kExitError;
  }
  return -1;
}

void InputFlags::setup(CLI::App& cmd) {
  CLI::Option_group* group = cmd.add_option_group("Input options");
  cmd.add_option("FILE", files, "Input files; '-' or none (with piped input) reads stdin");
  group->add_option("--kind", kind, "events, subscriptions, tickets, responses, work_items or summary (default: detected)")
      ->type_name("KIND");
  group->add_option("--input-format", input_format, "csv, tsv, json or ndjson (default: from the extension, else sniffed)")
      ->type_name("FMT");
  group->add_option("--map", map, "Read column CANON from SOURCE (a dotted JSON path is fine): --map user_id=properties.distinct_id")
      ->type_name("CANON=SOURCE");
  group->add_option("--default", defaults, "Use VALUE where column CANON is missing or blank: --default event=purchase")
      ->type_name("CANON=VALUE");
  group->add_option("--time-format", time_format, "strptime-style timestamp format, e.g. '%m/%d/%Y %H:%M'")
      ->type_name("FMT");
  group->add_option("-d,--delimiter", delimiter, "Field separator of delimited text (default ','; '\\t' for .tsv)")
      ->type_name("CHAR");
  group->add_option("--from", from, "First day of the analysis range (YYYY-MM-DD, inclusive)")
      ->type_name("DATE");
  group->add_option("--to", to, "Last day of the analysis range (YYYY-MM-DD, inclusive)")
      ->type_name("DATE");
  group->add_option("--tz", tz, "Time zone for day boundaries: an IANA name or ±HH:MM (default UTC)")
      ->type_name("ZONE");
  group->add_flag("--skip-invalid", skip_invalid, "Skip invalid rows (each reported on stderr) instead of stopping");
}

Expected<std::pair<std::string, std::string>> split_assignment(const std::string& text, const char* flag) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Error(std::string(flag) + ": expected NAME=VALUE, got \"" + text + "\"");
  }
  return std::pair{text.substr(0, eq), text.substr(eq + 1)};
}

Expected<InputOptions> InputFlags::to_options() const {
  InputOptions in;
  in.files = files;
  in.kind = kind;
  in.time_format = time_format;
  in.tz = tz;
  in.from = from;
  in.to = to;
  in.skip_invalid = skip_invalid;
  if (!input_format.empty()) {
    in.reader.format = io::parse_format(input_format);
    if (!in.reader.format) {
      return Error("--input-format: expected csv, tsv, json or ndjson, got \"" + input_format + "\"");
    }
  }
  if (!delimiter.empty()) {
    if (delimiter == "\\t" || delimiter == "tab" || delimiter == "\t") {
      in.reader.delimiter = '\t';
    } else if (delimiter.size() == 1 && delimiter != "\"" && delimiter != "\n" && delimiter != "\r") {
      in.reader.delimiter = delimiter[0];
    } else {
      return Error("--delimiter: expected one character (or \\t), got \"" + delimiter + "\"");
    }
  }
  for (const auto& m : map) {
    auto kv = split_assignment(m, "--map");
    if (!kv) return std::move(kv).error();
    in.reader.map.push_back(*kv);
  }
  for (const auto& d : defaults) {
    auto kv = split_assignment(d, "--default");
    if (!kv) return std::move(kv).error();
    in.reader.defaults.push_back(*kv);
  }
  if (in.files.empty() && ::isatty(STDIN_FILENO)) {
    return Error("no input: name a FILE, or pipe data in (e.g. 'cat events.csv | kpi compute -')");
  }
  return in;
}

void ComputeFlags::setup(CLI::App& cmd) {
  CLI::Option_group* group = cmd.add_option_group("Compute options");
  group->add_option("-m,--metric", metrics, "Only these metrics (comma-separated or repeated; see 'kpi list')")
      ->type_name("ID[,ID]");
  group->add_option("-p,--period", period, "day, week, month (default), quarter, year or all")
      ->type_name("PERIOD");
  group->add_option("--by", by, "Segment every metric by this column's values (repeatable)")
      ->type_name("COLUMN");
  group->add_option("--set", set, "Provide or override an input: --set sales_marketing_cost=12000")
      ->type_name("NAME=VALUE");
  group->add_option("--event", events, "Map an event role to your event name: --event trial=trial_started")
      ->type_name("ROLE=NAME");
  group->add_option("--active-event", active_events, "Only these events count as activity (repeatable)")
      ->type_name("EVENT");
  group->add_option("--session-timeout", session_timeout, "Gap that starts a new session (default 30m)")
      ->type_name("DUR");
  group->add_option("--activation-window", activation_window, "Window to reach the activation event (default 14d)")
      ->type_name("DUR");
  group->add_option("--early-churn-days", early_churn_days, "Days of activity under which a new user churned early (default 14)")
      ->type_name("N");
  group->add_option("--target", targets, "First-response target per channel: --target email=12h")
      ->type_name("CHANNEL=DUR");
  group->add_option("--time-to", time_to, "Also report the time from a user's first event to EVENT (repeatable)")
      ->type_name("EVENT");
  group->add_option("--survey", survey, "nps or csat: the scale of responses without a survey column (default nps)")
      ->type_name("nps|csat");
  group->add_flag("--explain-inputs", explain_inputs,
               "Show beside each value the inputs it was computed from (table: one line per value; json: an inputs object)");
}

Expected<ComputeOptions> ComputeFlags::to_options(InputOptions input) const {
  ComputeOptions opts;
  opts.input = std::move(input);
  opts.metrics = split_list(metrics);
  if (!period.empty()) {
    auto p = period_flag(period);
    if (!p) return std::move(p).error();
    opts.period = *p;
    opts.period_given = true;
  }
  opts.by = by;
  for (const auto& s : set) {
    auto kv = split_assignment(s, "--set");
    if (!kv) return std::move(kv).error();
    const auto value = io::parse_number(kv->second);
    if (!value) return Error("--set " + kv->first + ": expected a number, got \"" + kv->second + "\"");
    opts.set.emplace_back(kv->first, *value);
  }
  for (const auto& e : events) {
    auto kv = split_assignment(e, "--event");
    if (!kv) return std::move(kv).error();
    if (std::find(std::begin(kRoles), std::end(kRoles), kv->first) == std::end(kRoles)) {
      std::string roles;
      for (const char* r : kRoles) roles += (roles.empty() ? "" : ", ") + std::string(r);
      return Error("--event: unknown role \"" + kv->first + "\" (roles: " + roles + ")");
    }
    opts.event_roles.push_back(*kv);
  }
  opts.active_events = split_list(active_events);
  if (!session_timeout.empty()) {
    auto d = duration(session_timeout, "--session-timeout");
    if (!d) return std::move(d).error();
    opts.session_timeout = *d;
  }
  if (!activation_window.empty()) {
    auto d = duration(activation_window, "--activation-window");
    if (!d) return std::move(d).error();
    opts.activation_window = *d;
  }
  if (!early_churn_days.empty()) {
    const auto n = io::parse_integer(early_churn_days);
    if (!n || *n < 0) {
      return Error("--early-churn-days: expected a whole number of days, got \"" + early_churn_days + "\"");
    }
    opts.early_churn_days = *n;
  }
  for (const auto& t : targets) {
    auto kv = split_assignment(t, "--target");
    if (!kv) return std::move(kv).error();
    auto d = duration(kv->second, "--target");
    if (!d) return std::move(d).error();
    opts.targets.emplace_back(kv->first, *d);
  }
  opts.time_to = split_list(time_to);
  if (!survey.empty() && survey != "nps" && survey != "csat") {
    return Error("--survey: expected nps or csat, got \"" + survey + "\"");
  }
  opts.survey = survey;
  opts.explain_inputs = explain_inputs;
  return opts;
}

void OutputFlags::setup(CLI::App& cmd, const std::string& formats) {
  CLI::Option_group* group = cmd.add_option_group("Output options");
  group->add_option("-f,--format", format, "Output format: " + formats + " (default table)")
      ->type_name("FORMAT");
  group->add_option("-o,--output", output, "Write to FILE atomically instead of stdout")
      ->type_name("FILE");
}

Expected<report::Format> results_format(const OutputFlags& output) {
  const auto format = report::parse_format(output.format);
  if (!format) {
    return Error("--format: expected table, json, csv, tsv, ndjson or markdown, got \"" + output.format + "\"");
  }
  return *format;
}

Expected<time::Period> period_flag(const std::string& text) {
  const auto p = time::parse_period(text);
  if (!p) return Error("--period: expected day, week, month, quarter, year or all, got \"" + text + "\"");
  return *p;
}

int emit_results(const Expected<ResultSet>& results, const OutputFlags& output,
                 const std::function<void(std::ostream&, const ResultSet&)>& write) {
  if (!results) return report_error(results.error());
  print_warnings(results->warnings);
  return write_output(output.output, results->inputs.files,
                      [&](std::ostream& out) { write(out, *results); });
}

int report_error(const Error& error) {
  std::cerr << "kpi: error: " << error.render() << '\n';
  return kExitError;
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::cerr << "kpi: warning: " << w << '\n';
}

void install_interrupt_cleanup() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

int write_output(const std::string& path, const std::vector<std::string>& inputs,
                 const std::function<void(std::ostream&)>& writer) {
  if (path.empty() || path == "-") {
    writer(std::cout);
    std::cout.flush();
    if (!std::cout && errno != EPIPE) {
      return report_error(Error(std::string("cannot write to standard output: ") + std::strerror(errno)));
    }
    return kExitOk;
  }
  for (const auto& in : inputs) {
    if (in != "-" && same_file(in, path)) {
      return report_error(Error("-o " + path + ": refusing to overwrite an input file"));
    }
  }
  std::string tmpl = path + ".kpi-tmp-XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return report_error(Error("-o " + path + ": cannot create a file there: " + std::strerror(errno)));
  std::snprintf(g_pending_output, sizeof g_pending_output, "%s", tmpl.c_str());
  g_has_pending_output = true;
  std::ostringstream buffer;
  writer(buffer);
  const std::string text = buffer.str();
  bool ok = true;
  for (std::size_t done = 0; ok && done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  const int saved_errno = errno;
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ok = ok && ::fchmod(fd, 0666 & ~mask) == 0 && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || std::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = ok ? errno : saved_errno;
    ::unlink(tmpl.c_str());
    g_has_pending_output = false;
    return report_error(Error("-o " + path + ": cannot write: " + std::strerror(err)));
  }
  g_has_pending_output = false;
  return kExitOk;
}

}  // namespace kpi::cli
