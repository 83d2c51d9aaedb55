#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/activation_functions.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;

double sigmoid(double x) {
  return 1.0 / (1.0 + std::exp(-x));
}

TEST(SigmoidTable, IsTFLitesSigmoidInQ16) {
  // Within about one unit of round(65536 sigmoid(i / 24)), increasing: catches a mistyped entry.
  for (int i = 0; i < 256; ++i) {
    EXPECT_NEAR(reference::kSigmoidTableQ16[i], 65536 * sigmoid(i / 24.0), 1.2) << i;
    if (i > 0) EXPECT_GE(reference::kSigmoidTableQ16[i], reference::kSigmoidTableQ16[i - 1]) << i;
  }
}

TEST(LogisticFunction, Int16HandComputed) {
  // Scale 2^-12 is the power-of-two case: multiplier 0 means 3, table index = 3x / 512.
  const std::vector<int16_t> in = {0, 4096, -4096, 32767, -32768};
  std::vector<int16_t> out(in.size());
  reference::logistic_int16(0, 0, in.size(), in.data(), out.data());
  // x = 1: 3 * 4096 = 12288 = 24 * 512 exactly -> table[24] = 47911 (Q16) -> (47911 * 512 + 512) >> 10 =
  // 23956.
  EXPECT_EQ(out[0], 16384);
  EXPECT_EQ(out[1], 23956);
  // x = -1: (2^25 - 47911 * 512 + 511) >> 10 = 8812.
  EXPECT_EQ(out[2], 8812);
  // |x| near 8: index 191, not saturated yet.
  EXPECT_NEAR(out[3], 32768 * sigmoid(32767 / 4096.0), 2);
  EXPECT_NEAR(out[4], 32768 * sigmoid(-8.0), 2);
}

// The int16 table interpolates sigmoid with steps of 1/24 (1/48 for tanh): error below ~3e-5 plus the
// output's Q0.15 rounding; 1e-4 (3.3 LSBs) catches any wrong index, shift or rounding constant.
TEST(LogisticFunction, Int16TracksFloatForManyScales) {
  for (float scale : {1.0f / 4096, 1.0f / 32768, 1.0f / 2048, 0.001f, 0.0003f, 0.00037f, 1.0f / 3000}) {
    int32_t multiplier = 0;
    int32_t shift = 0;
    ASSERT_TRUE(
        reference::sigmoid_int16_params(false, scale, 0, 1.0f / 32768, 0, &multiplier, &shift).is_ok());
    const auto in = sweep_values<int16_t>(65536);
    std::vector<int16_t> out(in.size());
    reference::logistic_int16(multiplier, shift, in.size(), in.data(), out.data());
    double max_error = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      max_error =
          std::max(max_error, std::abs(out[i] / 32768.0 - sigmoid(in[i] * static_cast<double>(scale))));
    }
    EXPECT_LT(max_error, 1e-4) << scale;
  }
}

TEST(LogisticFunction, Int8TracksFloatWithinOneStep) {
  for (float scale : {0.1f, 0.0625f, 0.02f, 0.3f, 1.0f / 16}) {
    for (int32_t zp : {-128, -10, 0, 50}) {
      reference::SigmoidInt8Params p;
      ASSERT_TRUE(reference::sigmoid_int8_params(scale, zp, &p).is_ok());
      const auto in = sweep_values<int8_t>(256);
      std::vector<int8_t> out(256);
      reference::logistic_int8(p, 256, in.data(), out.data());
      for (int i = 0; i < 256; ++i) {
        const double expected = sigmoid(dequantize_value(in[i], scale, zp)) * 256 - 128;
        // Q0.31 result rounded once to 1/256, then clamped at 127.
        EXPECT_NEAR(out[i], std::min(127.0, expected), 0.51) << scale << " " << zp << " " << int(in[i]);
      }
    }
  }
}

TEST(LogisticFunction, FloatUsesTFLiteCutoffs) {
  const std::vector<float> in = {-20.0f, -9.5f, -1.0f, 0.0f, 2.5f, 16.6f, 17.0f};
  std::vector<float> out(in.size());
  reference::logistic_float(in.size(), in.data(), out.data());
  EXPECT_EQ(out[0], std::exp(-20.0f));
  EXPECT_EQ(out[1], std::exp(-9.5f));
  EXPECT_EQ(out[2], 1.0f / (1.0f + std::exp(1.0f)));
  EXPECT_EQ(out[3], 0.5f);
  EXPECT_EQ(out[4], 1.0f / (1.0f + std::exp(-2.5f)));
  EXPECT_EQ(out[5], 1.0f / (1.0f + std::exp(-16.6f)));
  EXPECT_EQ(out[6], 1.0f);
}

