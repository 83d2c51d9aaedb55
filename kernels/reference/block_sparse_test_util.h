// Test helpers of the block-sparse kernels (host only, C++20): int8 and int16x8 FULLY_CONNECTED and CONV_2D
// models whose weights have a chosen fraction of zero blocks (edgeinfer/block_sparsity.h), the same model
// with a block-sparsity index, and the check that both run to the same bytes in the same arena.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/model_builder.h"
#include "compiler/quantize/sparsity_index.h"
#include "edgeinfer/block_sparsity.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::sparse_test {

using compiler::ModelBuilder;
using compiler::QuantParams;

// The reference FULLY_CONNECTED and CONV_2D: the dense side of every comparison.
inline const testing::KernelList& reference_kernels() {
  static const testing::KernelList kernels = {{BuiltinOp::kFullyConnected, &reference::fully_connected()},
                                              {BuiltinOp::kConv2D, &reference::conv_2d()}};
  return kernels;
}

// Case i's fraction of zero blocks: 0, 50%, 75% and 100% in turn, then a random one.
inline double sparsity_for(int i, std::mt19937& rng) {
  static constexpr double kFixed[] = {0.0, 0.5, 0.75, 1.0};
  return i % 5 < 4 ? kFixed[i % 5] : std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// Random int8 weights as `rows` rows of `row_length`: round(sparsity x blocks) blocks of kSparseBlock values
// (chosen at random) are zero, the others random with about one zero value in eight (blocks with some zeros,
// and the odd all-zero block left marked non-zero by nothing: the index is computed from the values).
inline std::vector<int8_t> block_pruned_weights(std::mt19937& rng, int64_t rows, int row_length,
                                                double sparsity) {
  std::vector<int8_t> w(static_cast<size_t>(rows * row_length));
  std::uniform_int_distribution<int> value(-127, 127);
  for (auto& v : w) v = static_cast<int8_t>(rng() % 8 == 0 ? 0 : value(rng));
  const int blocks_per_row = (row_length + kSparseBlock - 1) / kSparseBlock;
  std::vector<int64_t> blocks(static_cast<size_t>(rows * blocks_per_row));
  for (size_t i = 0; i < blocks.size(); ++i) blocks[i] = static_cast<int64_t>(i);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  const auto zero = static_cast<size_t>(std::llround(sparsity * static_cast<double>(blocks.size())));
  for (size_t i = 0; i < zero; ++i) {
    const int64_t r = blocks[i] / blocks_per_row;
    const int begin = static_cast<int>(blocks[i] % blocks_per_row) * kSparseBlock;
    const int end = std::min(begin + kSparseBlock, row_length);
    for (int k = begin; k < end; ++k) w[static_cast<size_t>(r * row_length + k)] = 0;
  }
  return w;
}

// Zeroes the `fraction` of the blocks of an int8 weight tensor (rank >= 2) with the smallest mean |w|, as
// block pruning does (runs of the innermost dimension, blocks of kSparseBlock, the last one of a run
// shorter).
inline void prune_smallest_blocks(compiler::GraphTensor& t, double fraction) {
  const int run = t.shape.back();
  auto* values = reinterpret_cast<int8_t*>(t.data.data());
  struct Block {
    double score;
    int64_t begin;
    int size;
  };
  std::vector<Block> blocks;
  for (int64_t start = 0; start < static_cast<int64_t>(t.data.size()); start += run) {
    for (int k = 0; k < run; k += kSparseBlock) {
      const int size = std::min(kSparseBlock, run - k);
      double sum = 0;
      for (int i = 0; i < size; ++i) sum += std::abs(static_cast<int>(values[start + k + i]));
      blocks.push_back({sum / size, start + k, size});
    }
  }
  std::stable_sort(blocks.begin(), blocks.end(),
                   [](const Block& a, const Block& b) { return a.score < b.score; });
  const auto zero = static_cast<size_t>(std::llround(fraction * static_cast<double>(blocks.size())));
  for (size_t i = 0; i < zero; ++i) std::fill_n(values + blocks[i].begin, blocks[i].size, int8_t{0});
}

// The model with an index entry for every int8 weight of its FULLY_CONNECTED and CONV_2D ops whatever their
// sparsity (add_block_sparsity_index() skips the tensors where it would not pay; tests want every path).
inline std::vector<uint8_t> with_forced_index(const std::vector<uint8_t>& model) {
  compiler::Graph g = compiler::Graph::read(model);
  std::vector<compiler::quantize::BlockSparsityIndexEntry> entries;
  for (const compiler::GraphOp& op : g.ops) {
    if (!op.is(BuiltinOp::kFullyConnected) && !op.is(BuiltinOp::kConv2D)) continue;
    const int t = op.inputs[1];
    if (g.tensor(t).type != DataType::kInt8 || !g.tensor(t).is_constant) continue;
    entries.push_back(compiler::quantize::block_sparsity_entry(t, g.tensor(t)));
  }
  g.metadata.emplace_back(kBlockSparsityMetadataName,
                          compiler::quantize::serialize_block_sparsity_index(entries));
  return g.write();
}

struct Run {
  Status status;
  std::vector<uint8_t> output;
  int sparse_ops = 0;
  int ignored_ops = 0;
  size_t arena = 0;
};

inline Run run(const std::vector<uint8_t>& model, const testing::KernelList& kernels,
               const std::vector<uint8_t>& input) {
  Run result;
  testing::ModelSession session;
  result.status = session.open(model, kernels);
  if (!result.status.is_ok()) return result;
  Interpreter& interpreter = session.interpreter();
  result.sparse_ops = interpreter.block_sparse_ops();
  result.ignored_ops = interpreter.block_sparsity_ignored_ops();
  result.arena = interpreter.arena_used_bytes();
  const Tensor in = interpreter.input(0);
  if (in.bytes != input.size()) {
    result.status = Status::error(StatusCode::kInvalidArgument, "input has %zu bytes, test gives %zu",
                                  in.bytes, input.size());
    return result;
  }
  std::memcpy(in.data, input.data(), input.size());
  result.status = interpreter.invoke();
  if (result.status.is_ok()) result.output = host::output_bytes(interpreter);
  return result;
}

struct BuiltCase {
  std::vector<uint8_t> model;  // without an index
  std::vector<uint8_t> input;
};

// Quantization of an op's input, weights, bias and output: outputs spread over the range for `products`
// non-zero products per output.
struct OpQuant {
  QuantParams input, filter, bias, output;
};

inline OpQuant op_quant(std::mt19937& rng, DataType type, int channels, bool per_channel, int32_t input_zp,
                        int32_t output_zp, int64_t products) {
  const bool int16 = type == DataType::kInt16;
  const float input_scale = testing::random_float(rng, 0.01f, 0.1f);
  std::vector<float> filter_scales(per_channel ? channels : 1);
  for (float& s : filter_scales) s = testing::random_float(rng, 0.002f, 0.02f);
  std::vector<float> bias_scales;
  for (float s : filter_scales) bias_scales.push_back(input_scale * s);
  const double input_range = int16 ? 20000.0 : 75.0;
  const double spread = input_range * 75.0 * std::sqrt(static_cast<double>(std::max<int64_t>(products, 1)));
  const auto output_scale =
      static_cast<float>(input_scale * filter_scales[0] * spread / (int16 ? 20000.0 : 60.0));
  OpQuant q;
  q.input = QuantParams::per_tensor(input_scale, int16 ? 0 : input_zp);
  q.filter = per_channel ? QuantParams::per_channel(filter_scales, std::vector<int64_t>(channels, 0), 0)
                         : QuantParams::per_tensor(filter_scales[0], 0);
  q.bias = per_channel ? QuantParams::per_channel(bias_scales, std::vector<int64_t>(channels, 0), 0)
                       : QuantParams::per_tensor(bias_scales[0], 0);
  q.output = QuantParams::per_tensor(output_scale, int16 ? 0 : output_zp);
  return q;
}

inline std::vector<uint8_t> random_input(std::mt19937& rng, DataType type, int64_t count) {
  if (type == DataType::kInt16)
    return testing::bytes_of(testing::random_ints<int16_t>(rng, count, -32768, 32767));
  return testing::bytes_of(testing::random_ints<int8_t>(rng, count, -128, 127));
}

// A bias of `channels` values (int64 for int16x8 with `bias64`, else int32), or -1 without one.
inline int add_bias(ModelBuilder& b, std::mt19937& rng, DataType type, bool bias, bool bias64, int channels,
                    const QuantParams& quant) {
  if (!bias) return -1;
  if (type == DataType::kInt16 && bias64)
    return b.add_constant<int64_t>(DataType::kInt64, {channels},
                                   testing::random_ints<int64_t>(rng, channels, -400000, 400000), quant);
  return b.add_constant<int32_t>(DataType::kInt32, {channels},
                                 testing::random_ints<int32_t>(rng, channels, -20000, 20000), quant);
}

struct FcCase {
  DataType type = DataType::kInt8;  // activations: int8, or int16 (16x8)
  int batches = 1, depth = 16, units = 4;
  int activation = 0;  // NONE, RELU, RELU_N1_TO_1, RELU6
  bool bias = true, bias64 = true, per_channel = true;
  int32_t input_zp = 0, output_zp = 0;
  double sparsity = 0.75;  // fraction of zero blocks
};

inline std::string describe(const FcCase& c) {
  char text[200];
  std::snprintf(text, sizeof text,
                "FC %s batches %d depth %d units %d act %d bias %d%s per-channel %d zp %d/%d sparsity %.2f",
                data_type_name(c.type), c.batches, c.depth, c.units, c.activation, c.bias,
                c.bias64 ? "(64)" : "", c.per_channel, c.input_zp, c.output_zp, c.sparsity);
  return text;
}

inline BuiltCase build(const FcCase& c, std::mt19937& rng) {
  const OpQuant q = op_quant(rng, c.type, c.units, c.per_channel, c.input_zp, c.output_zp,
                             std::llround(c.depth * (1.0 - c.sparsity)));
  ModelBuilder b;
  const int in = b.add_tensor(c.type, {c.batches, c.depth}, q.input);
  const int w = b.add_constant<int8_t>(DataType::kInt8, {c.units, c.depth},
                                       block_pruned_weights(rng, c.units, c.depth, c.sparsity), q.filter);
  const int bias = add_bias(b, rng, c.type, c.bias, c.bias64, c.units, q.bias);
  const int out = b.add_tensor(c.type, {c.batches, c.units}, q.output);
  const auto activation = static_cast<tflite::ActivationFunctionType>(c.activation);
  b.add_op(BuiltinOp::kFullyConnected, {in, w, bias}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           [activation](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb, activation).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  return {b.finish(), random_input(rng, c.type, int64_t{c.batches} * c.depth)};
}

struct ConvCase {
  DataType type = DataType::kInt8;
  int batches = 1, height = 6, width = 6, in_c = 8, out_c = 4, kh = 3, kw = 3;
  int stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  bool same = true;  // SAME padding, else VALID
  int groups = 1;    // filter input depth in_c / groups
  int activation = 0;
  bool bias = true, bias64 = true, per_channel = true;
  int32_t input_zp = 0, output_zp = 0;
  double sparsity = 0.75;
};

inline std::string describe(const ConvCase& c) {
  char text[260];
  std::snprintf(
      text, sizeof text,
      "CONV %s batches %d in %dx%dx%d out_c %d kernel %dx%d stride %d,%d dilation %d,%d %s groups %d "
      "act %d bias %d%s per-channel %d zp %d/%d sparsity %.2f",
      data_type_name(c.type), c.batches, c.height, c.width, c.in_c, c.out_c, c.kh, c.kw, c.stride_h,
      c.stride_w, c.dilation_h, c.dilation_w, c.same ? "SAME" : "VALID", c.groups, c.activation, c.bias,
      c.bias64 ? "(64)" : "", c.per_channel, c.input_zp, c.output_zp, c.sparsity);
  return text;
}

inline int conv_output_size(int input, int kernel, int stride, int dilation, bool same) {
  if (same) return (input + stride - 1) / stride;
  const int effective = (kernel - 1) * dilation + 1;
  return input >= effective ? (input - effective + stride) / stride : 0;
}

inline BuiltCase build(const ConvCase& c, std::mt19937& rng) {
  const int filter_in = c.in_c / c.groups;
  const OpQuant q = op_quant(rng, c.type, c.out_c, c.per_channel, c.input_zp, c.output_zp,
                             std::llround(c.kh * c.kw * filter_in * (1.0 - c.sparsity)));
  const int out_h = conv_output_size(c.height, c.kh, c.stride_h, c.dilation_h, c.same);
  const int out_w = conv_output_size(c.width, c.kw, c.stride_w, c.dilation_w, c.same);
  ModelBuilder b;
  const int in = b.add_tensor(c.type, {c.batches, c.height, c.width, c.in_c}, q.input);
  const int w = b.add_constant<int8_t>(
      DataType::kInt8, {c.out_c, c.kh, c.kw, filter_in},
      block_pruned_weights(rng, int64_t{c.out_c} * c.kh * c.kw, filter_in, c.sparsity), q.filter);
  const int bias = add_bias(b, rng, c.type, c.bias, c.bias64, c.out_c, q.bias);
  const int out = b.add_tensor(c.type, {c.batches, out_h, out_w, c.out_c}, q.output);
  b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {out}, tflite::BuiltinOptions::Conv2DOptions, [c](auto& fbb) {
    return tflite::CreateConv2DOptions(
               fbb, c.same ? tflite::Padding::SAME : tflite::Padding::VALID, c.stride_w, c.stride_h,
               static_cast<tflite::ActivationFunctionType>(c.activation), c.dilation_w, c.dilation_h)
        .Union();
  });
  b.set_inputs({in});
  b.set_outputs({out});
  return {b.finish(), random_input(rng, c.type, int64_t{c.batches} * c.height * c.width * c.in_c)};
}

// `built` without its index on `dense` kernels, and with it on each of `sparse`: the same bytes, the index
// taken by the one op, the same arena. Returns the dense output.
inline std::vector<uint8_t> expect_sparse_equals_dense(const BuiltCase& built,
                                                       const testing::KernelList& dense,
                                                       const std::vector<testing::KernelList>& sparse) {
  const Run want = run(built.model, dense, built.input);
  EXPECT_TRUE(want.status.is_ok()) << want.status.message();
  EXPECT_EQ(want.sparse_ops, 0);
  const std::vector<uint8_t> indexed = with_forced_index(built.model);
  for (size_t i = 0; i < sparse.size(); ++i) {
    SCOPED_TRACE("sparse kernels " + std::to_string(i));
    const Run got = run(indexed, sparse[i], built.input);
    EXPECT_TRUE(got.status.is_ok()) << got.status.message();
    EXPECT_EQ(got.sparse_ops, 1);
    EXPECT_EQ(got.ignored_ops, 0);
    EXPECT_EQ(got.output, want.output);
    // The same kernels without the index: the index costs no arena.
    const Run dense_same_kernels = run(built.model, sparse[i], built.input);
    EXPECT_EQ(got.arena, dense_same_kernels.arena);
    EXPECT_EQ(dense_same_kernels.output, want.output);
  }
  return want.output;
}

}  // namespace edgeinfer::sparse_test
