// Shared int8 models with 75% of the blocks of every FULLY_CONNECTED and CONV_2D weight zeroed (smallest
// magnitude first, as block pruning does), run with and without their block-sparsity index on the reference
// kernels and on the Cortex-M kernels (on the host, their portable code): byte-equal outputs for several
// inputs, the same arena, and every indexed op taking the index. Skips visibly without ../shared.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/host_runner.h"
#include "compiler/quantize/sparsity_index.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/lcg.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/reference/block_sparse_test_util.h"
#include "tests/support/shared_data.h"

namespace edgeinfer {
namespace {

struct Result {
  std::vector<std::vector<uint8_t>> outputs;  // per input seed
  size_t arena = 0;
  int sparse_ops = 0;
};

Result run(const std::vector<uint8_t>& bytes, bool cortex_m) {
  Result result;
  host::LoadedModel model;
  AllOpsResolver resolver;
  if (cortex_m)
    for (const auto& k : cortex_m::kOptimizedKernels) resolver.add(k.op, k.kernel());
  host::HostInterpreter runner;
  Status status = model.load_bytes(bytes.data(), bytes.size());
  if (status.is_ok()) status = runner.init(model.model(), resolver);
  EXPECT_TRUE(status.is_ok()) << status.message();
  if (!status.is_ok()) return result;
  Interpreter& interpreter = runner.interpreter();
  result.arena = interpreter.arena_used_bytes();
  result.sparse_ops = interpreter.block_sparse_ops();
  for (const uint32_t seed : {12345u, 7u, 99u}) {
    for (int i = 0; i < interpreter.num_inputs(); ++i)
      EXPECT_TRUE(fill_lcg(interpreter.input(i), seed).is_ok());
    status = interpreter.invoke();
    EXPECT_TRUE(status.is_ok()) << status.message();
    result.outputs.push_back(host::output_bytes(interpreter));
  }
  return result;
}

class BlockSparseModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BlockSparseModelTest, PrunedModelRunsSameBytesInSameArenaWithIndex) {
  EI_REQUIRE_SHARED_DIR(shared);
  const auto path = shared / "models" / GetParam();
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  compiler::Graph g = compiler::Graph::read(testing::read_bytes(path));
  int weight_ops = 0;
  for (const compiler::GraphOp& op : g.ops) {
    if (!op.is(BuiltinOp::kFullyConnected) && !op.is(BuiltinOp::kConv2D)) continue;
    compiler::GraphTensor& w = g.tensor(op.inputs[1]);
    if (w.type != DataType::kInt8 || !w.is_constant) continue;
    sparse_test::prune_smallest_blocks(w, 0.75);
    ++weight_ops;
  }
  ASSERT_GT(weight_ops, 0);
  const std::vector<uint8_t> dense = g.write();
  // All but first layers with 1 or 3 input channels (not indexed; no weight is shared in these models).
  const int indexed = compiler::quantize::add_block_sparsity_index(g);
  EXPECT_GE(indexed, weight_ops - 1);
  const std::vector<uint8_t> sparse = g.write();
  for (const bool cortex_m : {false, true}) {
    SCOPED_TRACE(cortex_m ? "cortex_m kernels" : "reference kernels");
    const Result want = run(dense, cortex_m);
    const Result got = run(sparse, cortex_m);
    EXPECT_EQ(want.sparse_ops, 0);
    EXPECT_EQ(got.sparse_ops, indexed);
    EXPECT_EQ(got.arena, want.arena);
    EXPECT_EQ(got.outputs, want.outputs);
    std::printf("%s (%s): %d ops sparse, arena %zu bytes both\n", GetParam().c_str(),
                cortex_m ? "cortex_m" : "reference", got.sparse_ops, got.arena);
  }
}

// FULLY_CONNECTED (anomaly autoencoder), CONV_2D + DEPTHWISE + FULLY_CONNECTED (keyword spotting, person
// detection), a ResNet.
INSTANTIATE_TEST_SUITE_P(Shared, BlockSparseModelTest,
                         ::testing::Values("mlperf_tiny/ad01_int8.tflite", "mlperf_tiny/kws_ref_model.tflite",
                                           "tflm/person_detect.tflite",
                                           "mlperf_tiny/pretrainedResnet_quant.tflite"),
                         [](const auto& info) { return std::filesystem::path(info.param).stem().string(); });

}  // namespace
}  // namespace edgeinfer
