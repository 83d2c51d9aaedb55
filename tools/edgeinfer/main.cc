// edgeinfer: inspect, run and export .tflite models with the EdgeInfer runtime; firmware footprints.
#include <cstdio>
#include <vector>

#include "tools/edgeinfer/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"EdgeInfer: exact, small neural inference for microcontrollers and edge devices"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "edgeinfer 0.1.0");
  const std::vector<edgeinfer::cli::Command> commands = {
      edgeinfer::cli::add_demo_command(app),     edgeinfer::cli::add_export_command(app),
      edgeinfer::cli::add_inspect_command(app),  edgeinfer::cli::add_run_command(app),
      edgeinfer::cli::add_size_command(app),     edgeinfer::cli::add_compare_command(app),
      edgeinfer::cli::add_quantize_command(app), edgeinfer::cli::add_eval_command(app),
      edgeinfer::cli::add_train_command(app),    edgeinfer::cli::add_prune_command(app),
      edgeinfer::cli::add_ota_command(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  for (const auto& command : commands) {
    if (!command.app->parsed()) continue;
    return edgeinfer::cli::run_action(command);
  }
  return 1;
}