TEST(LogisticKernel, AllTypesMatchThePureFunctions) {
  const auto f = lcg_values<float>(120, 9);
  std::vector<float> x(f.size());
  for (size_t i = 0; i < f.size(); ++i) x[i] = f[i] * 12;
  std::vector<float> expected(x.size());
  reference::logistic_float(x.size(), x.data(), expected.data());
  EXPECT_EQ(
      run_single_op<float>(BuiltinOp::kLogistic, reference::logistic(),
                           {DataType::kFloat32, {2, 3, 4, 5}, {}}, {DataType::kFloat32, {2, 3, 4, 5}, {}}, x),
      expected);

  const auto in8 = sweep_values<int8_t>(256);
  reference::SigmoidInt8Params p;
  ASSERT_TRUE(reference::sigmoid_int8_params(0.05f, 7, &p).is_ok());
  std::vector<int8_t> expected8(256);
  reference::logistic_int8(p, 256, in8.data(), expected8.data());
  EXPECT_EQ(
      run_single_op<int8_t>(BuiltinOp::kLogistic, reference::logistic(),
                            {DataType::kInt8, {16, 16}, QuantParams::per_tensor(0.05f, 7)},
                            {DataType::kInt8, {16, 16}, QuantParams::per_tensor(1.0f / 256, -128)}, in8),
      expected8);

  const auto in16 = lcg_values<int16_t>(777, 4);
  for (float scale : {1.0f / 4096, 0.0005f}) {
    int32_t multiplier = 0;
    int32_t shift = 0;
    ASSERT_TRUE(
        reference::sigmoid_int16_params(false, scale, 0, 1.0f / 32768, 0, &multiplier, &shift).is_ok());
    std::vector<int16_t> expected16(in16.size());
    reference::logistic_int16(multiplier, shift, in16.size(), in16.data(), expected16.data());
    EXPECT_EQ(
        run_single_op<int16_t>(BuiltinOp::kLogistic, reference::logistic(),
                               {DataType::kInt16, {7, 111}, QuantParams::per_tensor(scale, 0)},
                               {DataType::kInt16, {7, 111}, QuantParams::per_tensor(1.0f / 32768, 0)}, in16),
        expected16);
  }
}

TEST(LogisticKernel, RejectsUnsupportedQuantization) {
  const std::vector<uint8_t> in(8);
  auto model =
      single_op_model(BuiltinOp::kLogistic, {{DataType::kInt8, {8}, QuantParams::per_tensor(0.1f, 0)}},
                      {DataType::kInt8, {8}, QuantParams::per_tensor(1.0f / 256, 0)});
  expect_error(run_model(model, {{BuiltinOp::kLogistic, &reference::logistic()}}, {in}),
               StatusCode::kUnsupported, "-128");
  model = single_op_model(BuiltinOp::kLogistic, {{DataType::kInt16, {4}, QuantParams::per_tensor(0.001f, 1)}},
                          {DataType::kInt16, {4}, QuantParams::per_tensor(1.0f / 32768, 0)});
  expect_error(run_model(model, {{BuiltinOp::kLogistic, &reference::logistic()}}, {in}),
               StatusCode::kUnsupported, "zero point");
  model = single_op_model(BuiltinOp::kLogistic, {{DataType::kInt16, {4}, QuantParams::per_tensor(0.001f, 0)}},
                          {DataType::kInt16, {4}, QuantParams::per_tensor(1.0f / 16384, 0)});
  expect_error(run_model(model, {{BuiltinOp::kLogistic, &reference::logistic()}}, {in}),
               StatusCode::kUnsupported, "2^-15");
  model = single_op_model(BuiltinOp::kLogistic, {{DataType::kInt16, {4}, QuantParams::per_tensor(3.0f, 0)}},
                          {DataType::kInt16, {4}, QuantParams::per_tensor(1.0f / 32768, 0)});
  expect_error(run_model(model, {{BuiltinOp::kLogistic, &reference::logistic()}}, {in}),
               StatusCode::kUnsupported, "too large");
}

}  // namespace
}  // namespace edgeinfer::testing
