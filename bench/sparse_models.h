// The block-sparse benchmark models: int8 FULLY_CONNECTED 640 -> 128 (the anomaly autoencoder's dense
// layers), CONV_2D 3x3 24x24x16 -> 32 and 1x1 24x24x32 -> 64 (DS-CNN / MobileNet layers), per-channel
// weights with a given percentage of their blocks of kSparseBlock values zero (chosen at random, seeded),
// with or without the block-sparsity index. The index is written whatever the sparsity (the compiler writes
// it only from kMinZeroBlocksFullyConnected / kMinZeroBlocksConv2D on), so that the benchmarks also show
// where the sparse loops stop paying. Shared by edgeinfer_bench (BM_Sparse*) and edgeinfer_sparse_models (the
// same models as .tflite files, for callgrind and the Cortex-M firmware).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/model_builder.h"
#include "compiler/quantize/sparsity_index.h"
#include "edgeinfer/block_sparsity.h"

namespace edgeinfer::bench {

enum class SparseOp { kFullyConnected, kConv3x3, kConv1x1 };
inline constexpr SparseOp kSparseOps[] = {SparseOp::kFullyConnected, SparseOp::kConv3x3, SparseOp::kConv1x1};

inline std::string sparse_op_name(SparseOp op) {
  switch (op) {
    case SparseOp::kFullyConnected: return "fc_640x128";
    case SparseOp::kConv3x3: return "conv3x3_24x24x16x32";
    case SparseOp::kConv1x1: return "conv1x1_24x24x32x64";
  }
  return "?";
}

// Non-zero int8 weights, `zero_percent` of whose blocks (rows of `row_length`) are then zeroed.
inline std::vector<int8_t> pruned_weights(int64_t rows, int row_length, int zero_percent, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int8_t> w(static_cast<size_t>(rows * row_length));
  for (auto& v : w) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127 + (rng() % 2 == 0));
  for (auto& v : w) v = v == 0 ? 1 : v;
  const int per_row = (row_length + kSparseBlock - 1) / kSparseBlock;
  std::vector<int64_t> blocks(static_cast<size_t>(rows * per_row));
  for (size_t i = 0; i < blocks.size(); ++i) blocks[i] = static_cast<int64_t>(i);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  const size_t zero = blocks.size() * static_cast<size_t>(zero_percent) / 100;
  for (size_t i = 0; i < zero; ++i) {
    const int64_t row = blocks[i] / per_row;
    const int begin = static_cast<int>(blocks[i] % per_row) * kSparseBlock;
    for (int k = begin; k < std::min(begin + kSparseBlock, row_length); ++k)
      w[static_cast<size_t>(row * row_length + k)] = 0;
  }
  return w;
}

// The model; `macs` gets its dense multiply-accumulate count.
inline std::vector<uint8_t> sparse_bench_model(SparseOp op, int zero_percent, bool indexed, int64_t* macs) {
  using compiler::QuantParams;
  compiler::ModelBuilder b;
  auto per_channel = [](int n, float scale) {
    return QuantParams::per_channel(std::vector<float>(n, scale), std::vector<int64_t>(n, 0), 0);
  };
  if (op == SparseOp::kFullyConnected) {
    const int depth = 640, units = 128;
    const int in = b.add_tensor(DataType::kInt8, {1, depth}, QuantParams::per_tensor(0.05f, -3));
    const int w =
        b.add_constant<int8_t>(DataType::kInt8, {units, depth}, pruned_weights(units, depth, zero_percent, 1),
                               per_channel(units, 0.01f));
    const int bias = b.add_constant<int32_t>(DataType::kInt32, {units}, std::vector<int32_t>(units, 100),
                                             per_channel(units, 0.0005f));
    const int out = b.add_tensor(DataType::kInt8, {1, units}, QuantParams::per_tensor(0.5f, 2));
    b.add_op(BuiltinOp::kFullyConnected, {in, w, bias}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
             [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
    b.set_inputs({in});
    b.set_outputs({out});
    *macs = int64_t{depth} * units;
  } else {
    const bool pointwise = op == SparseOp::kConv1x1;
    const int size = 24, in_c = pointwise ? 32 : 16, out_c = pointwise ? 64 : 32, k = pointwise ? 1 : 3;
    const int in = b.add_tensor(DataType::kInt8, {1, size, size, in_c}, QuantParams::per_tensor(0.05f, -3));
    const int w = b.add_constant<int8_t>(DataType::kInt8, {out_c, k, k, in_c},
                                         pruned_weights(int64_t{out_c} * k * k, in_c, zero_percent, 2),
                                         per_channel(out_c, 0.01f));
    const int bias = b.add_constant<int32_t>(DataType::kInt32, {out_c}, std::vector<int32_t>(out_c, 100),
                                             per_channel(out_c, 0.0005f));
    const int out = b.add_tensor(DataType::kInt8, {1, size, size, out_c}, QuantParams::per_tensor(0.5f, 2));
    b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {out}, tflite::BuiltinOptions::Conv2DOptions, [](auto& fbb) {
      return tflite::CreateConv2DOptions(fbb, tflite::Padding::SAME, 1, 1,
                                         tflite::ActivationFunctionType::RELU)
          .Union();
    });
    b.set_inputs({in});
    b.set_outputs({out});
    *macs = int64_t{size} * size * out_c * k * k * in_c;
  }
  if (!indexed) return b.finish();
  compiler::Graph g = compiler::Graph::read(b.finish());
  const compiler::quantize::BlockSparsityIndexEntry entry =
      compiler::quantize::block_sparsity_entry(1, g.tensor(1));
  g.metadata.emplace_back(kBlockSparsityMetadataName,
                          compiler::quantize::serialize_block_sparsity_index({entry}));
  return g.write();
}

}  // namespace edgeinfer::bench
