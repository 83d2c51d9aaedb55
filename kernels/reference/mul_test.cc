#include "kernels/reference/mul.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "kernels/reference/elementwise_test_util.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;
using reference::MulQuantParams;

MulQuantParams params_of(DataType type, float s1, int32_t z1, float s2, int32_t z2, float so, int32_t zo,
                         FusedActivation activation = FusedActivation::kNone) {
  MulQuantParams params;
  const Status status = reference::make_mul_params(type, {s1, z1}, {s2, z2}, {so, zo}, activation, &params);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return params;
}

TEST(MulFunction, FloatWithBroadcastAndReluN1To1) {
  const auto b = broadcast_of({3, 1}, {2}, {3, 2});
  const float x[] = {0.5f, -2, 0.25f};
  const float y[] = {1, 0.5f};
  float out[6];
  reference::mul_float(b, -1.0f, 1.0f, x, y, out);
  EXPECT_EQ(std::vector<float>(out, out + 6), (std::vector<float>{0.5f, 0.25f, -1, -1, 0.25f, 0.125f}));
}

TEST(MulFunction, Int32WrapsAndClamps) {
  const auto b = broadcast_of({3}, {}, {3});
  const int32_t x[] = {1 << 30, -3, 2};
  const int32_t y[] = {4};
  int32_t out[3];
  reference::mul_int32(b, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), x, y,
                       out);
  EXPECT_EQ(std::vector<int32_t>(out, out + 3), (std::vector<int32_t>{0, -12, 8}));  // 2^32 wraps to 0
  reference::mul_int32(b, 0, 6, x, y, out);
  EXPECT_EQ(std::vector<int32_t>(out, out + 3), (std::vector<int32_t>{0, 0, 6}));
}

TEST(MulParams, HandComputedValues) {
  // s1 s2 / so = 0.5 * 0.25 / 0.125 = 1: multiplier 2^30 with shift 1.
  const auto p = params_of(DataType::kInt8, 0.5f, 1, 0.25f, -2, 0.125f, 3);
  EXPECT_EQ(p.output_multiplier, 1 << 30);
  EXPECT_EQ(p.output_shift, 1);
  EXPECT_EQ(reference::quantized_mul(p, 4, 5), (4 - 1) * (5 + 2) + 3);
  EXPECT_EQ(reference::quantized_mul(p, 127, 100), 127);  // saturates
  // 0.5 * 0.5 / 1 = 0.25: (x * y) / 4 rounded half away from zero.
  const auto q = params_of(DataType::kInt16, 0.5f, 0, 0.5f, 0, 1.0f, 0);
  EXPECT_EQ(reference::quantized_mul(q, 3, 2), 2);    // 1.5 -> 2
  EXPECT_EQ(reference::quantized_mul(q, -3, 2), -2);  // -1.5 -> -2
  EXPECT_EQ(reference::quantized_mul(q, -32768, -32768), 32767);
}

TEST(MulParams, RejectsInt16ZeroPointsAndBadActivations) {
  MulQuantParams params;
  EXPECT_EQ(
      reference::make_mul_params(DataType::kInt16, {1, 1}, {1, 0}, {1, 0}, FusedActivation::kNone, &params)
          .code(),
      StatusCode::kUnsupported);
  EXPECT_FALSE(
      reference::make_mul_params(DataType::kInt8, {1, 0}, {1, 0}, {1, 0}, FusedActivation::kSignBit, &params)
          .is_ok());
  EXPECT_FALSE(reference::make_mul_params(DataType::kInt8, {1e20f, 0}, {1e20f, 0}, {1e-20f, 0},
                                          FusedActivation::kNone, &params)
                   .is_ok());
}

// The product is exact and scaled by a single Q31 multiplier: before the final rounding the error is far
// below half an output step, so results are within 1 of round(real / scale) (ties may go either way).
template <class T>
void check_against_float(uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t lo = std::numeric_limits<T>::min();
  const int64_t hi = std::numeric_limits<T>::max();
  const bool is_int8 = sizeof(T) == 1;
  const DataType type = is_int8 ? DataType::kInt8 : DataType::kInt16;
  for (int trial = 0; trial < 60; ++trial) {
    const auto c = random_broadcast_case(rng);
    std::uniform_real_distribution<float> scale_dist(0.001f, 0.1f);
    const float s1 = scale_dist(rng), s2 = scale_dist(rng);
    // Output scale near the product range so results spread over the type.
    const float so = s1 * s2 * static_cast<float>(is_int8 ? 128 : 32768) * scale_dist(rng) * 10;
    const int32_t z1 = is_int8 ? static_cast<int32_t>(rng() % 256) - 128 : 0;
    const int32_t z2 = is_int8 ? static_cast<int32_t>(rng() % 256) - 128 : 0;
    const int32_t zo = is_int8 ? static_cast<int32_t>(rng() % 256) - 128 : 0;
    const auto p = params_of(type, s1, z1, s2, z2, so, zo);
    const auto x = random_ints<T>(rng, element_count(c.input1), lo, hi);
    const auto y = random_ints<T>(rng, element_count(c.input2), lo, hi);
    const int64_t n = element_count(c.output);
    std::vector<T> out(n);
    const auto b = broadcast_of(c.input1, c.input2, c.output);
    if constexpr (sizeof(T) == 1) {
      reference::mul_int8(b, p, x.data(), y.data(), out.data());
    } else {
      reference::mul_int16(b, p, x.data(), y.data(), out.data());
    }
    for (int64_t i = 0; i < n; ++i) {
      const double real =
          static_cast<double>(s1) * (x[broadcast_index(make_shape(c.input1), make_shape(c.output), i)] - z1) *
          static_cast<double>(s2) * (y[broadcast_index(make_shape(c.input2), make_shape(c.output), i)] - z2);
      ASSERT_NEAR(out[i], ideal_quantized(real, so, zo, lo, hi), 1) << "trial " << trial << " element " << i;
    }
  }
}

