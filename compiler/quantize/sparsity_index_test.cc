// add_block_sparsity_index(): which weights get an entry (integer FULLY_CONNECTED / CONV_2D, int8, zero
// points 0, enough zero blocks), replacing and removing the entry, idempotence; and a whole builder-made
// model pruned to 75% zero blocks running to the same bytes and arena with and without its index, on the
// reference and the Cortex-M kernels.
#include "compiler/quantize/sparsity_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "compiler/graph/graph.h"
#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/reference/block_sparse_test_util.h"

namespace edgeinfer::compiler::quantize {
namespace {

using sparse_test::block_pruned_weights;

// The index entry's bytes, or empty when the graph has none.
std::vector<uint8_t> index_of(const Graph& g) {
  for (const auto& [name, data] : g.metadata)
    if (name == kBlockSparsityMetadataName) return data;
  return {};
}

int count_index_entries(const Graph& g) {
  return static_cast<int>(std::count_if(g.metadata.begin(), g.metadata.end(),
                                        [](const auto& m) { return m.first == kBlockSparsityMetadataName; }));
}

// CONV_2D [8,3,3,8] -> CONV_2D 1x1 [12,1,1,8] -> RESHAPE -> FULLY_CONNECTED [10, 4*4*12] ->
// FULLY_CONNECTED [5,10]; every weight with `sparsity` of its blocks zero.
std::vector<uint8_t> small_network(double sparsity, uint32_t seed) {
  std::mt19937 rng(seed);
  ModelBuilder b;
  auto per_channel = [&](int n, float scale) {
    return QuantParams::per_channel(std::vector<float>(n, scale), std::vector<int64_t>(n, 0), 0);
  };
  const int in = b.add_tensor(DataType::kInt8, {1, 4, 4, 8}, QuantParams::per_tensor(0.05f, -7));
  const int w1 = b.add_constant<int8_t>(DataType::kInt8, {8, 3, 3, 8},
                                        block_pruned_weights(rng, 72, 8, sparsity), per_channel(8, 0.01f));
  const int b1 = b.add_constant<int32_t>(
      DataType::kInt32, {8}, testing::random_ints<int32_t>(rng, 8, -500, 500), per_channel(8, 0.0005f));
  const int a1 = b.add_tensor(DataType::kInt8, {1, 4, 4, 8}, QuantParams::per_tensor(0.08f, -3));
  const int w2 = b.add_constant<int8_t>(DataType::kInt8, {12, 1, 1, 8},
                                        block_pruned_weights(rng, 12, 8, sparsity), per_channel(12, 0.01f));
  const int a2 = b.add_tensor(DataType::kInt8, {1, 4, 4, 12}, QuantParams::per_tensor(0.1f, 2));
  const int shape = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 192});
  const int flat = b.add_tensor(DataType::kInt8, {1, 192}, QuantParams::per_tensor(0.1f, 2));
  const int w3 =
      b.add_constant<int8_t>(DataType::kInt8, {10, 192}, block_pruned_weights(rng, 10, 192, sparsity),
                             QuantParams::per_tensor(0.01f, 0));
  const int a3 = b.add_tensor(DataType::kInt8, {1, 10}, QuantParams::per_tensor(0.3f, 0));
  const int w4 = b.add_constant<int8_t>(DataType::kInt8, {5, 10}, block_pruned_weights(rng, 5, 10, sparsity),
                                        QuantParams::per_tensor(0.02f, 0));
  const int out = b.add_tensor(DataType::kInt8, {1, 5}, QuantParams::per_tensor(0.2f, -1));
  auto conv = [](auto& fbb) {
    return tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, 1, 1, tflite::ActivationFunctionType::RELU)
        .Union();
  };
  auto fc = [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); };
  b.add_op(BuiltinOp::kConv2D, {in, w1, b1}, {a1}, tflite::BuiltinOptions::Conv2DOptions, conv);
  b.add_op(BuiltinOp::kConv2D, {a1, w2, -1}, {a2}, tflite::BuiltinOptions::Conv2DOptions, conv);
  b.add_op(BuiltinOp::kReshape, {a2, shape}, {flat}, tflite::BuiltinOptions::ReshapeOptions);
  b.add_op(BuiltinOp::kFullyConnected, {flat, w3, -1}, {a3}, tflite::BuiltinOptions::FullyConnectedOptions,
           fc);
  b.add_op(BuiltinOp::kFullyConnected, {a3, w4, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           fc);
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

TEST(BlockSparsityIndexWriter, IndexesPrunedWeightsOnly) {
  Graph dense = Graph::read(small_network(0.0, 1));
  EXPECT_EQ(add_block_sparsity_index(dense), 0);
  EXPECT_EQ(count_index_entries(dense), 0);  // no metadata: the model runs exactly as before

  Graph pruned = Graph::read(small_network(0.75, 1));
  EXPECT_EQ(add_block_sparsity_index(pruned), 4);
  const std::vector<uint8_t> index = index_of(pruned);
  for (const int t : {1, 4, 8, 10}) {  // the four weights
    BlockSparsityEntry entry;
    bool found = false;
    ASSERT_TRUE(find_block_sparsity_entry(index.data(), index.size(), t, &entry, &found).is_ok());
    EXPECT_TRUE(found) << "tensor " << t;
  }

  // Around the thresholds (fractions of each weight's blocks, rounded to whole blocks): none below both,
  // the convolutions between them, all above both.
  static_assert(kMinZeroBlocksConv2D > 0.35 && kMinZeroBlocksConv2D < 0.44);
  static_assert(kMinZeroBlocksFullyConnected > 0.46 && kMinZeroBlocksFullyConnected < 0.64);
  Graph few = Graph::read(small_network(0.35, 2));
  EXPECT_EQ(add_block_sparsity_index(few), 0);
  Graph convs = Graph::read(small_network(0.46, 2));
  EXPECT_EQ(add_block_sparsity_index(convs), 2);
  Graph all = Graph::read(small_network(0.67, 2));
  EXPECT_EQ(add_block_sparsity_index(all), 4);
}

TEST(BlockSparsityIndexWriter, ReplacesRemovesAndIsIdempotent) {
  Graph g = Graph::read(small_network(0.75, 3));
  g.metadata.emplace_back("min_runtime_version", std::vector<uint8_t>{'1', '.', '0'});
  g.metadata.emplace_back(kBlockSparsityMetadataName, std::vector<uint8_t>{1, 2, 3});  // stale
  g.metadata.emplace_back("other", std::vector<uint8_t>{4});
  ASSERT_EQ(add_block_sparsity_index(g), 4);
  const std::vector<uint8_t> first = g.write();
  EXPECT_EQ(count_index_entries(g), 1);
  EXPECT_EQ(g.metadata[1].first, kBlockSparsityMetadataName);  // replaced in place
  EXPECT_EQ(g.metadata.size(), 3u);
  ASSERT_EQ(add_block_sparsity_index(g), 4);
  EXPECT_EQ(g.write(), first);
  // Through a write/read round trip too.
  Graph again = Graph::read(first);
  ASSERT_EQ(add_block_sparsity_index(again), 4);
  EXPECT_EQ(again.write(), first);

  // Weights made dense again: the entry goes.
  for (GraphTensor& t : g.tensors)
    if (t.is_constant && t.type == DataType::kInt8) std::fill(t.data.begin(), t.data.end(), 1);
  EXPECT_EQ(add_block_sparsity_index(g), 0);
  EXPECT_EQ(count_index_entries(g), 0);
  EXPECT_EQ(g.metadata.size(), 2u);
}

TEST(BlockSparsityIndexWriter, SkipsWhatKernelsCannotUse) {
  Graph g = Graph::read(small_network(0.75, 4));
  g.tensor(10).quant = QuantParams::per_tensor(0.02f, 3);  // asymmetric weights: a zero is no zero product
  g.tensor(8).quant = QuantParams::per_tensor(0.01f, 0);
  EXPECT_EQ(add_block_sparsity_index(g), 3);
  BlockSparsityEntry entry;
  bool found = true;
  const std::vector<uint8_t> index = index_of(g);
  ASSERT_TRUE(find_block_sparsity_entry(index.data(), index.size(), 10, &entry, &found).is_ok());
  EXPECT_FALSE(found);

  // Two FULLY_CONNECTED ops sharing their weights: one entry, for integer activations; none when the
  // activations are float (hybrid kernels).
  for (const DataType type : {DataType::kInt8, DataType::kFloat32}) {
    const QuantParams activation = type == DataType::kInt8 ? QuantParams::per_tensor(0.1f, 0) : QuantParams{};
    ModelBuilder b;
    const int in = b.add_tensor(type, {1, 8}, activation);
    std::mt19937 rng(5);
    const int w = b.add_constant<int8_t>(DataType::kInt8, {8, 8}, block_pruned_weights(rng, 8, 8, 0.75),
                                         QuantParams::per_tensor(0.01f, 0));
    const int mid = b.add_tensor(type, {1, 8}, activation);
    const int out = b.add_tensor(type, {1, 8}, activation);
    b.add_op(BuiltinOp::kFullyConnected, {in, w, -1}, {mid}, tflite::BuiltinOptions::FullyConnectedOptions);
    b.add_op(BuiltinOp::kFullyConnected, {mid, w, -1}, {out}, tflite::BuiltinOptions::FullyConnectedOptions);
    b.set_inputs({in});
    b.set_outputs({out});
    Graph shared = Graph::read(b.finish());
    EXPECT_EQ(add_block_sparsity_index(shared), type == DataType::kInt8 ? 1 : 0);
  }
}

// The whole model at 75% zero blocks: byte-equal outputs, equal arenas, every weight op sparse.
TEST(BlockSparsityIndexWriter, WholeModelRunsSameBytesInSameArena) {
  const std::vector<uint8_t> dense = small_network(0.75, 7);
  Graph g = Graph::read(dense);
  ASSERT_EQ(add_block_sparsity_index(g), 4);
  const std::vector<uint8_t> sparse = g.write();
  const testing::KernelList reference = {{BuiltinOp::kFullyConnected, &reference::fully_connected()},
                                         {BuiltinOp::kConv2D, &reference::conv_2d()},
                                         {BuiltinOp::kReshape, &reference::reshape()}};
  const testing::KernelList optimized = {{BuiltinOp::kFullyConnected, &cortex_m::fully_connected()},
                                         {BuiltinOp::kConv2D, &cortex_m::conv_2d()},
                                         {BuiltinOp::kReshape, &reference::reshape()}};
  std::mt19937 rng(8);
  for (int sample = 0; sample < 5; ++sample) {
    const std::vector<uint8_t> input = sparse_test::random_input(rng, DataType::kInt8, 4 * 4 * 8);
    for (const auto* kernels : {&reference, &optimized}) {
      const sparse_test::Run want = sparse_test::run(dense, *kernels, input);
      const sparse_test::Run got = sparse_test::run(sparse, *kernels, input);
      ASSERT_TRUE(want.status.is_ok()) << want.status.message();
      ASSERT_TRUE(got.status.is_ok()) << got.status.message();
      EXPECT_EQ(got.sparse_ops, 4);
      EXPECT_EQ(got.output, want.output);
      EXPECT_EQ(got.arena, want.arena);
    }
  }
}

}  // namespace
}  // namespace edgeinfer::compiler::quantize
