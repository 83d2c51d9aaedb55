#include "kernels/reference/activations.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;

// ---- Pure functions ----

TEST(ReluFunction, FloatClampsBelowZeroAndAboveSix) {
  const std::vector<float> in = {-2.5f, -0.0f, 0.0f, 0.5f, 5.99f, 6.0f, 7.0f, 1e30f};
  std::vector<float> out(in.size());
  reference::relu_float(in.size(), in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{0, -0.0f, 0, 0.5f, 5.99f, 6.0f, 7.0f, 1e30f}));
  reference::relu6_float(in.size(), in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{0, -0.0f, 0, 0.5f, 5.99f, 6.0f, 6.0f, 6.0f}));
}

TEST(ReluFunction, Int8RequantizesThenClamps) {
  // Input scale 0.5 zp -10, output scale 0.25 zp 5: multiplier exactly 2.
  reference::ReluQuantParams p;
  p.input_zero_point = -10;
  p.output_zero_point = 5;
  p.output_multiplier = 1 << 30;
  p.output_shift = 2;
  p.activation_min = 5;
  p.activation_max = 127;
  const std::vector<int8_t> in = {-10, -20, -128, 0, 50, 100};
  std::vector<int8_t> out(in.size());
  reference::relu_int8(p, in.size(), in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{5, 5, 5, 25, 125, 127}));
}

TEST(LeakyReluFunction, Int8HandComputed) {
  // Scales 1, alpha 0.5: negative inputs halve, with TFLite's rounding (-1.5 -> -1, ties toward +inf).
  const auto p = reference::make_leaky_relu_params(1.0f, 0, 1.0f, 0, 0.5f);
  const std::vector<int8_t> in = {-128, -4, -3, -1, 0, 5, 127};
  std::vector<int8_t> out(in.size());
  reference::leaky_relu_int8(p, in.size(), in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{-64, -2, -1, 0, 0, 5, 127}));
}

TEST(LeakyReluFunction, FloatKeepsPositiveScalesNegative) {
  const std::vector<float> in = {-2.0f, -0.5f, 0.0f, 3.0f};
  std::vector<float> out(in.size());
  reference::leaky_relu_float(0.2f, in.size(), in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{-2.0f * 0.2f, -0.5f * 0.2f, 0.0f, 3.0f}));
  // alpha > 1 is not a max().
  reference::leaky_relu_float(2.0f, in.size(), in.data(), out.data());
  EXPECT_EQ(out, (std::vector<float>{-4.0f, -1.0f, 0.0f, 3.0f}));
}

TEST(HardSwishFunction, FloatHandComputed) {
  const std::vector<float> in = {-4.0f, -3.0f, -1.5f, 0.0f, 1.0f, 3.0f, 4.0f};
  std::vector<float> out(in.size());
  reference::hard_swish_float(in.size(), in.data(), out.data());
  EXPECT_EQ(out,
            (std::vector<float>{-0.0f, -0.0f, -1.5f * 1.5f / 6.0f, 0.0f, 1.0f * 4.0f / 6.0f, 3.0f, 4.0f}));
}

// The int8 kernel works in 16-bit fixed point: error stays within one output step plus a small bias
// (TFLite's own test allows ~1.5 steps); a wrong multiplier or shift is off by many steps.
TEST(HardSwishFunction, Int8TracksFloatOverManyScales) {
  const float scales[][2] = {{0.05f, 0.03f}, {0.1f, 0.05f}, {0.02f, 0.02f}, {0.5f, 0.3f}, {0.01f, 0.005f}};
  const int32_t zero_points[][2] = {{0, -10}, {-20, 3}, {5, -128}, {10, 0}, {-128, -100}};
  for (int c = 0; c < 5; ++c) {
    reference::HardSwishParams p;
    ASSERT_TRUE(reference::make_hard_swish_params(scales[c][0], zero_points[c][0], scales[c][1],
                                                  zero_points[c][1], &p)
                    .is_ok());
    const auto in = sweep_values<int8_t>(256);
    std::vector<int8_t> out(in.size());
    reference::hard_swish_int8(p, in.size(), in.data(), out.data());
    for (size_t i = 0; i < in.size(); ++i) {
      const float x = dequantize_value(in[i], scales[c][0], zero_points[c][0]);
      const float expected = x * std::fmin(6.0f, std::fmax(0.0f, x + 3)) / 6;
      const float got = dequantize_value(out[i], scales[c][1], zero_points[c][1]);
      const bool saturated = out[i] == -128 || out[i] == 127;
      if (!saturated) EXPECT_NEAR(got, expected, 1.6f * scales[c][1]) << "case " << c << " x=" << x;
    }
  }
}

TEST(HardSwishFunction, RejectsOutputScaleFinerThanInputsHiresScale) {
  reference::HardSwishParams p;
  // input scale / 128 / output scale > 1 -> positive output exponent, which TFLite refuses.
  EXPECT_EQ(reference::make_hard_swish_params(1.0f, 0, 0.001f, 0, &p).code(), StatusCode::kUnsupported);
}

// ---- Through the interpreter ----

