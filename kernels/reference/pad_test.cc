#include "kernels/reference/pad.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;

reference::PadParams params_of(std::vector<int64_t> paddings, int rank) {
  reference::PadParams params;
  EXPECT_TRUE(
      reference::make_pad_params(paddings.data(), static_cast<int>(paddings.size()), rank, &params).is_ok());
  return params;
}

TEST(PadFunction, PadsTwoDimensionsWithValue) {
  const Shape input_shape = make_shape({2, 2});
  const std::vector<float> input = {1, 2, 3, 4};
  const auto params = params_of({1, 0, 0, 2}, 2);
  Shape output_shape;
  ASSERT_TRUE(reference::pad_output_shape(input_shape, params, &output_shape).is_ok());
  EXPECT_EQ(output_shape, make_shape({3, 4}));
  std::vector<float> output(12, -1.0f);
  const float value = 9.5f;
  reference::pad_data(params, input_shape, input.data(), sizeof(float), &value, output.data());
  EXPECT_EQ(output, (std::vector<float>{9.5f, 9.5f, 9.5f, 9.5f, 1, 2, 9.5f, 9.5f, 3, 4, 9.5f, 9.5f}));
}

TEST(PadFunction, ZeroPaddingIsACopy) {
  const Shape shape = make_shape({2, 1, 3});
  const std::vector<int16_t> input = {1, -2, 3, -4, 5, -6};
  std::vector<int16_t> output(6, 0);
  const int16_t value = 77;
  reference::pad_data(params_of({0, 0, 0, 0, 0, 0}, 3), shape, input.data(), 2, &value, output.data());
  EXPECT_EQ(output, input);
}

TEST(PadFunction, SixDimensions) {
  const Shape shape = make_shape({1, 1, 1, 1, 1, 2});
  const std::vector<int8_t> input = {5, 6};
  const auto params = params_of({0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1}, 6);
  Shape output_shape;
  ASSERT_TRUE(reference::pad_output_shape(shape, params, &output_shape).is_ok());
  EXPECT_EQ(output_shape, make_shape({1, 2, 1, 2, 1, 4}));
  std::vector<int8_t> output(16, 1);
  const int8_t value = 0;
  reference::pad_data(params, shape, input.data(), 1, &value, output.data());
  // Only [0][0][0][1][0][1..2] holds data.
  std::vector<int8_t> expected(16, 0);
  expected[4 + 1] = 5;
  expected[4 + 2] = 6;
  EXPECT_EQ(output, expected);
}

TEST(PadFunction, RejectsBadPaddings) {
  reference::PadParams params;
  const int64_t negative[] = {0, 0, -1, 2};
  EXPECT_EQ(reference::make_pad_params(negative, 4, 2, &params).code(), StatusCode::kInvalidModel);
  const int64_t short_list[] = {0, 0, 1};
  EXPECT_EQ(reference::make_pad_params(short_list, 3, 2, &params).code(), StatusCode::kInvalidModel);
  const int64_t huge[] = {0, int64_t{1} << 33};
  EXPECT_EQ(reference::make_pad_params(huge, 2, 1, &params).code(), StatusCode::kInvalidModel);
  const int64_t big[] = {0x7fffffff, 0x7fffffff};
  ASSERT_TRUE(reference::make_pad_params(big, 2, 1, &params).is_ok());
  Shape output;
  EXPECT_EQ(reference::pad_output_shape(make_shape({3}), params, &output).code(), StatusCode::kInvalidModel);
}

// One PAD / PADV2 op: input `in_shape` of `type`, paddings [rank, 2], optional constant value.
struct PadModel {
  DataType type;
  std::vector<int32_t> in_shape;
  std::vector<int32_t> paddings;
  std::vector<int32_t> out_shape;
  QuantParams quant;
  std::vector<uint8_t> value;  // PADV2's constant_values bytes (empty: PAD)
  QuantParams value_quant;
  bool constant_paddings = true;
  int value_count = 1;

