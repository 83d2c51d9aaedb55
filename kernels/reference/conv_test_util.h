// Test helpers of the convolution family beyond tests/support/single_op.h (host only, C++20): the family's
// kernels, and the float-reference comparison of quantized outputs.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::conv_test {

using compiler::ModelBuilder;
using compiler::QuantParams;
using testing::ideal_quantized;
using testing::random_float;
using testing::random_floats;
using testing::random_ints;

// The four kernels of the family, registered as an application would.
inline const testing::KernelList& conv_kernels() {
  static const testing::KernelList kernels = {
      {BuiltinOp::kConv2D, &reference::conv_2d()},
      {BuiltinOp::kDepthwiseConv2D, &reference::depthwise_conv_2d()},
      {BuiltinOp::kTransposeConv, &reference::transpose_conv()},
      {BuiltinOp::kFullyConnected, &reference::fully_connected()},
  };
  return kernels;
}

// A model session over the family's kernels.
class OpRunner : public testing::ModelSession {
 public:
  Status load(const std::vector<uint8_t>& bytes) { return open(bytes, conv_kernels()); }
  Status load_file(const std::string& path) { return open_file(path, conv_kernels()); }
};

// The status of allocate() (for prepare() failure tests).
inline Status allocate_status_bytes(const std::vector<uint8_t>& bytes) {
  return testing::allocate_status(bytes, conv_kernels());
}
inline Status allocate_status(const ModelBuilder& builder) {
  return allocate_status_bytes(builder.finish());
}

// Expects allocate() to fail with `code` and a message containing `fragment`.
inline void expect_error(const ModelBuilder& builder, StatusCode code, const char* fragment) {
  testing::expect_error(allocate_status(builder), code, fragment);
}

// Clamp limits of a fused activation on a quantized output, computed here independently of quant_math.
inline void quantized_limits(int activation, float scale, int32_t zero_point, int32_t type_min,
                             int32_t type_max, int32_t* min, int32_t* max) {
  auto q = [&](double real) { return zero_point + static_cast<int32_t>(std::round(real / scale)); };
  *min = type_min;
  *max = type_max;
  if (activation == 1 || activation == 3) *min = std::max(type_min, q(0.0));
  if (activation == 3) *max = std::min(type_max, q(6.0));
  if (activation == 2) {
    *min = std::max(type_min, q(-1.0));
    *max = std::min(type_max, q(1.0));
  }
}

inline double float_activation(int activation, double x) {
  if (activation == 1) return x < 0 ? 0 : x;
  if (activation == 3) return x < 0 ? 0 : (x > 6 ? 6 : x);
  if (activation == 2) return x < -1 ? -1 : (x > 1 ? 1 : x);
  return x;
}

// Counts elements of `got` differing from `want` by more than `tolerance`; reports the first few.
template <class T>
int count_mismatches(const std::vector<T>& got, const std::vector<int32_t>& want, int tolerance,
                     const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    if (std::abs(static_cast<int32_t>(got[i]) - want[i]) > tolerance) {
      if (++bad <= 5) ADD_FAILURE() << what << ": element " << i << " is " << +got[i] << ", want " << want[i];
    }
  }
  return bad;
}

// A float model of the family run once on `input` (expected to succeed): its output.
inline std::vector<float> run_float_model(const std::vector<uint8_t>& model,
                                          const std::vector<float>& input) {
  return testing::run_values<float>(model, conv_kernels(), input);
}

// Expects `got` to hold, element for element, the exact results `real` after the fused `activation`, within
// `tolerance` (float32 rounding of the sums).
inline void expect_float_near(const std::vector<float>& got, const std::vector<double>& real, int activation,
                              double tolerance) {
  ASSERT_EQ(got.size(), real.size());
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], float_activation(activation, real[i]), tolerance) << "element " << i;
}

// Runs `runner` on the quantized `input` (set as int16 when `int16`, else int8, at input `input_index`) and
// expects every output within `tolerance` steps of the ideal one: the exact result `real` quantized to the
// output's scale and zero point and clamped to the fused `activation`'s limits.
inline void expect_near_ideal(OpRunner& runner, int input_index, const std::vector<int32_t>& input,
                              bool int16, const std::vector<double>& real, float output_scale,
                              int32_t output_zp, int activation, int tolerance, const std::string& what) {
  int32_t act_min, act_max;
  quantized_limits(activation, output_scale, output_zp, int16 ? -32768 : -128, int16 ? 32767 : 127, &act_min,
                   &act_max);
  std::vector<int32_t> want(real.size());
  for (size_t i = 0; i < real.size(); ++i)
    want[i] = ideal_quantized(real[i], output_scale, output_zp, act_min, act_max);
  if (int16) {
    runner.set_input(input_index, std::vector<int16_t>(input.begin(), input.end()));
    ASSERT_TRUE(runner.invoke().is_ok());
    EXPECT_EQ(count_mismatches(runner.output<int16_t>(0), want, tolerance, what), 0);
  } else {
    runner.set_input(input_index, std::vector<int8_t>(input.begin(), input.end()));
    ASSERT_TRUE(runner.invoke().is_ok());
    EXPECT_EQ(count_mismatches(runner.output<int8_t>(0), want, tolerance, what), 0);
  }
}

}  // namespace edgeinfer::conv_test
