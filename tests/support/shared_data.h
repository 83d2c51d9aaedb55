// Test access to ../shared (real models, goldens, conformance cases) through one setting: the environment
// variable EDGEINFER_SHARED_DIR, else the CMake cache variable of the same name (default ../shared).
// Tests needing it skip visibly when it is absent.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "compiler/host_runner.h"

namespace edgeinfer::testing {

// The shared directory, or nullopt when it does not exist.
std::optional<std::filesystem::path> shared_dir();

// Every .tflite file below shared/models, sorted by path.
std::vector<std::filesystem::path> shared_models();

// Parses comma-separated integers (the conformance CSV format).
std::vector<int64_t> read_csv_integers(const std::filesystem::path& path);

std::vector<uint8_t> read_bytes(const std::filesystem::path& path);

// The built `edgeinfer` CLI (in the build tree's bin/).
std::filesystem::path edgeinfer_cli();

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` through the shell, capturing its output.
CommandResult run_command(const std::string& command);

}  // namespace edgeinfer::testing

// Skips the current test, visibly, when ../shared is absent; otherwise binds `var` to its path.
#define EI_REQUIRE_SHARED_DIR(var)                                                               \
  auto var##_optional = ::edgeinfer::testing::shared_dir();                                      \
  if (!var##_optional) {                                                                         \
    GTEST_SKIP() << "shared test data not found (set EDGEINFER_SHARED_DIR): skipping this test"; \
  }                                                                                              \
  const std::filesystem::path var = *var##_optional
