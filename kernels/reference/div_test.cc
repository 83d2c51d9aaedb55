#include "kernels/reference/div.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "kernels/reference/elementwise_test_util.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;
using reference::DivQuantParams;

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

DivQuantParams params_of(float s1, int32_t z1, float s2, int32_t z2, float so, int32_t zo,
                         FusedActivation activation = FusedActivation::kNone) {
  DivQuantParams params;
  const Status status = reference::make_div_params({s1, z1}, {s2, z2}, {so, zo}, activation, &params);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return params;
}

TEST(DivFunction, Int32TruncatesTowardZero) {
  const auto b = broadcast_of({4}, {4}, {4});
  const int32_t x[] = {7, -7, 7, -7};
  const int32_t y[] = {2, 2, -2, -2};
  int32_t out[4];
  reference::div_int32(b, kInt32Min, kInt32Max, x, y, out);
  EXPECT_EQ(std::vector<int32_t>(out, out + 4), (std::vector<int32_t>{3, -3, -3, 3}));
}

TEST(DivFunction, Int32DivisionByZeroAndOverflowGiveCortexMValues) {
  // SDIV: x / 0 = 0; INT32_MIN / -1 wraps to INT32_MIN.
  EXPECT_EQ(reference::int32_divide(5, 0), 0);
  EXPECT_EQ(reference::int32_divide(kInt32Min, 0), 0);
  EXPECT_EQ(reference::int32_divide(kInt32Min, -1), kInt32Min);
  EXPECT_EQ(reference::int32_divide(kInt32Max, -1), -kInt32Max);
  EXPECT_EQ(reference::int32_divide(kInt32Min, 2), -(1 << 30));
  const auto b = broadcast_of({3}, {}, {3});
  const int32_t x[] = {9, kInt32Min, -4};
  const int32_t zero[] = {0};
  int32_t out[3] = {1, 1, 1};
  reference::div_int32(b, kInt32Min, kInt32Max, x, zero, out);
  EXPECT_EQ(std::vector<int32_t>(out, out + 3), (std::vector<int32_t>{0, 0, 0}));
}

TEST(DivFunction, Int32ClampsToTheActivation) {
  const auto b = broadcast_of({4}, {}, {4});
  const int32_t x[] = {-30, 12, 60, 3};
  const int32_t y[] = {3};
  int32_t out[4];
  reference::div_int32(b, 0, 6, x, y, out);  // RELU6
  EXPECT_EQ(std::vector<int32_t>(out, out + 4), (std::vector<int32_t>{0, 4, 6, 1}));
}

TEST(DivFunction, FloatWithBroadcastAndRelu6) {
  const auto b = broadcast_of({2, 1}, {3}, {2, 3});
  const float x[] = {3, -1};
  const float y[] = {2, 0.25f, 0};
  float out[6];
  reference::div_float(b, 0.0f, 6.0f, x, y, out);
  // 3/2, 3/0.25 = 12 -> 6, 3/0 = inf -> 6; -1/2 -> 0, -4 -> 0, -inf -> 0.
  EXPECT_EQ(std::vector<float>(out, out + 6), (std::vector<float>{1.5f, 6, 6, 0, 0, 0}));
  const float inf = std::numeric_limits<float>::infinity();
  reference::div_float(b, -inf, inf, x, y, out);
  EXPECT_EQ(out[2], inf);
  EXPECT_EQ(out[5], -inf);
  const float nan_x[] = {0, 0};
  reference::div_float(b, 0.0f, 6.0f, nan_x, y, out);
  EXPECT_TRUE(std::isnan(out[2]));  // 0 / 0 stays NaN through the clamp, as in TensorFlow Lite
}

