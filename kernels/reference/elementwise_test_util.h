// Test helpers of the elementwise kernel tests: single-op models, random broadcast shapes, and the float
// reference of quantized values.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/ops.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer::testing {

struct TensorSpec {
  DataType type = DataType::kFloat32;
  std::vector<int32_t> shape;
  compiler::QuantParams quant = {};
};

// A model with one op: `inputs` are graph inputs (in order), `output` its only output.
inline std::vector<uint8_t> single_op_model(
    BuiltinOp op, const std::vector<TensorSpec>& inputs, const TensorSpec& output,
    tflite::BuiltinOptions options_type = tflite::BuiltinOptions::NONE,
    compiler::OptionsWriter writer = nullptr, int version = 1) {
  compiler::ModelBuilder builder;
  std::vector<int> input_indices;
  for (const TensorSpec& spec : inputs)
    input_indices.push_back(builder.add_tensor(spec.type, spec.shape, spec.quant));
  const int out = builder.add_tensor(output.type, output.shape, output.quant);
  builder.add_op(op, input_indices, {out}, options_type, std::move(writer), version);
  builder.set_inputs(input_indices);
  builder.set_outputs({out});
  return builder.finish();
}

inline int64_t element_count(const std::vector<int32_t>& shape) {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

inline Shape to_shape(const std::vector<int32_t>& dims) {
  Shape shape;
  for (int32_t d : dims) shape.dims[shape.rank++] = d;
  return shape;
}

// Random output shape (rank 0..max_rank, dims 1..max_dim) and two inputs broadcasting to it: suffixes of
// it with some dimensions set to 1.
struct BroadcastCase {
  std::vector<int32_t> input1;
  std::vector<int32_t> input2;
  std::vector<int32_t> output;
};

inline BroadcastCase random_broadcast_case(std::mt19937& rng, int max_rank = 6, int max_dim = 4) {
  BroadcastCase c;
  const int rank = static_cast<int>(rng() % (max_rank + 1));
  for (int i = 0; i < rank; ++i) c.output.push_back(1 + static_cast<int32_t>(rng() % max_dim));
  for (std::vector<int32_t>* input : {&c.input1, &c.input2}) {
    const int input_rank = static_cast<int>(rng() % (rank + 1));
    for (int i = rank - input_rank; i < rank; ++i) input->push_back(rng() % 3 == 0 ? 1 : c.output[i]);
  }
  // The broadcast of the two may be smaller than `output` where both got a 1 or are too short.
  std::vector<int32_t> actual(rank, 1);
  for (const std::vector<int32_t>* input : {&c.input1, &c.input2})
    for (size_t i = 0; i < input->size(); ++i) {
      const size_t at = rank - input->size() + i;
      if ((*input)[i] != 1) actual[at] = (*input)[i];
    }
  // Drop leading dims neither input has (broadcast rank is the larger input rank).
  const size_t out_rank = std::max(c.input1.size(), c.input2.size());
  c.output.assign(actual.end() - out_rank, actual.end());
  return c;
}

template <class T>
std::vector<T> random_values(std::mt19937& rng, int64_t count, int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<T> values(count);
  for (T& v : values) v = static_cast<T>(dist(rng));
  return values;
}

inline std::vector<float> random_floats(std::mt19937& rng, int64_t count, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

// Index of `input` read at output position `flat` (NumPy broadcasting, the definition).
inline int64_t broadcast_index(const std::vector<int32_t>& input, const std::vector<int32_t>& output,
                               int64_t flat) {
  int64_t index = 0;
  int64_t stride = 1;
  for (size_t i = 1; i <= output.size(); ++i) {
    const int32_t out_dim = output[output.size() - i];
    const int64_t coordinate = flat % out_dim;
    flat /= out_dim;
    if (i <= input.size()) {
      const int32_t in_dim = input[input.size() - i];
      if (in_dim != 1) index += coordinate * stride;
      stride *= in_dim;
    }
  }
  return index;
}

// The ideal quantized value of `real`: round half away from zero, clamped to [min, max].
inline int64_t ideal_quantized(double real, double scale, int64_t zero_point, int64_t min, int64_t max) {
  const int64_t q = static_cast<int64_t>(std::round(real / scale)) + zero_point;
  return q < min ? min : (q > max ? max : q);
}

}  // namespace edgeinfer::testing
