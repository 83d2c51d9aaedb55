// Graph IR round trip: every real model in ../shared/models, read into compiler::Graph and written back,
// loads and gives byte-equal outputs to the original on the same inputs; writing the re-read model again
// gives the same bytes (the writer is deterministic and keeps everything it read).
#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/host_runner.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "tests/support/shared_data.h"

namespace edgeinfer {
namespace {

class GraphRoundTripTest : public ::testing::TestWithParam<std::string> {};

std::vector<uint8_t> run_outputs(const Model& model, uint32_t seed) {
  AllOpsResolver resolver;
  host::HostInterpreter runner;
  Status status = runner.init(model, resolver);
  EXPECT_TRUE(status.is_ok()) << status.message();
  if (!status.is_ok()) return {};
  Interpreter& interpreter = runner.interpreter();
  for (int i = 0; i < interpreter.num_inputs(); ++i)
    EXPECT_TRUE(fill_lcg(interpreter.input(i), seed).is_ok());
  status = interpreter.invoke();
  EXPECT_TRUE(status.is_ok()) << status.message();
  return host::output_bytes(interpreter);
}

TEST_P(GraphRoundTripTest, WrittenModelRunsByteEqual) {
  EI_REQUIRE_SHARED_DIR(shared);
  std::filesystem::path model_path;
  for (const auto& path : testing::shared_models())
    if (path.stem().string() == GetParam()) model_path = path;
  ASSERT_FALSE(model_path.empty()) << "model " << GetParam() << " not found";
  const std::vector<uint8_t> original = testing::read_bytes(model_path);

  const compiler::Graph graph = compiler::Graph::read(original);
  const std::vector<uint8_t> written = graph.write();
  host::LoadedModel before, after;
  ASSERT_TRUE(before.load_bytes(original.data(), original.size()).is_ok());
  const Status status = after.load_bytes(written.data(), written.size());
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(after.model().num_ops(), before.model().num_ops());
  EXPECT_EQ(after.model().num_tensors(), before.model().num_tensors());
  for (uint32_t seed : {12345u, 7u}) {
    const auto expected = run_outputs(before.model(), seed);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(run_outputs(after.model(), seed), expected) << "seed " << seed;
  }
  EXPECT_EQ(compiler::Graph::read(written).write(), written);
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& path : testing::shared_models()) names.push_back(path.stem().string());
  if (names.empty()) names.push_back("shared_data_absent");
  return names;
}

INSTANTIATE_TEST_SUITE_P(Models, GraphRoundTripTest, ::testing::ValuesIn(model_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace edgeinfer
