#include "kernels/reference/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;
using reference::RequantizeParams;

TEST(QuantizeFunction, RoundsHalfAwayFromZeroAndSaturates) {
  EXPECT_EQ(reference::quantize_element(1.25f, 0.5f, 0, -128, 127), 3);    // 2.5 -> 3
  EXPECT_EQ(reference::quantize_element(-1.25f, 0.5f, 0, -128, 127), -3);  // -2.5 -> -3
  EXPECT_EQ(reference::quantize_element(-1.2f, 0.5f, 10, -128, 127), 8);
  EXPECT_EQ(reference::quantize_element(100.0f, 0.5f, 0, -128, 127), 127);
  EXPECT_EQ(reference::quantize_element(-1e30f, 0.5f, 0, -128, 127), -128);
  EXPECT_EQ(reference::quantize_element(1e30f, 1e-10f, 5, -32768, 32767), 32767);
  EXPECT_EQ(reference::quantize_element(std::numeric_limits<float>::infinity(), 1.0f, 5, -32768, 32767),
            32767);
  EXPECT_EQ(reference::quantize_element(std::numeric_limits<float>::quiet_NaN(), 1.0f, 5, -128, 127), 5);
}

TEST(QuantizeFunction, ArraysRoundTiesAwayFromZero) {
  // 0.75 / 0.5 = 1.5 -> 2 and -0.75 / 0.5 -> -2 (not to even).
  const float in[] = {0.75f, -0.75f, 0.3f, 1e-3f};
  int8_t out[4];
  reference::quantize_float(0.5f, 0, in, 4, out);
  EXPECT_EQ(std::vector<int8_t>(out, out + 4), (std::vector<int8_t>{2, -2, 1, 0}));
}

TEST(QuantizeFunction, DividesInFloatLikeTflm) {
  // 0.455f / 0.01f is 45.4999993 in double but rounds to the tie 45.5 in float, which TFLM then rounds up.
  EXPECT_EQ(reference::quantize_element(0x1.d1eb84p-2f, 0x1.47ae14p-7f, 0, -128, 127), 46);
}

TEST(RequantizeFunction, HandComputedValues) {
  RequantizeParams p;
  // s_in / s_out = 0.5 / 0.25 = 2.
  ASSERT_TRUE(reference::make_requantize_params({0.5f, 3}, {0.25f, -1}, &p).is_ok());
  EXPECT_EQ(p.multiplier, 1 << 30);
  EXPECT_EQ(p.shift, 2);
  EXPECT_EQ(reference::requantize_element(p, 10, -128, 127), (10 - 3) * 2 - 1);
  EXPECT_EQ(reference::requantize_element(p, 127, -128, 127), 127);
  // s_in / s_out = 1/3 = 0.667 * 2^-1: TensorFlow Lite's double rounding makes 7 / 3 = 2.33 a 3 (the Q31
  // product rounds 4.67 to 5 halves, then 5 / 2 rounds away from zero); -8 / 3 = -2.67 -> -3.
  ASSERT_TRUE(reference::make_requantize_params({1.0f, 0}, {3.0f, 0}, &p).is_ok());
  EXPECT_EQ(p.multiplier, 1431655765);
  EXPECT_EQ(p.shift, -1);
  EXPECT_EQ(reference::requantize_element(p, 7, -128, 127), 3);
  EXPECT_EQ(reference::requantize_element(p, -8, -128, 127), -3);
  EXPECT_FALSE(reference::make_requantize_params({1e30f, 0}, {1e-30f, 0}, &p).is_ok());
}

TEST(RequantizeFunction, Int8ToUint8WithEqualScalesFlipsTheSignBit) {
  // TensorFlow Lite takes a shortcut (x ^ 0x80) for this case; the general arithmetic gives the same bytes.
  RequantizeParams p;
  ASSERT_TRUE(reference::make_requantize_params({0.1f, -5}, {0.1f, 123}, &p).is_ok());
  std::vector<int8_t> in;
  for (int v = -128; v <= 127; ++v) in.push_back(static_cast<int8_t>(v));
  std::vector<uint8_t> out(in.size());
  reference::requantize(p, in.data(), static_cast<int32_t>(in.size()), out.data());
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], static_cast<uint8_t>(in[i]) ^ 0x80) << i;
}