  std::vector<uint8_t> build() const {
    ModelBuilder b;
    const int in = b.add_tensor(type, in_shape, quant);
    const int rank = static_cast<int>(in_shape.size());
    const int pads = constant_paddings ? b.add_constant<int32_t>(DataType::kInt32, {rank, 2}, paddings)
                                       : b.add_tensor(DataType::kInt32, {rank, 2});
    const int out = b.add_tensor(type, out_shape, quant);
    std::vector<int> inputs = {in, pads};
    if (!value.empty()) {
      inputs.push_back(b.add_constant(type, {value_count}, value.data(), value.size(), value_quant));
      b.add_op(BuiltinOp::kPadV2, inputs, {out}, tflite::BuiltinOptions::PadV2Options, nullptr);
    } else {
      b.add_op(BuiltinOp::kPad, inputs, {out}, tflite::BuiltinOptions::PadOptions, nullptr);
    }
    std::vector<int> model_inputs = {in};
    if (!constant_paddings) model_inputs.push_back(pads);
    b.set_inputs(model_inputs);
    b.set_outputs({out});
    return b.finish();
  }
};

RunResult run_pad(const PadModel& m, const std::vector<uint8_t>& input) {
  return run_model(
      m.build(), {{BuiltinOp::kPad, &reference::pad()}, {BuiltinOp::kPadV2, &reference::pad_v2()}}, {input});
}

TEST(Pad, FloatPadsWithZero) {
  PadModel m{DataType::kFloat32, {2, 3}, {1, 0, 0, 2}, {3, 5}};
  auto r = run_pad(m, bytes_of<float>({1, 2, 3, 4, 5, 6}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]),
            (std::vector<float>{0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0}));
}

