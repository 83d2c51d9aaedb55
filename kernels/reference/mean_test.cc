#include "kernels/reference/mean.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/common/quant_math.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;

TEST(ReduceShapeTest, ResolvesNegativeAndRepeatedAxes) {
  reference::ReduceShape s;
  const int64_t axes[] = {-1, 1, 3};
  ASSERT_TRUE(reference::make_reduce_shape(make_shape({2, 3, 4, 5}), axes, 3, &s).is_ok());
  EXPECT_EQ(s.num_outputs, 8);
  EXPECT_EQ(s.num_reduced, 15);
  EXPECT_EQ(s.output_strides[0], 4);
  EXPECT_EQ(s.output_strides[1], 0);
  EXPECT_EQ(s.output_strides[2], 1);
  EXPECT_EQ(s.output_strides[3], 0);
  const int64_t bad[] = {4};
  EXPECT_FALSE(reference::make_reduce_shape(make_shape({2, 3, 4, 5}), bad, 1, &s).is_ok());
}

TEST(MeanFunction, RequantizeFoldsTheCountIntoTheMultiplier) {
  // Column means of [2, 3] with input zp 2, scale ratio 0.5 (multiplier 2^30, shift 0) and output zp -3.
  // Count 2 folds in as multiplier 2^30, shift -1: (sum - 4) / 4 rounded twice, half away from zero.
  // Sums 31, 0, -15 -> 27 / 4 = 6.75 -> 7; -4 / 4 = -1; -19 / 4 = -4.75 -> -5; then - 3.
  reference::ReduceShape s;
  const int64_t axes[] = {0};
  ASSERT_TRUE(reference::make_reduce_shape(make_shape({2, 3}), axes, 1, &s).is_ok());
  const std::vector<int16_t> in = {10, 0, -7, 21, 0, -8};
  std::vector<int16_t> out(3);
  std::vector<int32_t> sums(3);
  reference::MeanRequantizeParams p;
  p.input_zero_point = 2;
  p.output_zero_point = -3;
  p.multiplier = 1 << 30;
  p.shift = 0;
  reference::mean_requantize_int16(s, p, in.data(), out.data(), sums.data());
  EXPECT_EQ(out, (std::vector<int16_t>{4, -4, -8}));
}

TEST(MeanFunction, SpatialFloatSumsHeightThenWidth) {
  // 1x2x2x2: channel 0 holds 1, 2, 3, 4 -> 2.5; channel 1 holds -1, -2, -3, -5 -> -2.75.
  const reference::SpatialMeanShape s{1, 2, 2, 2};
  const std::vector<float> in = {1, -1, 2, -2, 3, -3, 4, -5};
  std::vector<float> out(2);
  reference::mean_spatial_float(s, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{2.5f, -2.75f}));
}