// Requantized values against the real-number computation: one Q31 multiplier, so within 1 of the ideal.
TEST(RequantizeFunction, Int16ToInt8MatchesFloatWithinOne) {
  std::mt19937 rng(21);
  for (int trial = 0; trial < 20; ++trial) {
    std::uniform_real_distribution<float> scale_dist(1e-5f, 1e-3f);
    const float s_in = scale_dist(rng), s_out = s_in * 300 * scale_dist(rng) * 1000;
    const int32_t zo = static_cast<int32_t>(rng() % 256) - 128;
    RequantizeParams p;
    ASSERT_TRUE(reference::make_requantize_params({s_in, 0}, {s_out, zo}, &p).is_ok());
    const auto in = random_ints<int16_t>(rng, 200, -32768, 32767);
    std::vector<int8_t> out(in.size());
    reference::requantize(p, in.data(), 200, out.data());
    for (size_t i = 0; i < in.size(); ++i)
      ASSERT_NEAR(out[i], ideal_quantized(static_cast<double>(s_in) * in[i], s_out, zo, -128, 127), 1);
  }
}

std::vector<uint8_t> quantize_model(const TensorSpec& in, const TensorSpec& out) {
  return single_op_model(BuiltinOp::kQuantize, {in}, out, tflite::BuiltinOptions::QuantizeOptions, nullptr);
}

RunResult run_quantize(const std::vector<uint8_t>& model, std::vector<uint8_t> input) {
  return run_model(model, {{BuiltinOp::kQuantize, &reference::quantize()}}, {input});
}

TEST(QuantizeKernel, FloatToInt8AndInt16) {
  const std::vector<float> in = {-1.0f, -0.26f, 0.0f, 0.25f, 0.5f, 2.0f};
  auto result = run_quantize(quantize_model({DataType::kFloat32, {2, 3}},
                                            {DataType::kInt8, {2, 3}, QuantParams::per_tensor(0.01f, -3)}),
                             bytes_of(in));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  std::vector<int8_t> expected8;
  for (float v : in)
    expected8.push_back(static_cast<int8_t>(reference::quantize_element(v, 0.01f, -3, -128, 127)));
  EXPECT_EQ(values_of<int8_t>(result.outputs[0]), expected8);
  EXPECT_EQ(expected8, (std::vector<int8_t>{-103, -29, -3, 22, 47, 127}));
  result = run_quantize(quantize_model({DataType::kFloat32, {6}},
                                       {DataType::kInt16, {6}, QuantParams::per_tensor(1.0f / 1024, 0)}),
                        bytes_of(in));
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int16_t>(result.outputs[0]), (std::vector<int16_t>{-1024, -266, 0, 256, 512, 2048}));
}

