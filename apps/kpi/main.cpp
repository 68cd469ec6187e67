// kpi — fast, exact KPIs from the data you already export. See README.md.
#include <csignal>
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"

namespace {

int run(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe becomes EPIPE, handled quietly
  kpi::cli::install_interrupt_cleanup();

  CLI::App app{"kpi — fast, exact SaaS and product KPIs from the data you already export."};
  app.name("kpi");
  app.set_version_flag("--version", "kpi " KPI_VERSION);
  app.require_subcommand(1);
  app.footer(kpi::cli::kMainFooter);
  std::vector<kpi::cli::Subcommand> commands;
  for (auto factory : kpi::cli::registered_subcommands()) commands.push_back(factory(app));
  kpi::cli::one_value_per_flag(app);

  if (int status = kpi::cli::parse(app, argc, argv); status >= 0) return status;
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kpi::cli::kExitError;
}

}  // namespace

// Errors are values inside kpi; what can still throw is the allocator (an input
// too big for memory) and the libraries under the CLI. Either way the run ends
// as a reported error with kpi's exit status, not std::terminate and an abort.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "kpi: error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "kpi: error: unknown exception\n";
  }
  return kpi::cli::kExitError;
}