std::vector<uint8_t> mean_model(DataType type, std::vector<int32_t> in_shape, std::vector<int32_t> out_shape,
                                std::vector<int32_t> axes, bool keep_dims, QuantParams in_q,
                                QuantParams out_q) {
  ModelBuilder b;
  const int in = b.add_tensor(type, in_shape, in_q);
  const int axis = b.add_constant<int32_t>(DataType::kInt32, {static_cast<int32_t>(axes.size())}, axes);
  const int out = b.add_tensor(type, out_shape, out_q);
  b.add_op(BuiltinOp::kMean, {in, axis}, {out}, tflite::BuiltinOptions::ReducerOptions,
           [keep_dims](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateReducerOptions(fbb, keep_dims).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

struct MeanCase {
  std::vector<int32_t> in_shape;
  std::vector<int32_t> axes;
  bool keep_dims;
};

const std::vector<MeanCase>& mean_cases() {
  static const std::vector<MeanCase> all = {
      {{1, 7, 7, 16}, {1, 2}, true},   // the spatial path
      {{2, 3, 5, 4}, {2, 1}, true},    // spatial, axes swapped
      {{1, 7, 7, 16}, {1, 2}, false},  // same axes, generic path
      {{2, 3, 5, 4}, {-3, -2}, true},  // negative axes: generic path
      {{4, 9}, {1}, false},
      {{4, 9}, {0}, true},
      {{2, 3, 4}, {0, 2}, false},
      {{3, 2, 2, 2, 5}, {1, 3, 4}, false},
      {{6}, {0}, false},
      {{2, 3, 4}, {1, 1}, true},  // repeated axis
  };
  return all;
}

std::vector<int32_t> reduced_shape(const MeanCase& c) {
  std::vector<bool> reduced(c.in_shape.size());
  for (int32_t a : c.axes) reduced[a < 0 ? a + c.in_shape.size() : a] = true;
  std::vector<int32_t> out;
  for (size_t i = 0; i < c.in_shape.size(); ++i) {
    if (!reduced[i])
      out.push_back(c.in_shape[i]);
    else if (c.keep_dims)
      out.push_back(1);
  }
  return out;
}

// Exact means in double, per output in row-major order.
std::vector<double> exact_means(const MeanCase& c, const std::vector<double>& in) {
  reference::ReduceShape s;
  Shape shape;
  for (int32_t d : c.in_shape) shape.dims[shape.rank++] = d;
  std::vector<int64_t> axes(c.axes.begin(), c.axes.end());
  EXPECT_TRUE(reference::make_reduce_shape(shape, axes.data(), static_cast<int>(axes.size()), &s).is_ok());
  std::vector<double> sums(s.num_outputs, 0.0);
  // Independent index arithmetic: decompose each flat index.
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t rest = static_cast<int64_t>(i);
    int64_t o = 0;
    for (int d = s.rank - 1; d >= 0; --d) {
      o += (rest % s.dims[d]) * s.output_strides[d];
      rest /= s.dims[d];
    }
    sums[o] += in[i];
  }
  for (double& v : sums) v /= s.num_reduced;
  return sums;
}

TEST(MeanKernel, FloatMatchesExactMean) {
  for (const auto& c : mean_cases()) {
    int64_t n = 1;
    for (int32_t d : c.in_shape) n *= d;
    const auto input = lcg_values<float>(n, static_cast<uint32_t>(n));
    const auto model =
        mean_model(DataType::kFloat32, c.in_shape, reduced_shape(c), c.axes, c.keep_dims, {}, {});
    const auto result = run_model(model, {{BuiltinOp::kMean, &reference::mean()}}, {bytes_of(input)});
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    const auto got = values_of<float>(result.outputs[0]);
    const auto expected = exact_means(c, std::vector<double>(input.begin(), input.end()));
    ASSERT_EQ(got.size(), expected.size());
    // Float sums of <= 256 values in [-1, 1).
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5) << i;
  }
}

// Quantized means against the exact mean of the dequantized input, requantized: within one step (double
// rounding of the fixed-point multiply at ties), with equal or different quantization in and out.
template <class T>
void check_quantized(DataType type, QuantParams in_q, QuantParams out_q) {
  const float in_scale = in_q.scales[0], out_scale = out_q.scales[0];
  const int32_t in_zp = static_cast<int32_t>(in_q.zero_points[0]),
                out_zp = static_cast<int32_t>(out_q.zero_points[0]);
  for (const auto& c : mean_cases()) {
    int64_t n = 1;
    for (int32_t d : c.in_shape) n *= d;
    const auto input = lcg_values<T>(n, static_cast<uint32_t>(n) + 5);
    const auto model = mean_model(type, c.in_shape, reduced_shape(c), c.axes, c.keep_dims, in_q, out_q);
    const auto result = run_model(model, {{BuiltinOp::kMean, &reference::mean()}}, {bytes_of(input)});
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    const auto got = values_of<T>(result.outputs[0]);
    std::vector<double> real(input.size());
    for (size_t i = 0; i < input.size(); ++i) real[i] = in_scale * (static_cast<double>(input[i]) - in_zp);
    const auto expected = exact_means(c, real);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const double q =
          std::min<double>(std::numeric_limits<T>::max(),
                           std::max<double>(std::numeric_limits<T>::min(), expected[i] / out_scale + out_zp));
      EXPECT_NEAR(got[i], q, 1.0) << "case " << c.in_shape.size() << "D output " << i;
    }
  }
}

// Equal input and output quantization still goes through the rounding multiplier, as in TFLM (TFLite's
// truncating shortcut would give 1 and -1 here). The condition of MobileNetV2's global average pool: int8,
// 4D, axes {1, 2}, keep_dims, same scale and zero point in and out.
TEST(MeanKernel, SameQuantizationRoundsLikeTflm) {
  // Channel 0 holds 1, 2, 2, 2 (mean 1.75), channel 1 holds -1, -2, -2, -2 (mean -1.75); zero point 0.
  // Scale ratio 1 is multiplier 2^30, shift 1; count 4 folds in as shift -1: 7 -> 4 -> 2, -7 -> -3 -> -2.
  // With zero point 5 (inputs shifted by 5), the same means come out 5 above.
  for (int32_t zp : {0, 5}) {
    std::vector<int8_t> input = {1, -1, 2, -2, 2, -2, 2, -2};
    for (int8_t& v : input) v = static_cast<int8_t>(v + zp);
    const auto model = mean_model(DataType::kInt8, {1, 2, 2, 2}, {1, 1, 1, 2}, {1, 2}, true,
                                  QuantParams::per_tensor(0.1f, zp), QuantParams::per_tensor(0.1f, zp));
    const auto result = run_model(model, {{BuiltinOp::kMean, &reference::mean()}}, {bytes_of(input)});
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    EXPECT_EQ(values_of<int8_t>(result.outputs[0]),
              (std::vector<int8_t>{static_cast<int8_t>(2 + zp), static_cast<int8_t>(-2 + zp)}))
        << "zero point " << zp;
  }
}

