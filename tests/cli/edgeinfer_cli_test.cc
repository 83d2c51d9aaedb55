// The edgeinfer CLI as a user runs it: exit codes, one-line errors, exact arena behaviour, output files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/shared_data.h"

namespace edgeinfer {
namespace {

using testing::run_command;

std::string cli() {
  return testing::edgeinfer_cli().string();
}

std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("edgeinfer_cli_test_" + std::to_string(getpid()) + "_" + name);
}

// The demo model, saved by the demo itself: the CLI tests need no shared data.
std::filesystem::path demo_model() {
  static const std::filesystem::path path = [] {
    const auto file = temp_file("demo.tflite");
    const auto result = run_command(cli() + " demo --save " + file.string());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return file;
  }();
  return path;
}

TEST(CliTest, DemoRunsAndExplainsItself) {
  const auto result = run_command(cli() + " demo");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("bearing fault"), std::string::npos);
  EXPECT_NE(result.output.find("ALERT"), std::string::npos);
  EXPECT_NE(result.output.find("arena"), std::string::npos);
}

TEST(CliTest, HelpWorksForEverySubcommand) {
  for (const std::string sub : {"", " demo", " inspect", " run"}) {
    const auto result = run_command(cli() + sub + " --help");
    EXPECT_EQ(result.exit_code, 0) << sub << ": " << result.output;
    EXPECT_NE(result.output.find("Usage"), std::string::npos) << sub;
  }
}

TEST(CliTest, InspectJsonReportsArenaThatRunsExactlyAndFailsWithOneByteLess) {
  const auto inspect = run_command(cli() + " inspect --json " + demo_model().string());
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  const auto json = nlohmann::json::parse(inspect.output);
  const size_t arena = json["arena_bytes"].get<size_t>();
  EXPECT_GT(arena, 0u);
  EXPECT_EQ(json["op_counts"]["FULLY_CONNECTED"], 2);
  EXPECT_EQ(json["total_macs"], 8 * 3 + 3 * 8);

  const auto exact =
      run_command(cli() + " run " + demo_model().string() + " --fill lcg:1 --arena " + std::to_string(arena));
  EXPECT_EQ(exact.exit_code, 0) << exact.output;
  const auto smaller = run_command(cli() + " run " + demo_model().string() + " --fill lcg:1 --arena " +
                                   std::to_string(arena - 1));
  EXPECT_EQ(smaller.exit_code, 1) << smaller.output;
  EXPECT_NE(smaller.output.find("needs " + std::to_string(arena)), std::string::npos) << smaller.output;
  EXPECT_EQ(std::count(smaller.output.begin(), smaller.output.end(), '\n'), 1) << "one-line error";
}

TEST(CliTest, RunWritesOutputBytesAndAcceptsInputFiles) {
  const auto out_fill = temp_file("fill.bin");
  auto result =
      run_command(cli() + " run " + demo_model().string() + " --fill lcg:7 --output " + out_fill.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto filled = testing::read_bytes(out_fill);
  EXPECT_EQ(filled.size(), 8u);  // one int8 [1,8] output

  // The same input given as a file produces the same output.
  std::vector<uint8_t> input(8);
  uint32_t x = 7;
  for (auto& v : input) v = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  const auto in_file = temp_file("in.bin");
  std::ofstream(in_file, std::ios::binary).write(reinterpret_cast<const char*>(input.data()), input.size());
  const auto out_file = temp_file("file.bin");
  result = run_command(cli() + " run " + demo_model().string() + " --input " + in_file.string() +
                       " --output " + out_file.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(testing::read_bytes(out_file), filled);
}

TEST(CliTest, RunReportsLatencyAsJson) {
  const auto result = run_command(cli() + " run " + demo_model().string() + " --fill lcg:3 --runs 5 --json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto json = nlohmann::json::parse(result.output);
  EXPECT_EQ(json["runs"], 5);
  EXPECT_GE(json["median_us"].get<double>(), json["min_us"].get<double>());
  EXPECT_EQ(json["outputs"][0]["values"].size(), 8u);
}

TEST(CliTest, BadInputsGiveOneLineErrors) {
  const std::string model = demo_model().string();
  const auto short_file = temp_file("short.bin");
  std::ofstream(short_file, std::ios::binary) << "abc";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" run /no/such/model.tflite --fill lcg:1", "cannot open"},
      {" run " + model, "no input data"},
      {" run " + model + " --fill lcg:abc", "--fill seed"},
      {" run " + model + " --fill random:1", "lcg:SEED"},
      {" run " + model + " --fill lcg:99999999999", "32-bit"},
      {" run " + model + " --input " + short_file.string(), "3 bytes, input 0 (int8 [1,8]) needs 8"},
      {" run " + model + " --input a --input b", "model has 1 inputs, got 2"},
      {" run " + model + " --input " + short_file.string() + " --fill lcg:1", "not both"},
      {" inspect " + short_file.string(), "model is only 3 bytes"},
  };
  for (const auto& [args, expected] : cases) {
    const auto result = run_command(cli() + args);
    EXPECT_EQ(result.exit_code, 1) << args << ": " << result.output;
    EXPECT_NE(result.output.find(expected), std::string::npos) << args << ": " << result.output;
    EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1)
        << args << ": " << result.output;
  }
  EXPECT_NE(run_command(cli() + " run " + model + " --runs 0 --fill lcg:1").exit_code, 0);
  EXPECT_NE(run_command(cli() + " frobnicate").exit_code, 0);
}

TEST(CliTest, RunOutputMatchesTflmGolden) {
  EI_REQUIRE_SHARED_DIR(shared);
  const auto out = temp_file("hello.bin");
  const auto result =
      run_command(cli() + " run " + (shared / "models/tflm/hello_world_int8.tflite").string() +
                  " --fill lcg:12345 --output " + out.string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(testing::read_bytes(out),
            testing::read_bytes(shared / "golden/tflm/hello_world_int8.seed12345.bin"));
}
}  // namespace
}  // namespace edgeinfer