TEST(DivHelpers, CountLeadingSignBits) {
  EXPECT_EQ(reference::count_leading_sign_bits(0), 31);
  EXPECT_EQ(reference::count_leading_sign_bits(-1), 31);
  EXPECT_EQ(reference::count_leading_sign_bits(1), 30);
  EXPECT_EQ(reference::count_leading_sign_bits(5), 28);
  EXPECT_EQ(reference::count_leading_sign_bits(-5), 28);
  EXPECT_EQ(reference::count_leading_sign_bits(255), 23);
  EXPECT_EQ(reference::count_leading_sign_bits(-255), 23);
  EXPECT_EQ(reference::count_leading_sign_bits(kInt32Max), 0);
  EXPECT_EQ(reference::count_leading_sign_bits(kInt32Min), 0);
}

TEST(DivHelpers, Reciprocals) {
  int shift;
  // 1, 2, 4: exactly 1.0 (the largest Q0.31 value) with 0, 1, 2 powers of two taken out.
  EXPECT_EQ(reference::div_reciprocal(1, &shift), kInt32Max);
  EXPECT_EQ(shift, 0);
  EXPECT_EQ(reference::div_reciprocal(4, &shift), kInt32Max);
  EXPECT_EQ(shift, 2);
  // 1/3 = 0.666... / 2: within 2^-29 of 2/3 in Q0.31.
  EXPECT_NEAR(reference::div_reciprocal(3, &shift), 2.0 / 3.0 * 2147483648.0, 8);
  EXPECT_EQ(shift, 1);
  EXPECT_NEAR(reference::div_reciprocal(255, &shift), 128.0 / 255.0 * 2147483648.0, 8);
  EXPECT_EQ(shift, 7);
  // 0, as TFLM computes it: the shifted value minus one is raw INT32_MIN (-1.0), so the half denominator is
  // raw -1 and the three Newton steps from 48/17 (raw 1515870810) roughly double x each time with int32
  // wrap-around: -1263225674, 1768515950, -757935394, returned times 2.
  EXPECT_EQ(reference::div_reciprocal(0, &shift), -1515870788);
  EXPECT_EQ(shift, -1);
}

TEST(DivHelpers, RoundingShiftOfAnyExponent) {
  EXPECT_EQ(reference::rounding_shift_any(5, 1), 3);  // 2.5 rounds away from zero
  EXPECT_EQ(reference::rounding_shift_any(-5, 1), -3);
  EXPECT_EQ(reference::rounding_shift_any(kInt32Max, 31), 1);
  EXPECT_EQ(reference::rounding_shift_any(kInt32Max, 32), 0);
  EXPECT_EQ(reference::rounding_shift_any(kInt32Min, 32), -1);  // exactly -1/2
  EXPECT_EQ(reference::rounding_shift_any(-7, 60), 0);
  EXPECT_EQ(reference::rounding_shift_any(3, -2), 12);               // negative exponent: left shift ...
  EXPECT_EQ(reference::rounding_shift_any(1 << 30, -2), kInt32Max);  // ... saturating
  EXPECT_EQ(reference::rounding_shift_any(-(1 << 30), -2), kInt32Min);
}

TEST(DivParams, HandComputedValues) {
  // s1 / (s2 so) = 0.5 / (0.5 * 0.25) = 4: multiplier 2^30 with shift 3; q = 4 * (x / y) rounded.
  const auto p = params_of(0.5f, 0, 0.5f, 0, 0.25f, 0);
  EXPECT_EQ(p.output_multiplier, 1 << 30);
  EXPECT_EQ(p.output_shift, 3);
  EXPECT_EQ(reference::quantized_div(p, 6, 3), 8);
  EXPECT_EQ(reference::quantized_div(p, 7, 2), 14);
  EXPECT_EQ(reference::quantized_div(p, -7, 2), -14);
  EXPECT_EQ(reference::quantized_div(p, 7, -2), -14);
  EXPECT_EQ(reference::quantized_div(p, 1, 3), 1);  // 1.33
  EXPECT_EQ(reference::quantized_div(p, 2, 3), 3);  // 2.67
  EXPECT_EQ(reference::quantized_div(p, -128, -128), 4);
  EXPECT_EQ(reference::quantized_div(p, 0, 5), 0);
  EXPECT_EQ(reference::quantized_div(p, 100, 1), 127);    // 400 saturates
  EXPECT_EQ(reference::quantized_div(p, 127, -1), -128);  // -508 saturates
  // Zero points: (x - 3) / (y + 2) * 4 + 10.
  const auto q = params_of(0.5f, 3, 0.5f, -2, 0.25f, 10);
  EXPECT_EQ(reference::quantized_div(q, 9, 1), 18);    // 6 / 3 * 4 + 10
  EXPECT_EQ(reference::quantized_div(q, -3, -5), 18);  // -6 / -3 * 4 + 10
  EXPECT_EQ(reference::quantized_div(q, -3, 1), 2);    // -6 / 3 * 4 + 10
}

