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

// Runs a parsed subcommand's action. A failure (CliError, or any other exception: the CLI never aborts) gives
// exit code 1 and `error`, one escaped line "edgeinfer NAME: error: MESSAGE" without the newline.
struct ActionOutcome {
  int exit_code = 0;
  std::string error;
};
ActionOutcome perform_action(const Command& command);
// perform_action(), printing the error line on stderr: what main() does.
int run_action(const Command& command);

Command add_inspect_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_demo_command(CLI::App& app);
// `demo vibration`, a subcommand of `demo`.
Command add_vibration_demo(CLI::App& demo);
Command add_export_command(CLI::App& app);
Command add_size_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_quantize_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_prune_command(CLI::App& app);
Command add_ota_command(CLI::App& app);

}  // namespace edgeinfer::cli
