// common.hpp — what every kpi subcommand shares: the input and compute flags of
// CLI.md (declared once, so every data command accepts exactly the same ones),
// error and warning printing, and atomic output.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "kpi/compute.hpp"
#include "kpi/error.hpp"
#include "kpi/report/writers.hpp"

namespace kpi::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitError = 2;

extern const char* const kMainFooter;

/// Makes every repeatable flag take exactly one value per occurrence, so
/// `-m churn_rate FILE` reads FILE as a file, not as a second metric.
void one_value_per_flag(CLI::App& app);

/// Parses argv. Returns -1 when a subcommand should run, else the exit status
/// (0 after --help/--version, 2 for a usage error, printed as "kpi: error: ...").
int parse(CLI::App& app, int argc, char** argv);

/// CLI.md "Input options" as typed on the command line.
struct InputFlags {
  std::vector<std::string> files;
  std::string kind;
  std::string input_format;
  std::vector<std::string> map;
  std::vector<std::string> defaults;
  std::string time_format;
  std::string delimiter;
  std::string from, to;
  std::string tz = "UTC";
  bool skip_invalid = false;

  void setup(CLI::App& cmd);
  /// Validates and converts; errors name the flag.
  Expected<InputOptions> to_options() const;
};

/// CLI.md "Compute options" (those of compute and check) as typed.
struct ComputeFlags {
  std::vector<std::string> metrics;
  std::string period;
  std::vector<std::string> by;
  std::vector<std::string> set;
  std::vector<std::string> events;
  std::vector<std::string> active_events;
  std::string session_timeout, activation_window, early_churn_days;
  std::vector<std::string> targets;
  std::vector<std::string> time_to;
  std::string survey;
  bool explain_inputs = false;

  void setup(CLI::App& cmd);
  Expected<ComputeOptions> to_options(InputOptions input) const;
};

/// -f/--format and -o/--output.
struct OutputFlags {
  std::string format = "table";
  std::string output;
  void setup(CLI::App& cmd, const std::string& formats);
};

/// The -f value of a command that writes results (compute, funnel, retention).
Expected<report::Format> results_format(const OutputFlags& output);
/// A --period value; the error names the flag and the choices.
Expected<time::Period> period_flag(const std::string& text);

/// The common end of compute, funnel and retention: an error exits 2; otherwise
/// the warnings go to stderr and `write(out, results)` to stdout or -o.
int emit_results(const Expected<ResultSet>& results, const OutputFlags& output,
                 const std::function<void(std::ostream&, const ResultSet&)>& write);

/// Prints "kpi: error: <rendered>" on stderr and returns kExitError.
int report_error(const Error& error);
/// Prints each warning as "kpi: warning: ..." on stderr.
void print_warnings(const std::vector<std::string>& warnings);

/// Writes through `writer` to `path` atomically (temp file in the same directory,
/// fsync, rename; removed on failure or Ctrl-C), or to stdout when `path` is empty
/// or "-". Refuses a path that is also an input. A closed stdout pipe is not an
/// error. Returns an exit status.
int write_output(const std::string& path, const std::vector<std::string>& inputs,
                 const std::function<void(std::ostream&)>& writer);

/// Installs the SIGINT/SIGTERM handler that removes a pending temp output file.
void install_interrupt_cleanup();

/// "a=b" → {"a", "b"}; error naming `flag` otherwise.
Expected<std::pair<std::string, std::string>> split_assignment(const std::string& text, const char* flag);

}  // namespace kpi::cli