TEST(DivParams, ZeroDivisorGivesTflmsValue) {
  // 5 / 0 with the multiplier 4 above: the dividend 5 << 28 times the reciprocal of 0 (-1515870788, shift -1)
  // is -947419242; halved by the output multiplier 2^30 and divided by 2^(28 - 1 - 3) = 2^24: -28.2 -> -28.
  const auto p = params_of(0.5f, 0, 0.5f, 0, 0.25f, 0);
  EXPECT_EQ(reference::quantized_div(p, 5, 0), -28);
  EXPECT_EQ(reference::quantized_div(p, -5, 0), 28);
  EXPECT_EQ(reference::quantized_div(p, 0, 0), 0);
  // The divisor is zero where y equals its zero point.
  const auto q = params_of(0.5f, 0, 0.5f, 7, 0.25f, 0);
  EXPECT_EQ(reference::quantized_div(q, 5, 7), -28);
}

TEST(DivParams, MultiplierComputedInFloatAsTflm) {
  // 0.1f / (0.1f * 0.1f) is 9.99999905 in float; in double 10.0000001: different last bits.
  const auto p = params_of(0.1f, 0, 0.1f, 0, 0.1f, 0);
  EXPECT_EQ(p.output_multiplier, 1342177152);
  EXPECT_EQ(p.output_shift, 4);
  int32_t double_multiplier;
  int double_shift;
  quantize_multiplier(0.1 / (static_cast<double>(0.1f) * static_cast<double>(0.1f)), &double_multiplier,
                      &double_shift);
  EXPECT_NE(double_multiplier, p.output_multiplier);
}

TEST(DivParams, ActivationsAndBadScales) {
  const auto relu = params_of(0.5f, 0, 0.5f, 0, 0.25f, -10, FusedActivation::kRelu);
  EXPECT_EQ(relu.activation_min, -10);
  EXPECT_EQ(relu.activation_max, 127);
  EXPECT_EQ(reference::quantized_div(relu, -6, 3), -10);  // -8 - 10 clamps to the zero point
  DivQuantParams params;
  EXPECT_FALSE(
      reference::make_div_params({1, 0}, {1, 0}, {1, 0}, FusedActivation::kSignBit, &params).is_ok());
  EXPECT_FALSE(
      reference::make_div_params({1e20f, 0}, {1e-20f, 0}, {1e-20f, 0}, FusedActivation::kNone, &params)
          .is_ok());
}

