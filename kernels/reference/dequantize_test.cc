#include "kernels/reference/dequantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;

TEST(DequantizeFunction, PerTensorAndPerChannel) {
  EXPECT_EQ(reference::dequantize_element(-128, 0.5f, -128), 0.0f);
  EXPECT_EQ(reference::dequantize_element(127, 0.5f, -128), 127.5f);
  EXPECT_EQ(reference::dequantize_element(-32768, 1.0f / 32768, 0), -1.0f);
  // The product is a float multiplication of scale and (q - zero_point), as in TensorFlow Lite.
  EXPECT_EQ(reference::dequantize_element(3, 0.1f, 0), 0.1f * 3.0f);

  const float scales[] = {1.0f, 0.5f};
  const int64_t zero_points[] = {0, 2};
  reference::DequantizeParams params;
  params.scales = scales;
  params.zero_points = zero_points;
  params.channels = 2;
  params.inner = 3;  // shape [2, 2, 3] quantized along dimension 1
  params.count = 12;
  const int8_t in[] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
  float out[12];
  reference::dequantize(params, in, out);
  EXPECT_EQ(std::vector<float>(out, out + 12),
            (std::vector<float>{1, 2, 3, 1, 1.5f, 2, -1, -2, -3, -3, -3.5f, -4}));
}

std::vector<uint8_t> dequantize_model(const TensorSpec& in, const TensorSpec& out) {
  return single_op_model(BuiltinOp::kDequantize, {in}, out, tflite::BuiltinOptions::DequantizeOptions,
                         nullptr);
}

RunResult run_dequantize(const std::vector<uint8_t>& model, std::vector<uint8_t> input) {
  return run_model(model, {{BuiltinOp::kDequantize, &reference::dequantize()}}, {input});
}

TEST(DequantizeKernel, Int8Uint8Int16) {
  auto result = run_dequantize(dequantize_model({DataType::kInt8, {2, 2}, QuantParams::per_tensor(0.25f, 3)},
                                                {DataType::kFloat32, {2, 2}}),
                               bytes_of<int8_t>({3, 7, -128, 127}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]), (std::vector<float>{0, 1, -32.75f, 31}));
  result = run_dequantize(dequantize_model({DataType::kUInt8, {3}, QuantParams::per_tensor(2.0f, 128)},
                                           {DataType::kFloat32, {3}}),
                          std::vector<uint8_t>{0, 128, 255});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]), (std::vector<float>{-256, 0, 254}));
  result = run_dequantize(dequantize_model({DataType::kInt16, {2}, QuantParams::per_tensor(1.0f / 4096, 0)},
                                           {DataType::kFloat32, {2}}),
                          bytes_of<int16_t>({-32768, 4096}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]), (std::vector<float>{-8, 1}));
}

TEST(DequantizeKernel, Float16WidensExactly) {
  // 1, -2, 1/3 rounded to half (0x3555 = 0.333251953125), the largest half 65504, the smallest subnormal
  // 2^-24, -0, infinity.
  const auto result =
      run_dequantize(dequantize_model({DataType::kFloat16, {7}}, {DataType::kFloat32, {7}}),
                     bytes_of<uint16_t>({0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000, 0x7c00}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  const auto out = values_of<float>(result.outputs[0]);
  EXPECT_EQ(out, (std::vector<float>{1.0f, -2.0f, 0.333251953125f, 65504.0f, 5.9604644775390625e-8f, -0.0f,
                                     INFINITY}));
  EXPECT_TRUE(std::signbit(out[5]));
}

TEST(DequantizeKernel, PerChannelAlongTheLastDimension) {
  const auto model = dequantize_model(
      {DataType::kInt8, {2, 3}, QuantParams::per_channel({1.0f, 0.5f, 0.25f}, {0, 1, -1}, 1)},
      {DataType::kFloat32, {2, 3}});
  const auto result = run_dequantize(model, bytes_of<int8_t>({4, 4, 4, -4, -4, -4}));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]), (std::vector<float>{4, 1.5f, 1.25f, -4, -2.5f, -0.75f}));
}

TEST(DequantizeKernel, RejectsMalformedOps) {
  const QuantParams q = QuantParams::per_tensor(0.5f, 0);
  expect_error(run_dequantize(dequantize_model({DataType::kInt32, {2}, q}, {DataType::kFloat32, {2}}), {}),
               StatusCode::kUnsupported, "input has unsupported type int32");
  expect_error(run_dequantize(dequantize_model({DataType::kInt8, {2}, q}, {DataType::kInt16, {2}}), {}),
               StatusCode::kUnsupported, "output has unsupported type");
  expect_error(run_dequantize(dequantize_model({DataType::kInt8, {2}}, {DataType::kFloat32, {2}}), {}),
               StatusCode::kInvalidModel, "no quantization");
  expect_error(run_dequantize(dequantize_model({DataType::kInt8, {2}, q}, {DataType::kFloat32, {1, 2}}), {}),
               StatusCode::kInvalidModel, "output has shape");
}

}  // namespace
}  // namespace edgeinfer::testing
