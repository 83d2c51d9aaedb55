// Every real model in ../shared/models: loads, allocates in exactly the arena it reports, invokes, and, where
// TFLM's output for --fill lcg:12345 is in ../shared/golden/tflm, matches it byte for byte.
#include <gtest/gtest.h>


#include "compiler/host_runner.h"
#include "compiler/tensor_compare.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "tests/support/shared_data.h"

namespace edgeinfer {
namespace {

class SharedModelTest : public ::testing::TestWithParam<std::string> {};

std::string model_stem(const std::filesystem::path& path) { return path.stem().string(); }

// Where the run first departs from TFLM, from TFLM's intermediate tensors (golden/tflm-tensors), so a failure
// names the op: "first departs at op 81 (MEAN): tensor 254 'x', 532 of 1280 values differ, ...".
std::string first_departure(const Model& model, const OpResolver& resolver,
                            const std::filesystem::path& shared, const std::string& stem) {
  const auto dir = shared / "golden" / "tflm-tensors" / (stem + ".seed12345");
  if (!std::filesystem::is_directory(dir)) return "no TFLM intermediate tensors to find the departing op";
  std::string error;
  const auto report = host::compare_with_golden(model, resolver, dir, 12345, &error);
  if (!report) return "comparing intermediate tensors failed: " + error;
  return host::describe_first_departure(*report);
}

TEST_P(SharedModelTest, RunsAndMatchesTflmGoldenForSeed12345) {
  EI_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path model_path;
  for (const auto& path : testing::shared_models())
    if (model_stem(path) == GetParam()) model_path = path;
  ASSERT_FALSE(model_path.empty()) << "model " << GetParam() << " not found";

  host::LoadedModel loaded;
  ASSERT_TRUE(loaded.load_file(model_path.string()).is_ok());
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  Status status = runner.init(loaded.model(), resolver);
  ASSERT_TRUE(status.is_ok()) << status.message();
  Interpreter& interpreter = runner.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i) ASSERT_TRUE(fill_lcg(interpreter.input(i), 12345).is_ok());
  status = interpreter.invoke();
  ASSERT_TRUE(status.is_ok()) << status.message();

  const auto golden_path = shared / "golden" / "tflm" / (GetParam() + ".seed12345.bin");
  if (!std::filesystem::exists(golden_path)) {
    // Models TFLM's outputs were not recorded for: loading, allocating in the exact arena and invoking is
    // what is checked (outputs are compared where goldens exist).
    std::printf("%s: ran in %zu bytes; no TFLM golden to compare\n", GetParam().c_str(), runner.arena_bytes());
    return;
  }
  const std::vector<uint8_t> golden = testing::read_bytes(golden_path);
  const std::vector<uint8_t> ours = host::output_bytes(interpreter);
  ASSERT_EQ(ours.size(), golden.size()) << first_departure(loaded.model(), resolver, shared, GetParam());
  size_t mismatches = 0, first = 0;
  for (size_t i = 0; i < ours.size(); ++i)
    if (ours[i] != golden[i] && mismatches++ == 0) first = i;
  EXPECT_EQ(mismatches, 0u) << "first differing byte " << first << ": ours " << int(ours[first]) << ", TFLM "
                            << int(golden[first]) << "; "
                            << first_departure(loaded.model(), resolver, shared, GetParam());
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& path : testing::shared_models()) names.push_back(model_stem(path));
  if (names.empty()) names.push_back("shared_data_absent");
  return names;
}

INSTANTIATE_TEST_SUITE_P(Models, SharedModelTest, ::testing::ValuesIn(model_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace edgeinfer
