// TFLM's per-layer int16 conformance suite (SEANet layers): every output value equal to the golden CSV.
#include <gtest/gtest.h>

#include <algorithm>

#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

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

void PrintTo(const SeanetCase& c, std::ostream* os) {
  *os << c.op << "/" << c.name;
}

class SeanetTest : public ::testing::TestWithParam<SeanetCase> {};

TEST_P(SeanetTest, MatchesGolden) {
  EI_REQUIRE_SHARED_DIR(shared);
  const SeanetCase& c = GetParam();
  const AllOpsResolver resolver;
  testing::expect_seanet_case(shared / "conformance" / "seanet" / c.op, c.name, resolver);
}

INSTANTIATE_TEST_SUITE_P(Seanet, SeanetTest, ::testing::ValuesIn(seanet_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace edgeinfer