QuantParams q(float scale, int64_t zp) {
  return QuantParams::per_tensor(scale, zp);
}

TEST(ReluKernel, FloatShapes) {
  for (const auto& shape :
       std::vector<std::vector<int32_t>>{{1}, {7}, {2, 3}, {1, 4, 4, 3}, {2, 1, 1, 2, 3}}) {
    int64_t n = 1;
    for (int32_t d : shape) n *= d;
    const auto input = lcg_values<float>(n, 7);
    std::vector<float> expected(n);
    std::vector<float> expected6(n);
    for (int64_t i = 0; i < n; ++i) {
      const float x = input[i] * 8;
      expected[i] = x < 0 ? 0 : x;
      expected6[i] = x < 0 ? 0 : (x > 6 ? 6 : x);
    }
    std::vector<float> scaled(n);
    for (int64_t i = 0; i < n; ++i) scaled[i] = input[i] * 8;
    const TensorSpec spec{DataType::kFloat32, shape, {}};
    EXPECT_EQ(run_single_op<float>(BuiltinOp::kRelu, reference::relu(), spec, spec, scaled), expected);
    EXPECT_EQ(run_single_op<float>(BuiltinOp::kRelu6, reference::relu6(), spec, spec, scaled), expected6);
  }
}

TEST(ReluKernel, Int8AndInt16MatchFloatWithinHalfAStep) {
  // Requantization by a multiplier: the result is the float relu rounded to the output scale (+-1 step at
  // exact ties of the double-rounding arithmetic).
  const auto input8 = sweep_values<int8_t>(256);
  const TensorSpec in8{DataType::kInt8, {1, 256}, q(0.07f, -5)};
  const TensorSpec out8{DataType::kInt8, {1, 256}, q(0.05f, -128)};
  const auto got8 = run_single_op<int8_t>(BuiltinOp::kRelu, reference::relu(), in8, out8, input8);
  ASSERT_EQ(got8.size(), 256u);
  for (int i = 0; i < 256; ++i) {
    const float x = dequantize_value(input8[i], 0.07f, -5);
    EXPECT_NEAR(got8[i], quantize_value<int8_t>(x < 0 ? 0 : x, 0.05f, -128), 1) << x;
  }
  const auto input16 = lcg_values<int16_t>(1000, 3);
  const TensorSpec in16{DataType::kInt16, {10, 100}, q(0.001f, 0)};
  const TensorSpec out16{DataType::kInt16, {10, 100}, q(0.0007f, 0)};
  const auto got16 = run_single_op<int16_t>(BuiltinOp::kRelu, reference::relu(), in16, out16, input16);
  ASSERT_EQ(got16.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    const float x = dequantize_value(input16[i], 0.001f, 0);
    EXPECT_NEAR(got16[i], quantize_value<int16_t>(x < 0 ? 0 : x, 0.0007f, 0), 1) << x;
  }
}

TEST(Relu6Kernel, QuantizedClampsInInputQuantization) {
  // Scale 0.05, zp -100: 0 -> -100, 6 -> 20.
  const auto input = sweep_values<int8_t>(256);
  const TensorSpec spec{DataType::kInt8, {256}, q(0.05f, -100)};
  const auto got = run_single_op<int8_t>(BuiltinOp::kRelu6, reference::relu6(), spec, spec, input);
  ASSERT_EQ(got.size(), 256u);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(got[i], std::min<int>(20, std::max<int>(-100, input[i])));
  const auto input16 = sweep_values<int16_t>(65536);
  const TensorSpec spec16{DataType::kInt16, {65536}, q(6.0f / 30000, 0)};
  const auto got16 = run_single_op<int16_t>(BuiltinOp::kRelu6, reference::relu6(), spec16, spec16, input16);
  ASSERT_EQ(got16.size(), 65536u);
  for (int i = 0; i < 65536; ++i) EXPECT_EQ(got16[i], std::min<int>(30000, std::max<int>(0, input16[i])));
}

