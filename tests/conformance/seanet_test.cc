// TFLM's per-layer int16 conformance suite (SEANet layers): every output value equal to the golden CSV.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"

namespace edgeinfer {
namespace {

struct SeanetCase {
  std::string op;    // folder: add, conv, ...
  std::string name;  // add0, ...
};

std::vector<SeanetCase> seanet_cases() {
  std::vector<SeanetCase> cases;
  if (auto dir = testing::shared_dir()) {
    for (const auto& folder : std::filesystem::directory_iterator(*dir / "conformance" / "seanet"))
      for (const auto& file : std::filesystem::directory_iterator(folder.path()))
        if (file.path().extension() == ".tflite")
          cases.push_back({folder.path().filename().string(), file.path().stem().string()});
  }
  std::sort(cases.begin(), cases.end(), [](auto& a, auto& b) { return a.name < b.name; });
  if (cases.empty()) cases.push_back({"none", "shared_data_absent"});
  return cases;
}

void PrintTo(const SeanetCase& c, std::ostream* os) { *os << c.op << "/" << c.name; }

class SeanetTest : public ::testing::TestWithParam<SeanetCase> {};

template <class T>
void write_values(const Tensor& tensor, const std::vector<int64_t>& values) {
  for (size_t i = 0; i < values.size(); ++i) tensor.data_as<T>()[i] = static_cast<T>(values[i]);
}

TEST_P(SeanetTest, MatchesGolden) {
  EI_REQUIRE_SHARED_DIR(shared);
  const SeanetCase& c = GetParam();
  const auto dir = shared / "conformance" / "seanet" / c.op;
  host::LoadedModel loaded;
  Status status = loaded.load_file((dir / (c.name + ".tflite")).string());
  ASSERT_TRUE(status.is_ok()) << status.message();
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  status = runner.init(loaded.model(), resolver);
  ASSERT_TRUE(status.is_ok()) << status.message();
  Interpreter& interpreter = runner.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i) {
    const Tensor input = interpreter.input(i);
    const auto path = dir / (c.name + "_input" + std::to_string(i) + "_" + data_type_name(input.type) + ".csv");
    const auto values = testing::read_csv_integers(path);
    ASSERT_EQ(static_cast<int64_t>(values.size()), input.num_elements()) << path;
    if (input.type == DataType::kInt16) write_values<int16_t>(input, values);
    else if (input.type == DataType::kInt32) write_values<int32_t>(input, values);
    else if (input.type == DataType::kInt8) write_values<int8_t>(input, values);
    else FAIL() << "unexpected input type " << data_type_name(input.type);
  }
  status = interpreter.invoke();
  ASSERT_TRUE(status.is_ok()) << status.message();
  const Tensor output = interpreter.output(0);
  const auto golden = testing::read_csv_integers(dir / (c.name + "_golden_" + data_type_name(output.type) + ".csv"));
  ASSERT_EQ(static_cast<int64_t>(golden.size()), output.num_elements());
  int mismatches = 0;
  for (size_t i = 0; i < golden.size(); ++i) {
    const int64_t ours = output.type == DataType::kInt16   ? output.data_as<int16_t>()[i]
                         : output.type == DataType::kInt32 ? output.data_as<int32_t>()[i]
                                                           : output.data_as<int8_t>()[i];
    if (ours != golden[i] && mismatches++ < 5)
      ADD_FAILURE() << "element " << i << ": ours " << ours << ", golden " << golden[i];
  }
  EXPECT_EQ(mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(Seanet, SeanetTest, ::testing::ValuesIn(seanet_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace edgeinfer