TEST(MulFunction, Int8MatchesFloatWithinOne) {
  check_against_float<int8_t>(11);
}
TEST(MulFunction, Int16MatchesFloatWithinOne) {
  check_against_float<int16_t>(12);
}

std::vector<uint8_t> mul_model(
    const TensorSpec& a, const TensorSpec& b, const TensorSpec& out,
    tflite::ActivationFunctionType activation = tflite::ActivationFunctionType::NONE) {
  return single_op_model(BuiltinOp::kMul, {a, b}, out, tflite::BuiltinOptions::MulOptions,
                         [=](auto& fbb) { return tflite::CreateMulOptions(fbb, activation).Union(); });
}

RunResult run_mul(const std::vector<uint8_t>& model, std::vector<std::vector<uint8_t>> inputs) {
  return run_model(model, {{BuiltinOp::kMul, &reference::mul()}}, inputs);
}

TEST(MulKernel, FloatScalarBroadcastLikeTheAudioFrontEnd) {
  const auto model =
      mul_model({DataType::kFloat32, {4}}, {DataType::kFloat32, {}}, {DataType::kFloat32, {4}});
  const auto result = run_mul(model, {bytes_of<float>({1, -2, 0.5f, 3}), bytes_of<float>({0.25f})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]), (std::vector<float>{0.25f, -0.5f, 0.125f, 0.75f}));
}

TEST(MulKernel, Int32WithRelu) {
  const auto model = mul_model({DataType::kInt32, {2, 2}}, {DataType::kInt32, {2}},
                               {DataType::kInt32, {2, 2}}, tflite::ActivationFunctionType::RELU);
  const auto result = run_mul(model, {bytes_of<int32_t>({1, 2, 3, 4}), bytes_of<int32_t>({-5, 6})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{0, 12, 0, 24}));
}

// The audio preprocessor's int32 MUL: a [40] vector times a scalar constant (256 there).
TEST(MulKernel, Int32ByScalarConstantLikeTheAudioFrontEnd) {
  compiler::ModelBuilder b;
  const int x = b.add_tensor(DataType::kInt32, {4});
  const int c = b.add_constant<int32_t>(DataType::kInt32, {}, {256});
  const int out = b.add_tensor(DataType::kInt32, {4});
  b.add_op(BuiltinOp::kMul, {x, c}, {out}, tflite::BuiltinOptions::MulOptions, nullptr);
  b.set_inputs({x});
  b.set_outputs({out});
  const auto result = run_mul(b.finish(), {bytes_of<int32_t>({663, -605, 0, 1 << 24})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  // 2^24 * 2^8 = 2^32 wraps to 0.
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{169728, -154880, 0, 0}));
}

TEST(MulKernel, ManyQuantizedShapesMatchThePureFunction) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 30; ++trial) {
    const auto c = random_broadcast_case(rng, 6, 3);
    const bool is_int16 = trial % 2 == 1;
    const DataType type = is_int16 ? DataType::kInt16 : DataType::kInt8;
    const int32_t z = is_int16 ? 0 : -7;
    const float so = is_int16 ? 0.5f : 0.02f;
    const QuantParams q1 = QuantParams::per_tensor(0.05f, z), q2 = QuantParams::per_tensor(0.04f, -z),
                      qo = QuantParams::per_tensor(so, z);
    const auto model = mul_model({type, c.input1, q1}, {type, c.input2, q2}, {type, c.output, qo},
                                 tflite::ActivationFunctionType::RELU6);
    const auto p = params_of(type, 0.05f, z, 0.04f, -z, so, z, FusedActivation::kRelu6);
    const PureFunctionCase expected =
        is_int16
            ? pure_function_case<int16_t>(rng, c,
                                          [&](const BinaryBroadcast& b, const int16_t* x, const int16_t* y,
                                              int16_t* out) { reference::mul_int16(b, p, x, y, out); })
            : pure_function_case<int8_t>(
                  rng, c, [&](const BinaryBroadcast& b, const int8_t* x, const int8_t* y, int8_t* out) {
                    reference::mul_int8(b, p, x, y, out);
                  });
    const auto result = run_mul(model, expected.inputs);
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    EXPECT_EQ(result.outputs[0], expected.expected) << "trial " << trial;
  }
}

TEST(MulKernel, RejectsMalformedOps) {
  const QuantParams q = QuantParams::per_tensor(0.1f, 0);
  expect_error(
      run_mul(mul_model({DataType::kInt16, {2}, q}, {DataType::kInt16, {2}, QuantParams::per_tensor(0.1f, 3)},
                        {DataType::kInt16, {2}, q}),
              {}),
      StatusCode::kUnsupported, "zero points 0");
  expect_error(
      run_mul(mul_model({DataType::kFloat32, {4}}, {DataType::kFloat32, {3}}, {DataType::kFloat32, {4}}), {}),
      StatusCode::kInvalidModel, "do not broadcast");
  expect_error(
      run_mul(mul_model({DataType::kInt8, {2}, q}, {DataType::kInt8, {2}, q}, {DataType::kInt16, {2}, q}),
              {}),
      StatusCode::kInvalidModel, "output has type");
  expect_error(run_mul(mul_model({DataType::kInt8, {2}, q}, {DataType::kInt8, {2}, q},
                                 {DataType::kInt8, {2}, QuantParams::per_tensor(0.0f, 0)}),
                       {}),
               StatusCode::kInvalidModel, "scale");
}

}  // namespace
}  // namespace edgeinfer::testing