TEST(LeakyReluKernel, AllTypes) {
  auto options = [](float alpha) {
    return [alpha](flatbuffers::FlatBufferBuilder& fbb) {
      return tflite::CreateLeakyReluOptions(fbb, alpha).Union();
    };
  };
  const auto f = lcg_values<float>(60, 11);
  const TensorSpec fspec{DataType::kFloat32, {3, 4, 5}, {}};
  const auto got = run_single_op<float>(BuiltinOp::kLeakyRelu, reference::leaky_relu(), fspec, fspec, f,
                                        tflite::BuiltinOptions::LeakyReluOptions, options(0.3f));
  ASSERT_EQ(got.size(), f.size());
  for (size_t i = 0; i < f.size(); ++i) EXPECT_EQ(got[i], f[i] > 0 ? f[i] : f[i] * 0.3f);

  // Quantized: within one output step of the float result (two roundings of the double-rounding multiply).
  for (float alpha : {0.1f, 0.2f, 1.5f, -0.4f}) {
    const auto in8 = sweep_values<int8_t>(256);
    const auto got8 =
        run_single_op<int8_t>(BuiltinOp::kLeakyRelu, reference::leaky_relu(),
                              {DataType::kInt8, {256}, q(0.04f, 10)}, {DataType::kInt8, {256}, q(0.03f, -20)},
                              in8, tflite::BuiltinOptions::LeakyReluOptions, options(alpha));
    ASSERT_EQ(got8.size(), 256u);
    for (int i = 0; i < 256; ++i) {
      const float x = dequantize_value(in8[i], 0.04f, 10);
      EXPECT_NEAR(got8[i], quantize_value<int8_t>(x > 0 ? x : x * alpha, 0.03f, -20), 1) << x << " " << alpha;
    }
    const auto in16 = lcg_values<int16_t>(500, 5);
    const auto got16 = run_single_op<int16_t>(BuiltinOp::kLeakyRelu, reference::leaky_relu(),
                                              {DataType::kInt16, {500}, q(0.002f, 0)},
                                              {DataType::kInt16, {500}, q(0.003f, 0)}, in16,
                                              tflite::BuiltinOptions::LeakyReluOptions, options(alpha));
    ASSERT_EQ(got16.size(), 500u);
    for (int i = 0; i < 500; ++i) {
      const float x = dequantize_value(in16[i], 0.002f, 0);
      EXPECT_NEAR(got16[i], quantize_value<int16_t>(x > 0 ? x : x * alpha, 0.003f, 0), 1) << x;
    }
  }
}

TEST(HardSwishKernel, FloatAndInt8) {
  const auto f = lcg_values<float>(64, 2);
  std::vector<float> x(f.size());
  for (size_t i = 0; i < f.size(); ++i) x[i] = f[i] * 5;
  const TensorSpec fspec{DataType::kFloat32, {2, 32}, {}};
  const auto got = run_single_op<float>(BuiltinOp::kHardSwish, reference::hard_swish(), fspec, fspec, x);
  std::vector<float> expected(x.size());
  reference::hard_swish_float(x.size(), x.data(), expected.data());
  EXPECT_EQ(got, expected);

  const auto in8 = sweep_values<int8_t>(256);
  const auto got8 = run_single_op<int8_t>(BuiltinOp::kHardSwish, reference::hard_swish(),
                                          {DataType::kInt8, {1, 16, 16}, q(0.04f, 5)},
                                          {DataType::kInt8, {1, 16, 16}, q(0.025f, -60)}, in8);
  reference::HardSwishParams p;
  ASSERT_TRUE(reference::make_hard_swish_params(0.04f, 5, 0.025f, -60, &p).is_ok());
  std::vector<int8_t> expected8(256);
  reference::hard_swish_int8(p, 256, in8.data(), expected8.data());
  EXPECT_EQ(got8, expected8);
}

TEST(ActivationKernels, RejectBadModels) {
  const std::vector<uint8_t> four(4 * 4);
  // Type mismatch.
  auto model =
      single_op_model(BuiltinOp::kRelu, {{DataType::kFloat32, {4}, {}}}, {DataType::kInt8, {4}, q(1, 0)});
  expect_error(run_model(model, {{BuiltinOp::kRelu, &reference::relu()}}, {four}), StatusCode::kInvalidModel,
               "type");
  // Element count mismatch.
  model = single_op_model(BuiltinOp::kRelu6, {{DataType::kFloat32, {4}, {}}}, {DataType::kFloat32, {5}, {}});
  expect_error(run_model(model, {{BuiltinOp::kRelu6, &reference::relu6()}}, {four}),
               StatusCode::kInvalidModel, "elements");
  // Missing quantization.
  model = single_op_model(BuiltinOp::kLeakyRelu, {{DataType::kInt8, {4}, {}}}, {DataType::kInt8, {4}, {}});
  expect_error(
      run_model(model, {{BuiltinOp::kLeakyRelu, &reference::leaky_relu()}}, {std::vector<uint8_t>(4)}),
      StatusCode::kInvalidModel, "quantization");
  // int16 RELU needs zero points 0.
  model =
      single_op_model(BuiltinOp::kRelu, {{DataType::kInt16, {4}, q(1, 3)}}, {DataType::kInt16, {4}, q(1, 0)});
  expect_error(run_model(model, {{BuiltinOp::kRelu, &reference::relu()}}, {std::vector<uint8_t>(8)}),
               StatusCode::kUnsupported, "zero point");
  // Unsupported type.
  model = single_op_model(BuiltinOp::kHardSwish, {{DataType::kInt16, {4}, q(1, 0)}},
                          {DataType::kInt16, {4}, q(1, 0)});
  expect_error(
      run_model(model, {{BuiltinOp::kHardSwish, &reference::hard_swish()}}, {std::vector<uint8_t>(8)}),
      StatusCode::kUnsupported, "type");
}

// ---- SEANet int16 LEAKY_RELU conformance cases: must match TensorFlow Lite exactly ----

TEST(LeakyReluKernel, SeanetConformanceExact) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(expect_seanet_cases(shared / "conformance" / "seanet" / "leaky_relu", "leaky_relu",
                                {{BuiltinOp::kLeakyRelu, &reference::leaky_relu()}}),
            23);
}

}  // namespace
}  // namespace edgeinfer::testing
