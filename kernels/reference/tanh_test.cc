#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/activation_functions.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;

TEST(TanhFunction, Int16HandComputed) {
  // Scale 2^-12: multiplier 0 means 3; table index = 3x / 256 (sigmoid(2 * 1) at index 48).
  const std::vector<int16_t> in = {0, 4096, -4096};
  std::vector<int16_t> out(in.size());
  reference::tanh_int16(0, 0, in.size(), in.data(), out.data());
  // (57724 * 256 - 2^23 + 128) >> 8 = 24956 (tanh(1) = 0.76159 = 24956 / 32768).
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 24956);
  // (-57724 * 256 + 2^23 + 127) >> 8 = -24956 (arithmetic shift floors).
  EXPECT_EQ(out[2], -24956);
}

// See LogisticFunction.Int16TracksFloatForManyScales; tanh's derivative is up to 4x sigmoid's and its
// table steps twice as coarse, hence the larger bound (6.5 LSBs).
TEST(TanhFunction, Int16TracksFloatForManyScales) {
  for (float scale : {1.0f / 4096, 1.0f / 8192, 1.0f / 32768, 0.001f, 0.0003f, 1.0f / 3000}) {
    int32_t multiplier = 0;
    int32_t shift = 0;
    ASSERT_TRUE(
        reference::sigmoid_int16_params(true, scale, 0, 1.0f / 32768, 0, &multiplier, &shift).is_ok());
    const auto in = sweep_values<int16_t>(65536);
    std::vector<int16_t> out(in.size());
    reference::tanh_int16(multiplier, shift, in.size(), in.data(), out.data());
    double max_error = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      max_error =
          std::max(max_error, std::abs(out[i] / 32768.0 - std::tanh(in[i] * static_cast<double>(scale))));
    }
    EXPECT_LT(max_error, 2e-4) << scale;
  }
}

TEST(TanhFunction, Int16InPlaceAsTheLstmUsesIt) {
  std::vector<int16_t> data = {100, -2000, 30000};
  std::vector<int16_t> expected(data.size());
  reference::tanh_int16(3, 2, data.size(), data.data(), expected.data());
  reference::tanh_int16(3, 2, data.size(), data.data(), data.data());
  EXPECT_EQ(data, expected);
}

TEST(TanhFunction, Int8TracksFloatWithinOneStep) {
  for (float scale : {0.1f, 0.0625f, 0.02f, 0.3f}) {
    for (int32_t zp : {-128, -3, 0, 90}) {
      reference::SigmoidInt8Params p;
      ASSERT_TRUE(reference::sigmoid_int8_params(scale, zp, &p).is_ok());
      const auto in = sweep_values<int8_t>(256);
      std::vector<int8_t> out(256);
      reference::tanh_int8(p, 256, in.data(), out.data());
      for (int i = 0; i < 256; ++i) {
        const double expected = std::tanh(dequantize_value(in[i], scale, zp)) * 128;
        EXPECT_NEAR(out[i], std::min(127.0, expected), 0.51) << scale << " " << zp << " " << int(in[i]);
      }
    }
  }
}

TEST(TanhKernel, AllTypesMatchThePureFunctions) {
  const auto f = lcg_values<float>(90, 5);
  std::vector<float> x(f.size());
  std::vector<float> expected(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    x[i] = f[i] * 6;
    expected[i] = std::tanh(x[i]);
  }
  EXPECT_EQ(run_single_op<float>(BuiltinOp::kTanh, reference::tanh(), {DataType::kFloat32, {90}, {}},
                                 {DataType::kFloat32, {90}, {}}, x),
            expected);

  const auto in8 = sweep_values<int8_t>(256);
  reference::SigmoidInt8Params p;
  ASSERT_TRUE(reference::sigmoid_int8_params(0.03f, -4, &p).is_ok());
  std::vector<int8_t> expected8(256);
  reference::tanh_int8(p, 256, in8.data(), expected8.data());
  EXPECT_EQ(run_single_op<int8_t>(BuiltinOp::kTanh, reference::tanh(),
                                  {DataType::kInt8, {4, 64}, QuantParams::per_tensor(0.03f, -4)},
                                  {DataType::kInt8, {4, 64}, QuantParams::per_tensor(1.0f / 128, 0)}, in8),
            expected8);

  const auto in16 = lcg_values<int16_t>(300, 8);
  for (float scale : {1.0f / 4096, 1.0f / 8192, 0.0007f}) {
    int32_t multiplier = 0;
    int32_t shift = 0;
    ASSERT_TRUE(
        reference::sigmoid_int16_params(true, scale, 0, 1.0f / 32768, 0, &multiplier, &shift).is_ok());
    std::vector<int16_t> expected16(in16.size());
    reference::tanh_int16(multiplier, shift, in16.size(), in16.data(), expected16.data());
    EXPECT_EQ(
        run_single_op<int16_t>(BuiltinOp::kTanh, reference::tanh(),
                               {DataType::kInt16, {3, 100}, QuantParams::per_tensor(scale, 0)},
                               {DataType::kInt16, {3, 100}, QuantParams::per_tensor(1.0f / 32768, 0)}, in16),
        expected16);
  }
}

TEST(TanhKernel, RejectsUnsupportedQuantization) {
  const std::vector<uint8_t> in(8);
  auto model = single_op_model(BuiltinOp::kTanh, {{DataType::kInt8, {8}, QuantParams::per_tensor(0.1f, 0)}},
                               {DataType::kInt8, {8}, QuantParams::per_tensor(1.0f / 128, 5)});
  expect_error(run_model(model, {{BuiltinOp::kTanh, &reference::tanh()}}, {in}), StatusCode::kUnsupported,
               "zero point");
  model = single_op_model(BuiltinOp::kTanh, {{DataType::kInt16, {4}, QuantParams::per_tensor(0.001f, 0)}},
                          {DataType::kInt16, {4}, QuantParams::per_tensor(0.001f, 0)});
  expect_error(run_model(model, {{BuiltinOp::kTanh, &reference::tanh()}}, {in}), StatusCode::kUnsupported,
               "2^-15");
  model = single_op_model(BuiltinOp::kTanh, {{DataType::kInt16, {4}, {}}}, {DataType::kInt16, {4}, {}});
  expect_error(run_model(model, {{BuiltinOp::kTanh, &reference::tanh()}}, {in}), StatusCode::kInvalidModel,
               "quantization");
}

}  // namespace
}  // namespace edgeinfer::testing