TEST(Pad, FloatNegativeZeroInputKeepsItsBits) {
  PadModel m{DataType::kFloat32, {1}, {1, 1}, {3}};
  auto r = run_pad(m, bytes_of<float>({-0.0f}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(r.outputs[0], bytes_of<float>({0.0f, -0.0f, 0.0f}));
}

TEST(Pad, Int8PadsWithZeroPoint) {
  PadModel m{DataType::kInt8,
             {1, 2, 2, 1},
             {0, 0, 1, 1, 1, 0, 0, 0},
             {1, 4, 3, 1},
             QuantParams::per_tensor(0.5f, -5)};
  auto r = run_pad(m, bytes_of<int8_t>({10, 20, 30, 40}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]),
            (std::vector<int8_t>{-5, -5, -5, -5, 10, 20, -5, 30, 40, -5, -5, -5}));
}

TEST(Pad, Int16PadsWithZero) {
  PadModel m{DataType::kInt16, {2, 1}, {0, 1, 1, 1}, {3, 3}, QuantParams::per_tensor(0.25f, 0)};
  auto r = run_pad(m, bytes_of<int16_t>({-300, 300}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int16_t>(r.outputs[0]), (std::vector<int16_t>{0, -300, 0, 0, 300, 0, 0, 0, 0}));
}

TEST(Pad, Int32FiveDimensions) {
  PadModel m{DataType::kInt32, {1, 1, 2, 1, 1}, {0, 1, 0, 0, 0, 0, 0, 0, 1, 0}, {2, 1, 2, 1, 2}};
  auto r = run_pad(m, bytes_of<int32_t>({7, -8}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int32_t>(r.outputs[0]), (std::vector<int32_t>{0, 7, 0, -8, 0, 0, 0, 0}));
}

TEST(PadV2, FloatConstantValue) {
  PadModel m{DataType::kFloat32, {2}, {2, 1}, {5}};
  m.value = bytes_of<float>({-1.5f});
  auto r = run_pad(m, bytes_of<float>({3, 4}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{-1.5f, -1.5f, 3, 4, -1.5f}));
}

TEST(PadV2, Int8ConstantValueWithMatchingQuantization) {
  PadModel m{DataType::kInt8, {1, 2}, {1, 0, 0, 1}, {2, 3}, QuantParams::per_tensor(0.1f, 3)};
  m.value = bytes_of<int8_t>({-128});
  m.value_quant = QuantParams::per_tensor(0.1f, 3);
  auto r = run_pad(m, bytes_of<int8_t>({1, 2}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{-128, -128, -128, 1, 2, -128}));
}

TEST(PadV2, Int16ConstantValue) {
  PadModel m{DataType::kInt16, {1, 1}, {1, 1, 0, 0}, {3, 1}};
  m.value = bytes_of<int16_t>({-32768});
  auto r = run_pad(m, bytes_of<int16_t>({32767}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int16_t>(r.outputs[0]), (std::vector<int16_t>{-32768, 32767, -32768}));
}

TEST(PadV2, Int32ConstantValue) {
  PadModel m{DataType::kInt32, {2, 2}, {0, 0, 1, 1}, {2, 4}};
  m.value = bytes_of<int32_t>({123456789});
  auto r = run_pad(m, bytes_of<int32_t>({1, 2, 3, 4}));
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int32_t>(r.outputs[0]),
            (std::vector<int32_t>{123456789, 1, 2, 123456789, 123456789, 3, 4, 123456789}));
}

TEST(PadErrors, OutputShapeMismatch) {
  PadModel m{DataType::kFloat32, {2, 3}, {1, 0, 0, 2}, {3, 4}};
  expect_error(run_pad(m, bytes_of<float>({1, 2, 3, 4, 5, 6})), StatusCode::kInvalidModel, "expected [3,5]");
}

TEST(PadErrors, NegativePadding) {
  PadModel m{DataType::kFloat32, {3}, {-1, 0}, {2}};
  expect_error(run_pad(m, bytes_of<float>({1, 2, 3})), StatusCode::kInvalidModel, "must be >= 0");
}

TEST(PadErrors, NonConstantPaddings) {
  PadModel m{DataType::kFloat32, {3}, {0, 0}, {3}};
  m.constant_paddings = false;
  auto bytes = m.build();
  auto r = run_model(bytes, {{BuiltinOp::kPad, &reference::pad()}},
                     {bytes_of<float>({1, 2, 3}), bytes_of<int32_t>({0, 0})});
  expect_error(r, StatusCode::kUnsupported, "constant");
}

TEST(PadErrors, UnsupportedType) {
  PadModel m{DataType::kUInt8, {3}, {0, 0}, {3}};
  expect_error(run_pad(m, bytes_of<uint8_t>({1, 2, 3})), StatusCode::kUnsupported, "uint8");
}

TEST(PadErrors, Int8ConstantValueWithOtherQuantization) {
  PadModel m{DataType::kInt8, {2}, {1, 0}, {3}, QuantParams::per_tensor(0.1f, 3)};
  m.value = bytes_of<int8_t>({0});
  m.value_quant = QuantParams::per_tensor(0.2f, 3);
  expect_error(run_pad(m, bytes_of<int8_t>({1, 2})), StatusCode::kInvalidModel, "quantization");
}

TEST(PadErrors, ConstantValueNotScalar) {
  PadModel m{DataType::kFloat32, {2}, {1, 0}, {3}};
  m.value = bytes_of<float>({1, 2});
  m.value_count = 2;
  expect_error(run_pad(m, bytes_of<float>({1, 2})), StatusCode::kInvalidModel, "expected 1");
}

TEST(PadErrors, OutputTypeDiffers) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {2});
  const int pads = b.add_constant<int32_t>(DataType::kInt32, {1, 2}, {0, 0});
  const int out = b.add_tensor(DataType::kInt32, {2});
  b.add_op(BuiltinOp::kPad, {in, pads}, {out}, tflite::BuiltinOptions::PadOptions, nullptr);
  b.set_inputs({in});
  b.set_outputs({out});
  expect_error(run_model(b.finish(), {{BuiltinOp::kPad, &reference::pad()}}, {bytes_of<float>({1, 2})}),
               StatusCode::kInvalidModel, "type");
}

TEST(PadErrors, PaddingsOfWrongShape) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {2, 2});
  const int pads = b.add_constant<int32_t>(DataType::kInt32, {4}, {0, 0, 0, 0});
  const int out = b.add_tensor(DataType::kFloat32, {2, 2});
  b.add_op(BuiltinOp::kPad, {in, pads}, {out}, tflite::BuiltinOptions::PadOptions, nullptr);
  b.set_inputs({in});
  b.set_outputs({out});
  expect_error(run_model(b.finish(), {{BuiltinOp::kPad, &reference::pad()}}, {bytes_of<float>({1, 2, 3, 4})}),
               StatusCode::kInvalidModel, "[rank, 2]");
}

TEST(PadErrors, WrongInputCount) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, {2});
  const int out = b.add_tensor(DataType::kFloat32, {2});
  b.add_op(BuiltinOp::kPad, {in}, {out}, tflite::BuiltinOptions::PadOptions, nullptr);
  b.set_inputs({in});
  b.set_outputs({out});
  expect_error(run_model(b.finish(), {{BuiltinOp::kPad, &reference::pad()}}, {bytes_of<float>({1, 2})}),
               StatusCode::kInvalidModel, "inputs");
}

// The int16 PAD cases of TFLM's SEANet conformance suite must match their goldens exactly.
TEST(PadConformance, SeanetInt16) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(expect_seanet_cases(shared / "conformance" / "seanet" / "pad", "pad",
                                {{BuiltinOp::kPad, &reference::pad()}}),
            19);
}

}  // namespace
}  // namespace edgeinfer::testing