TEST(MeanKernel, Int8AllPaths) {
  check_quantized<int8_t>(DataType::kInt8, QuantParams::per_tensor(0.05f, 3),
                          QuantParams::per_tensor(0.05f, 3));
  check_quantized<int8_t>(DataType::kInt8, QuantParams::per_tensor(0.05f, 3),
                          QuantParams::per_tensor(0.02f, -9));
}

TEST(MeanKernel, Int16AllPaths) {
  check_quantized<int16_t>(DataType::kInt16, QuantParams::per_tensor(0.001f, 0),
                           QuantParams::per_tensor(0.001f, 0));
  check_quantized<int16_t>(DataType::kInt16, QuantParams::per_tensor(0.001f, 0),
                           QuantParams::per_tensor(0.0004f, 0));
}

TEST(MeanKernel, KernelPathsMatchTheirPureFunctions) {
  // Float H/W mean with keep_dims: the dedicated kernel; without keep_dims: the generic one.
  const auto f = lcg_values<float>(2 * 5 * 3 * 4, 78);
  for (bool keep_dims : {true, false}) {
    const auto model = mean_model(DataType::kFloat32, {2, 5, 3, 4},
                                  keep_dims ? std::vector<int32_t>{2, 1, 1, 4} : std::vector<int32_t>{2, 4},
                                  {1, 2}, keep_dims, {}, {});
    const auto result = run_model(model, {{BuiltinOp::kMean, &reference::mean()}}, {bytes_of(f)});
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    std::vector<float> expected(8);
    if (keep_dims) {
      reference::mean_spatial_float({2, 5, 3, 4}, f.data(), expected.data());
    } else {
      reference::ReduceShape s;
      const int64_t axes[] = {1, 2};
      ASSERT_TRUE(reference::make_reduce_shape(make_shape({2, 5, 3, 4}), axes, 2, &s).is_ok());
      reference::mean_float(s, f.data(), expected.data());
    }
    EXPECT_EQ(values_of<float>(result.outputs[0]), expected) << keep_dims;
  }
  // int8 H/W mean with keep_dims goes through the requantizing path.
  const auto input = lcg_values<int8_t>(2 * 5 * 3 * 4, 77);
  const auto model = mean_model(DataType::kInt8, {2, 5, 3, 4}, {2, 1, 1, 4}, {1, 2}, true,
                                QuantParams::per_tensor(0.1f, -4), QuantParams::per_tensor(0.03f, 6));
  const auto result = run_model(model, {{BuiltinOp::kMean, &reference::mean()}}, {bytes_of(input)});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  reference::MeanRequantizeParams p;
  p.input_zero_point = -4;
  p.output_zero_point = 6;
  int shift = 0;
  quantize_multiplier(static_cast<double>(0.1f) / static_cast<double>(0.03f), &p.multiplier, &shift);
  p.shift = shift;
  reference::ReduceShape s;
  const int64_t axes[] = {1, 2};
  ASSERT_TRUE(reference::make_reduce_shape(make_shape({2, 5, 3, 4}), axes, 2, &s).is_ok());
  std::vector<int8_t> expected(8);
  std::vector<int32_t> sums(8);
  reference::mean_requantize_int8(s, p, input.data(), expected.data(), sums.data());
  EXPECT_EQ(values_of<int8_t>(result.outputs[0]), expected);
}

TEST(MeanKernel, RejectsBadModels) {
  const std::vector<uint8_t> input(24 * 4);
  // Output element count does not match the reduction.
  auto model = mean_model(DataType::kFloat32, {2, 3, 4}, {2, 4}, {2}, false, {}, {});
  expect_error(run_model(model, {{BuiltinOp::kMean, &reference::mean()}}, {input}), StatusCode::kInvalidModel,
               "elements");
  // Axis out of range.
  model = mean_model(DataType::kFloat32, {2, 3, 4}, {2, 3}, {3}, false, {}, {});
  expect_error(run_model(model, {{BuiltinOp::kMean, &reference::mean()}}, {input}), StatusCode::kInvalidModel,
               "axis");
  // Missing quantization on an int8 tensor.
  model = mean_model(DataType::kInt8, {2, 3, 4}, {2, 3}, {2}, false, {}, {});
  expect_error(run_model(model, {{BuiltinOp::kMean, &reference::mean()}}, {std::vector<uint8_t>(24)}),
               StatusCode::kInvalidModel, "quantization");
}

}  // namespace
}  // namespace edgeinfer::testing
