// commands.hpp — how subcommands plug into the kpi CLI.
//
// Each subcommand lives in its own file with its `Options`, a `setup` that
// declares its flags on a CLI11 subcommand, and a `run` that returns the exit
// status. It registers itself with a file-scope `Registration`, so main.cpp
// never changes when a command is added.
#pragma once

#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace kpi::cli {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

using SubcommandFactory = Subcommand (*)(CLI::App& parent);

/// Registers a subcommand; `order` sorts `kpi --help` (compute 10, check 20, ...).
struct Registration {
  Registration(int order, SubcommandFactory factory);
};

/// Every registered subcommand, in order.
std::vector<SubcommandFactory> registered_subcommands();

}  // namespace kpi::cli