// The reciprocal is accurate to about 2^-30 and the quotient is scaled by one Q31 multiplier: results are
// within 1 of round(real / scale) (ties may go either way).
TEST(DivFunction, Int8MatchesFloatWithinOne) {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 60; ++trial) {
    const auto c = random_broadcast_case(rng);
    std::uniform_real_distribution<float> scale_dist(0.005f, 0.1f);
    const float s1 = scale_dist(rng), s2 = scale_dist(rng);
    const float so = s1 / s2 * scale_dist(rng) * 2;
    const int32_t z1 = static_cast<int32_t>(rng() % 256) - 128;
    const int32_t z2 = static_cast<int32_t>(rng() % 256) - 128;
    const int32_t zo = static_cast<int32_t>(rng() % 256) - 128;
    const auto p = params_of(s1, z1, s2, z2, so, zo);
    const auto x = random_ints<int8_t>(rng, element_count(c.input1), -128, 127);
    auto y = random_ints<int8_t>(rng, element_count(c.input2), -128, 127);
    for (int8_t& v : y)
      if (v == z2) v = static_cast<int8_t>(z2 == 127 ? 126 : z2 + 1);  // no zero divisors here
    const int64_t n = element_count(c.output);
    std::vector<int8_t> out(n);
    reference::div_int8(broadcast_of(c.input1, c.input2, c.output), p, x.data(), y.data(), out.data());
    for (int64_t i = 0; i < n; ++i) {
      const int32_t xi = x[broadcast_index(make_shape(c.input1), make_shape(c.output), i)];
      const int32_t yi = y[broadcast_index(make_shape(c.input2), make_shape(c.output), i)];
      const double real = static_cast<double>(s1) * (xi - z1) / (static_cast<double>(s2) * (yi - z2));
      ASSERT_NEAR(out[i], ideal_quantized(real, so, zo, -128, 127), 1)
          << "trial " << trial << " element " << i << ": " << xi << " / " << yi;
    }
  }
}

std::vector<uint8_t> div_model(
    const TensorSpec& a, const TensorSpec& b, const TensorSpec& out,
    tflite::ActivationFunctionType activation = tflite::ActivationFunctionType::NONE) {
  return single_op_model(BuiltinOp::kDiv, {a, b}, out, tflite::BuiltinOptions::DivOptions,
                         [=](auto& fbb) { return tflite::CreateDivOptions(fbb, activation).Union(); });
}

RunResult run_div(const std::vector<uint8_t>& model, std::vector<std::vector<uint8_t>> inputs) {
  return run_model(model, {{BuiltinOp::kDiv, &reference::div()}}, inputs);
}

TEST(DivKernel, Int32ByScalarLikeTheAudioFrontEnd) {
  const auto model = div_model({DataType::kInt32, {5}}, {DataType::kInt32, {}}, {DataType::kInt32, {5}});
  const auto result =
      run_div(model, {bytes_of<int32_t>({1000, -1000, 99, -99, kInt32Min}), bytes_of<int32_t>({100})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{10, -10, 0, 0, -21474836}));
}

TEST(DivKernel, Int32ZeroDivisorsDoNotCrash) {
  const auto model = div_model({DataType::kInt32, {2, 2}}, {DataType::kInt32, {2}},
                               {DataType::kInt32, {2, 2}}, tflite::ActivationFunctionType::RELU);
  const auto result = run_div(model, {bytes_of<int32_t>({7, 8, kInt32Min, -9}), bytes_of<int32_t>({0, -1})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  // 7/0 = 0, 8/-1 = -8 -> 0 (RELU), INT32_MIN/0 = 0, -9/-1 = 9.
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{0, 0, 0, 9}));
}

TEST(DivKernel, FloatWithReluN1To1) {
  const auto model = div_model({DataType::kFloat32, {4}}, {DataType::kFloat32, {4}},
                               {DataType::kFloat32, {4}}, tflite::ActivationFunctionType::RELU_N1_TO_1);
  const auto result = run_div(model, {bytes_of<float>({1, -3, 0.5f, 2}), bytes_of<float>({4, 2, -1, 1})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]), (std::vector<float>{0.25f, -1, -0.5f, 1}));
}

