// Small valid models written with ModelBuilder: the inputs the robustness tests mutate when ../shared is
// absent, and the seed corpus of the libFuzzer target (tests/fuzz/seed_corpus.cc). Header-only because both
// are built from different CMake directories.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/graph/graph.h"
#include "compiler/model_builder.h"
#include "compiler/quantize/sparsity_index.h"
#include "tests/support/fc_model.h"

namespace edgeinfer::robustness {

using compiler::ModelBuilder;
using compiler::QuantParams;

inline std::vector<uint8_t> fc_float_model() {
  return testing::float_fc_model(4, 3, {1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4}, {0.5f, -0.5f, 1});
}

inline std::vector<uint8_t> add_int8_model() {
  ModelBuilder b;
  const int a = b.add_tensor(DataType::kInt8, {1, 2, 2, 3}, QuantParams::per_tensor(0.05f, -3));
  const int c = b.add_tensor(DataType::kInt8, {1, 2, 2, 3}, QuantParams::per_tensor(0.1f, 4));
  const int out = b.add_tensor(DataType::kInt8, {1, 2, 2, 3}, QuantParams::per_tensor(0.2f, 0));
  b.add_op(BuiltinOp::kAdd, {a, c}, {out}, tflite::BuiltinOptions::AddOptions, [](auto& fbb) {
    return tflite::CreateAddOptions(fbb, tflite::ActivationFunctionType::RELU).Union();
  });
  b.set_inputs({a, c});
  b.set_outputs({out});
  return b.finish();
}

inline std::vector<uint8_t> conv_float_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 5, 5, 2});
  std::vector<float> filter(4 * 3 * 3 * 2);
  for (size_t i = 0; i < filter.size(); ++i) filter[i] = static_cast<float>(i % 7) * 0.25f - 0.75f;
  const int w = b.add_constant<float>(DataType::kFloat32, {4, 3, 3, 2}, filter);
  const int bias = b.add_constant<float>(DataType::kFloat32, {4}, {0.1f, 0.2f, 0.3f, 0.4f});
  const int out = b.add_tensor(DataType::kFloat32, {1, 3, 3, 4});
  b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {out}, tflite::BuiltinOptions::Conv2DOptions,
           [](auto& fbb) { return tflite::CreateConv2DOptions(fbb, tflite::Padding::VALID, 1, 1).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

inline std::vector<uint8_t> pad_float_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 3, 3, 1});
  const int paddings = b.add_constant<int32_t>(DataType::kInt32, {4, 2}, {0, 0, 1, 1, 1, 1, 0, 0});
  const int out = b.add_tensor(DataType::kFloat32, {1, 5, 5, 1});
  b.add_op(BuiltinOp::kPad, {in, paddings}, {out}, tflite::BuiltinOptions::PadOptions);
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// CONV_2D -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX, int8 with per-channel conv weights, as the converter
// writes a small classifier.
inline std::vector<uint8_t> int8_graph_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {1, 4, 4, 1}, QuantParams::per_tensor(0.02f, -128));
  std::vector<int8_t> filter(2 * 3 * 3 * 1);
  for (size_t i = 0; i < filter.size(); ++i)
    filter[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
  const int w = b.add_constant<int8_t>(DataType::kInt8, {2, 3, 3, 1}, filter,
                                       QuantParams::per_channel({0.01f, 0.02f}, {0, 0}, 0));
  const int bias = b.add_constant<int32_t>(DataType::kInt32, {2}, {100, -50},
                                           QuantParams::per_channel({0.0002f, 0.0004f}, {0, 0}, 0));
  const int conv = b.add_tensor(DataType::kInt8, {1, 2, 2, 2}, QuantParams::per_tensor(0.05f, -10));
  const int shape = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 8});
  const int flat = b.add_tensor(DataType::kInt8, {1, 8}, QuantParams::per_tensor(0.05f, -10));
  std::vector<int8_t> fc_weights(3 * 8);
  for (size_t i = 0; i < fc_weights.size(); ++i)
    fc_weights[i] = static_cast<int8_t>(static_cast<int>(i * 11 % 200) - 100);
  const int fw =
      b.add_constant<int8_t>(DataType::kInt8, {3, 8}, fc_weights, QuantParams::per_tensor(0.01f, 0));
  const int fb =
      b.add_constant<int32_t>(DataType::kInt32, {3}, {10, 0, -10}, QuantParams::per_tensor(0.0005f, 0));
  const int logits = b.add_tensor(DataType::kInt8, {1, 3}, QuantParams::per_tensor(0.1f, 5));
  const int out = b.add_tensor(DataType::kInt8, {1, 3}, QuantParams::per_tensor(1.0f / 256, -128));
  b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {conv}, tflite::BuiltinOptions::Conv2DOptions, [](auto& fbb) {
    return tflite::CreateConv2DOptions(fbb, tflite::Padding::VALID, 1, 1,
                                       tflite::ActivationFunctionType::RELU)
        .Union();
  });
  b.add_op(BuiltinOp::kReshape, {conv, shape}, {flat}, tflite::BuiltinOptions::ReshapeOptions);
  b.add_op(BuiltinOp::kFullyConnected, {flat, fw, fb}, {logits},
           tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  b.add_op(BuiltinOp::kSoftmax, {logits}, {out}, tflite::BuiltinOptions::SoftmaxOptions,
           [](auto& fbb) { return tflite::CreateSoftmaxOptions(fbb, 1.0f).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// Float data movement and pooling: DEPTHWISE_CONV_2D -> MAX_POOL_2D -> TRANSPOSE -> STRIDED_SLICE ->
// CONCATENATION -> MEAN -> LOGISTIC.
inline std::vector<uint8_t> float_ops_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 4, 4, 2});
  const int dw_filter = b.add_constant<float>(DataType::kFloat32, {1, 2, 2, 2},
                                              {0.5f, -0.5f, 0.25f, 1.0f, -1.0f, 0.75f, 0.125f, 0.5f});
  const int dw = b.add_tensor(DataType::kFloat32, {1, 3, 3, 2});
  const int pooled = b.add_tensor(DataType::kFloat32, {1, 2, 2, 2});
  const int perm = b.add_constant<int32_t>(DataType::kInt32, {4}, {0, 3, 1, 2});
  const int transposed = b.add_tensor(DataType::kFloat32, {1, 2, 2, 2});
  const int begin = b.add_constant<int32_t>(DataType::kInt32, {4}, {0, 0, 0, 0});
  const int end = b.add_constant<int32_t>(DataType::kInt32, {4}, {1, 2, 2, 1});
  const int strides = b.add_constant<int32_t>(DataType::kInt32, {4}, {1, 1, 1, 1});
  const int sliced = b.add_tensor(DataType::kFloat32, {1, 2, 2, 1});
  const int joined = b.add_tensor(DataType::kFloat32, {1, 2, 2, 3});
  const int axes = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 2});
  const int mean = b.add_tensor(DataType::kFloat32, {1, 3});
  const int out = b.add_tensor(DataType::kFloat32, {1, 3});
  b.add_op(BuiltinOp::kDepthwiseConv2D, {in, dw_filter, -1}, {dw},
           tflite::BuiltinOptions::DepthwiseConv2DOptions, [](auto& fbb) {
             return tflite::CreateDepthwiseConv2DOptions(fbb, tflite::Padding::VALID, 1, 1, 1).Union();
           });
  b.add_op(BuiltinOp::kMaxPool2D, {dw}, {pooled}, tflite::BuiltinOptions::Pool2DOptions, [](auto& fbb) {
    return tflite::CreatePool2DOptions(fbb, tflite::Padding::VALID, 1, 1, 2, 2).Union();
  });
  b.add_op(BuiltinOp::kTranspose, {pooled, perm}, {transposed}, tflite::BuiltinOptions::TransposeOptions);
  b.add_op(BuiltinOp::kStridedSlice, {transposed, begin, end, strides}, {sliced},
           tflite::BuiltinOptions::StridedSliceOptions);
  b.add_op(BuiltinOp::kConcatenation, {pooled, sliced}, {joined},
           tflite::BuiltinOptions::ConcatenationOptions,
           [](auto& fbb) { return tflite::CreateConcatenationOptions(fbb, 3).Union(); });
  b.add_op(BuiltinOp::kMean, {joined, axes}, {mean}, tflite::BuiltinOptions::ReducerOptions);
  b.add_op(BuiltinOp::kLogistic, {mean}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// int8 QUANTIZE -> AVERAGE_POOL_2D -> SUB -> MUL -> DEQUANTIZE from a float input.
inline std::vector<uint8_t> int8_ops_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {1, 4, 4, 1});
  const int q = b.add_tensor(DataType::kInt8, {1, 4, 4, 1}, QuantParams::per_tensor(1.0f / 128, 0));
  const int pooled = b.add_tensor(DataType::kInt8, {1, 2, 2, 1}, QuantParams::per_tensor(1.0f / 128, 0));
  const int offset =
      b.add_constant<int8_t>(DataType::kInt8, {1}, {17}, QuantParams::per_tensor(1.0f / 64, 3));
  const int diff = b.add_tensor(DataType::kInt8, {1, 2, 2, 1}, QuantParams::per_tensor(1.0f / 64, -2));
  const int product = b.add_tensor(DataType::kInt8, {1, 2, 2, 1}, QuantParams::per_tensor(1.0f / 32, 1));
  const int out = b.add_tensor(DataType::kFloat32, {1, 2, 2, 1});
  b.add_op(BuiltinOp::kQuantize, {in}, {q});
  b.add_op(BuiltinOp::kAveragePool2D, {q}, {pooled}, tflite::BuiltinOptions::Pool2DOptions, [](auto& fbb) {
    return tflite::CreatePool2DOptions(fbb, tflite::Padding::VALID, 2, 2, 2, 2).Union();
  });
  b.add_op(BuiltinOp::kSub, {pooled, offset}, {diff}, tflite::BuiltinOptions::SubOptions);
  b.add_op(BuiltinOp::kMul, {diff, pooled}, {product}, tflite::BuiltinOptions::MulOptions);
  b.add_op(BuiltinOp::kDequantize, {product}, {out});
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

