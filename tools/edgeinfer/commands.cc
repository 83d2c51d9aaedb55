// What main() does with a parsed subcommand: run it and turn every failure into one escaped error line.
#include "tools/edgeinfer/commands.h"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>

#include "tools/edgeinfer/escape.h"
#include "tools/edgeinfer/reports.h"

namespace edgeinfer::cli {

ActionOutcome perform_action(const Command& command) {
  ActionOutcome outcome;
  std::string message;
  try {
    outcome.exit_code = command.action();
    return outcome;
  } catch (const CliError& error) {
    message = error.message;
  } catch (const std::bad_alloc&) {
    message = "out of memory";
  } catch (const std::filesystem::filesystem_error& error) {
    message = error.what();
  } catch (const std::exception& error) {
    // A bug, but still no abort: the robustness tests look for this prefix.
    message = std::string("internal error: ") + error.what();
  }
  // The message may quote model strings, file names or file contents: escaped, it stays on one line.
  outcome.exit_code = 1;
  outcome.error = "edgeinfer " + printable(command.app->get_name()) + ": error: " + printable(message);
  return outcome;
}

void print_report(const std::string& report) {
  std::fwrite(report.data(), 1, report.size(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) throw CliError{"cannot write the report to stdout"};
}

int run_action(const Command& command) {
  const ActionOutcome outcome = perform_action(command);
  if (!outcome.error.empty()) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", outcome.error.c_str());
  }
  return outcome.exit_code;
}

}  // namespace edgeinfer::cli