TEST(DivKernel, Int8HandComputed) {
  const auto model = div_model({DataType::kInt8, {3}, QuantParams::per_tensor(0.5f, 3)},
                               {DataType::kInt8, {}, QuantParams::per_tensor(0.5f, -2)},
                               {DataType::kInt8, {3}, QuantParams::per_tensor(0.25f, 10)});
  const auto result = run_div(model, {bytes_of<int8_t>({9, -3, 3}), bytes_of<int8_t>({1})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  // (x - 3) / (1 + 2) * 4 + 10.
  EXPECT_EQ(values_of<int8_t>(result.outputs[0]), (std::vector<int8_t>{18, 2, 10}));
}

TEST(DivKernel, ManyShapesMatchThePureFunctions) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 30; ++trial) {
    const auto c = random_broadcast_case(rng, 6, 3);
    PureFunctionCase expected;
    std::vector<uint8_t> model;
    if (trial % 2 == 0) {
      const QuantParams q1 = QuantParams::per_tensor(0.05f, -7), q2 = QuantParams::per_tensor(0.04f, 5),
                        qo = QuantParams::per_tensor(0.1f, 1);
      model = div_model({DataType::kInt8, c.input1, q1}, {DataType::kInt8, c.input2, q2},
                        {DataType::kInt8, c.output, qo}, tflite::ActivationFunctionType::RELU6);
      const auto p = params_of(0.05f, -7, 0.04f, 5, 0.1f, 1, FusedActivation::kRelu6);
      expected = pure_function_case<int8_t>(
          rng, c, [&](const BinaryBroadcast& b, const int8_t* x, const int8_t* y, int8_t* out) {
            reference::div_int8(b, p, x, y, out);
          });
    } else {
      // Random int32 values include zero divisors only rarely; the pure function covers them anyway.
      model =
          div_model({DataType::kInt32, c.input1}, {DataType::kInt32, c.input2}, {DataType::kInt32, c.output});
      expected = pure_function_case<int32_t>(
          rng, c, [](const BinaryBroadcast& b, const int32_t* x, const int32_t* y, int32_t* out) {
            reference::div_int32(b, kInt32Min, kInt32Max, x, y, out);
          });
    }
    const auto result = run_div(model, expected.inputs);
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    EXPECT_EQ(result.outputs[0], expected.expected) << "trial " << trial;
  }
}

TEST(DivKernel, RejectsWhatTflmDoesNotDivide) {
  const QuantParams q = QuantParams::per_tensor(0.1f, 0);
  expect_error(
      run_div(div_model({DataType::kInt16, {2}, q}, {DataType::kInt16, {2}, q}, {DataType::kInt16, {2}, q}),
              {}),
      StatusCode::kUnsupported, "int16");
  expect_error(
      run_div(div_model({DataType::kUInt8, {2}, q}, {DataType::kUInt8, {2}, q}, {DataType::kUInt8, {2}, q}),
              {}),
      StatusCode::kUnsupported, "uint8");
  expect_error(
      run_div(div_model({DataType::kInt32, {2}, q}, {DataType::kInt32, {2}}, {DataType::kInt32, {2}}), {}),
      StatusCode::kUnsupported, "quantized");
  expect_error(
      run_div(div_model({DataType::kFloat32, {4}}, {DataType::kFloat32, {3}}, {DataType::kFloat32, {4}}), {}),
      StatusCode::kInvalidModel, "do not broadcast");
  expect_error(
      run_div(div_model({DataType::kInt8, {2}, q}, {DataType::kInt8, {2}, q}, {DataType::kInt32, {2}}), {}),
      StatusCode::kInvalidModel, "output has type");
  expect_error(
      run_div(div_model({DataType::kInt8, {2}}, {DataType::kInt8, {2}, q}, {DataType::kInt8, {2}, q}), {}),
      StatusCode::kInvalidModel, "no quantization");
  expect_error(run_div(div_model({DataType::kFloat32, {2}}, {DataType::kFloat32, {2}},
                                 {DataType::kFloat32, {2}}, tflite::ActivationFunctionType::TANH),
                       {}),
               StatusCode::kUnsupported, "");
}

TEST(DivKernel, RegisteredWithTheReferenceKernels) {
  AllOpsResolver resolver;
  const Kernel* kernel = resolver.find(static_cast<int32_t>(BuiltinOp::kDiv), nullptr);
  ASSERT_NE(kernel, nullptr);
  EXPECT_EQ(kernel, &reference::div());
}

}  // namespace
}  // namespace edgeinfer::testing
