// kpi — fast, exact KPIs from the data you already export. See README.md.
#include <csignal>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"

int main(int argc, char** argv) {
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
