#include "compiler/graph/graph.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::compiler {
namespace {

using testing::run_values;
using Act = tflite_ir::ActivationFunctionType;

const testing::KernelList kKernels = {{BuiltinOp::kFullyConnected, &reference::fully_connected()},
                                      {BuiltinOp::kRelu, &reference::relu()}};

// input [1,2] -> FULLY_CONNECTED (weights [[1,-2],[3,4]], bias [0.5,-10]) -> RELU -> output.
std::vector<uint8_t> fc_relu_model() {
  ModelBuilder b;
  int in = b.add_tensor(DataType::kFloat32, {1, 2}, {}, "input");
  int w = b.add_constant<float>(DataType::kFloat32, {2, 2}, {1, -2, 3, 4}, {}, "weights");
  int bias = b.add_constant<float>(DataType::kFloat32, {2}, {0.5f, -10}, {}, "bias");
  int mid = b.add_tensor(DataType::kFloat32, {1, 2}, {}, "fc");
  int out = b.add_tensor(DataType::kFloat32, {1, 2}, {}, "relu");
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bias}, {mid}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  b.add_op(BuiltinOp::kRelu, {mid}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  b.set_description("test model");
  b.add_metadata("min_runtime_version", {'1', '.', '5', 0});
  return b.finish();
}

TEST(GraphTest, ReadsTensorsOpsOptionsAndMetadata) {
  const Graph g = Graph::read(fc_relu_model());
  ASSERT_EQ(g.tensors.size(), 5u);
  ASSERT_EQ(g.ops.size(), 2u);
  EXPECT_TRUE(g.ops[0].is(BuiltinOp::kFullyConnected));
  EXPECT_EQ(g.ops[0].options.type, tflite_ir::BuiltinOptions::FullyConnectedOptions);
  EXPECT_EQ(g.ops[0].fused_activation(), Act::NONE);
  EXPECT_EQ(g.ops[1].name(), "RELU");
  EXPECT_EQ(g.tensors[1].name, "weights");
  EXPECT_TRUE(g.tensors[1].is_constant);
  EXPECT_EQ(g.tensors[1].values<float>(), (std::vector<float>{1, -2, 3, 4}));
  EXPECT_FALSE(g.tensors[0].is_constant);
  EXPECT_EQ(g.inputs, std::vector<int>{0});
  EXPECT_EQ(g.outputs, std::vector<int>{4});
  EXPECT_EQ(g.description, "test model");
  ASSERT_EQ(g.metadata.size(), 1u);
  EXPECT_EQ(g.metadata[0].first, "min_runtime_version");
  EXPECT_EQ(g.producer(3), 0);
  EXPECT_EQ(g.consumers(3), std::vector<int>{1});
  EXPECT_EQ(g.producer(0), -1);
}

TEST(GraphTest, EditsRunAsExpected) {
  const std::vector<float> input = {2, 1};  // fc: [2-2+0.5, 6+4-10] = [0.5, 0]
  EXPECT_EQ((run_values<float>(fc_relu_model(), kKernels, input)), (std::vector<float>{0.5f, 0}));

  // Fuse the RELU into the FULLY_CONNECTED by hand: set the activation, drop the op, rewire, compact.
  Graph g = Graph::read(fc_relu_model());
  ASSERT_TRUE(g.ops[0].set_fused_activation(Act::RELU));
  g.replace_uses(4, 3);
  g.remove_op(1);
  g.remove_unused_tensors();
  EXPECT_EQ(g.tensors.size(), 4u);
  EXPECT_EQ(g.outputs, std::vector<int>{3});
  // Replace a constant: weights now [[1,0],[0,-1]], so fc = [2.5, -11] -> relu [2.5, 0].
  g.tensors[1].set_values<float>(DataType::kFloat32, {1, 0, 0, -1});
  const std::vector<uint8_t> bytes = g.write();
  EXPECT_EQ((run_values<float>(bytes, kKernels, input)), (std::vector<float>{2.5f, 0}));
  const Graph again = Graph::read(bytes);
  EXPECT_EQ(again.ops[0].fused_activation(), Act::RELU);
  EXPECT_EQ(again.ops.size(), 1u);

  // Insert an op: RELU after the FULLY_CONNECTED's output, into a new tensor that becomes the output.
  Graph h = Graph::read(bytes);
  GraphTensor t = h.tensors[3];
  t.name = "relu_again";
  const int out = h.add_tensor(t);
  GraphOp relu;
  relu.code = static_cast<int32_t>(BuiltinOp::kRelu);
  relu.inputs = {3};
  relu.outputs = {out};
  h.insert_op(relu);
  h.outputs = {out};
  EXPECT_EQ((run_values<float>(h.write(), kKernels, input)), (std::vector<float>{2.5f, 0}));
}

TEST(GraphTest, FloatValuesDequantizePerChannel) {
  GraphTensor t;
  t.type = DataType::kInt8;
  t.shape = {2, 2};
  t.quant = QuantParams::per_channel({0.5f, 0.25f}, {0, 1}, 0);
  t.set_values<int8_t>(DataType::kInt8, {2, -4, 5, 1});
  EXPECT_EQ(t.float_values(), (std::vector<float>{1.0f, -2.0f, 1.0f, 0.0f}));
  GraphTensor h;
  h.shape = {3};
  h.set_values<uint16_t>(DataType::kFloat16, {0x3c00, 0xc000, 0x3555});  // 1, -2, 0.333251953125
  EXPECT_EQ(h.float_values(), (std::vector<float>{1.0f, -2.0f, 0.333251953125f}));
}

TEST(GraphTest, InconsistentGraphsAreRejectedWithTheReason) {
  Graph g = Graph::read(fc_relu_model());
  std::swap(g.ops[0], g.ops[1]);
  try {
    g.write();
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "op 0 (RELU) reads tensor 3 (fc) before any op writes it");
  }
  Graph h = Graph::read(fc_relu_model());
  h.ops[0].inputs[1] = 99;
  EXPECT_THROW(h.write(), std::invalid_argument);
  Graph k = Graph::read(fc_relu_model());
  k.tensors[1].data.pop_back();  // 15 bytes for a [2,2] float constant
  EXPECT_THROW(k.write(), std::invalid_argument);
  std::vector<uint8_t> truncated = fc_relu_model();
  truncated.resize(truncated.size() / 2);
  EXPECT_THROW(Graph::read(truncated), std::invalid_argument);
}

}  // namespace
}  // namespace edgeinfer::compiler