TEST(QuantizeKernel, EveryRequantizationPair) {
  const QuantParams q_in = QuantParams::per_tensor(0.5f, 2);
  const QuantParams q_out = QuantParams::per_tensor(0.25f, -1);
  const QuantParams q16_in = QuantParams::per_tensor(0.5f, 0);
  const QuantParams q16_out = QuantParams::per_tensor(0.25f, 0);
  struct Pair {
    DataType in, out;
  };
  const Pair pairs[] = {{DataType::kInt8, DataType::kInt8},   {DataType::kInt8, DataType::kUInt8},
                        {DataType::kInt8, DataType::kInt16},  {DataType::kInt8, DataType::kInt32},
                        {DataType::kUInt8, DataType::kInt8},  {DataType::kInt16, DataType::kInt8},
                        {DataType::kInt16, DataType::kInt16}, {DataType::kInt16, DataType::kInt32},
                        {DataType::kInt32, DataType::kInt8},  {DataType::kInt32, DataType::kInt16}};
  for (const Pair& pair : pairs) {
    SCOPED_TRACE(std::string(data_type_name(pair.in)) + " -> " + data_type_name(pair.out));
    const bool in16 = pair.in == DataType::kInt16, out16 = pair.out == DataType::kInt16;
    const QuantParams qi = in16 ? q16_in : q_in;
    const QuantParams qo =
        out16 ? q16_out : (pair.out == DataType::kUInt8 ? QuantParams::per_tensor(0.25f, 130) : q_out);
    const int32_t zi = static_cast<int32_t>(qi.zero_points[0]), zo = static_cast<int32_t>(qo.zero_points[0]);
    // Values 0..4 fit every input type; the result is (v - zi) * 2 + zo, clamped.
    const std::vector<int32_t> values = {0, 1, 2, 3, 4};
    std::vector<uint8_t> input;
    for (int32_t v : values) {
      const uint8_t* bytes = reinterpret_cast<const uint8_t*>(&v);
      input.insert(input.end(), bytes, bytes + data_type_size(pair.in));  // little-endian truncation
    }
    const auto result = run_quantize(quantize_model({pair.in, {5}, qi}, {pair.out, {5}, qo}), input);
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    for (size_t i = 0; i < values.size(); ++i) {
      int64_t got = 0;
      switch (pair.out) {
        case DataType::kInt8: got = values_of<int8_t>(result.outputs[0])[i]; break;
        case DataType::kUInt8: got = values_of<uint8_t>(result.outputs[0])[i]; break;
        case DataType::kInt16: got = values_of<int16_t>(result.outputs[0])[i]; break;
        default: got = values_of<int32_t>(result.outputs[0])[i]; break;
      }
      EXPECT_EQ(got, (values[i] - zi) * 2 + zo) << i;
    }
  }
}

TEST(QuantizeKernel, RejectsUnsupportedOrMalformed) {
  const QuantParams q = QuantParams::per_tensor(0.5f, 0);
  expect_error(run_quantize(quantize_model({DataType::kFloat32, {2}}, {DataType::kUInt8, {2}, q}),
                            bytes_of<float>({0, 0})),
               StatusCode::kUnsupported, "QUANTIZE from float32 to uint8");
  expect_error(run_quantize(quantize_model({DataType::kUInt8, {2}, q}, {DataType::kInt16, {2}, q}), {0, 0}),
               StatusCode::kUnsupported, "QUANTIZE from uint8 to int16");
  expect_error(run_quantize(quantize_model({DataType::kFloat32, {2}}, {DataType::kInt8, {2}}),
                            bytes_of<float>({0, 0})),
               StatusCode::kInvalidModel, "output (int8) has no quantization");
  expect_error(run_quantize(quantize_model({DataType::kInt8, {2}}, {DataType::kInt8, {2}, q}), {0, 0}),
               StatusCode::kInvalidModel, "input (int8) has no quantization");
  expect_error(
      run_quantize(quantize_model({DataType::kFloat32, {2}},
                                  {DataType::kInt8, {2}, QuantParams::per_channel({0.1f, 0.2f}, {0, 0}, 0)}),
                   bytes_of<float>({0, 0})),
      StatusCode::kUnsupported, "per-channel");
  expect_error(run_quantize(quantize_model({DataType::kFloat32, {3}}, {DataType::kInt8, {2}, q}),
                            bytes_of<float>({0, 0, 0})),
               StatusCode::kInvalidModel, "input has 3 elements, output 2");
}

// ---- SEANet conformance: int32 -> int16 and int16 -> int32 (goldens from full TensorFlow Lite) -----------

TEST(QuantizeKernel, SeanetConformanceIsExact) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(expect_seanet_cases(shared / "conformance" / "seanet" / "quantize", "quantize",
                                {{BuiltinOp::kQuantize, &reference::quantize()}}),
            2);
}

}  // namespace
}  // namespace edgeinfer::testing