// CONV_2D -> RESHAPE -> FULLY_CONNECTED, int8, with half of their weights' blocks zero and a block-sparsity
// index (edgeinfer/block_sparsity.h): mutations and the fuzzer reach the index's checks and the sparse loops.
inline std::vector<uint8_t> int8_sparse_model() {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {1, 4, 4, 8}, QuantParams::per_tensor(0.02f, -5));
  std::vector<int8_t> filter(3 * 2 * 2 * 8);
  for (size_t i = 0; i < filter.size(); ++i)  // every other block of 4 input channels zero
    filter[i] = (i / 4) % 2 ? 0 : static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
  const int w = b.add_constant<int8_t>(DataType::kInt8, {3, 2, 2, 8}, filter,
                                       QuantParams::per_channel({0.01f, 0.02f, 0.015f}, {0, 0, 0}, 0));
  const int bias =
      b.add_constant<int32_t>(DataType::kInt32, {3}, {100, -50, 7},
                              QuantParams::per_channel({0.0002f, 0.0004f, 0.0003f}, {0, 0, 0}, 0));
  const int conv = b.add_tensor(DataType::kInt8, {1, 3, 3, 3}, QuantParams::per_tensor(0.05f, -10));
  const int shape = b.add_constant<int32_t>(DataType::kInt32, {2}, {1, 27});
  const int flat = b.add_tensor(DataType::kInt8, {1, 27}, QuantParams::per_tensor(0.05f, -10));
  std::vector<int8_t> fc_weights(5 * 27);
  for (size_t i = 0; i < fc_weights.size(); ++i)  // 27 = 6 blocks of 4 and one of 3; blocks 1, 3, 5 zero
    fc_weights[i] = (i % 27 / 4) % 2 ? 0 : static_cast<int8_t>(static_cast<int>(i * 11 % 200) - 100);
  const int fw =
      b.add_constant<int8_t>(DataType::kInt8, {5, 27}, fc_weights, QuantParams::per_tensor(0.01f, 0));
  const int fb =
      b.add_constant<int32_t>(DataType::kInt32, {5}, {10, 0, -10, 3, 4}, QuantParams::per_tensor(0.0005f, 0));
  const int out = b.add_tensor(DataType::kInt8, {1, 5}, QuantParams::per_tensor(0.1f, 5));
  b.add_op(BuiltinOp::kConv2D, {in, w, bias}, {conv}, tflite::BuiltinOptions::Conv2DOptions, [](auto& fbb) {
    return tflite::CreateConv2DOptions(fbb, tflite::Padding::VALID, 1, 1,
                                       tflite::ActivationFunctionType::RELU)
        .Union();
  });
  b.add_op(BuiltinOp::kReshape, {conv, shape}, {flat}, tflite::BuiltinOptions::ReshapeOptions);
  b.add_op(BuiltinOp::kFullyConnected, {flat, fw, fb}, {out}, tflite::BuiltinOptions::FullyConnectedOptions,
           [](auto& fbb) { return tflite::CreateFullyConnectedOptions(fbb).Union(); });
  b.set_inputs({in});
  b.set_outputs({out});
  compiler::Graph g = compiler::Graph::read(b.finish());
  compiler::quantize::add_block_sparsity_index(g);
  return g.write();
}

// Every model above with its name.
inline std::vector<std::pair<std::string, std::vector<uint8_t> (*)()>> builder_models() {
  return {{"builder_fc_float", fc_float_model},     {"builder_add_int8", add_int8_model},
          {"builder_conv_float", conv_float_model}, {"builder_pad_float", pad_float_model},
          {"builder_int8_graph", int8_graph_model}, {"builder_float_ops", float_ops_model},
          {"builder_int8_ops", int8_ops_model},     {"builder_int8_sparse", int8_sparse_model}};
}

}  // namespace edgeinfer::robustness
