// The `edgeinfer` CLI: one file per subcommand. Each registers itself on the app and returns the exit code
// through `run`.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace edgeinfer::cli {

// A subcommand's action: returns the process exit code (0 on success). Throws CliError for user-facing
// failures, which main() prints as one line.
using Action = std::function<int()>;

struct Command {
  CLI::App* app;
  Action action;
};

struct CliError {
  std::string message;
};

Command add_inspect_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_demo_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_size_command(CLI::App& app);

}  // namespace edgeinfer::cli
