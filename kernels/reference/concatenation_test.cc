#include "kernels/reference/concatenation.h"

#include <gtest/gtest.h>

#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;
using compiler::QuantParams;

TEST(ConcatenateInto, PlacesEachInputAlongTheAxis) {
  const Shape a = make_shape({2, 1}), b = make_shape({2, 2}), out = make_shape({2, 3});
  const std::vector<int16_t> av = {1, 2}, bv = {3, 4, 5, 6};
  std::vector<int16_t> result(6, 0);
  reference::concatenate_into(a, av.data(), 1, 0, out, 2, result.data());
  reference::concatenate_into(b, bv.data(), 1, 1, out, 2, result.data());
  EXPECT_EQ(result, (std::vector<int16_t>{1, 3, 4, 2, 5, 6}));
}

struct ConcatModel {
  DataType type;
  std::vector<std::vector<int32_t>> in_shapes;
  std::vector<int32_t> out_shape;
  int axis;
  tflite::ActivationFunctionType activation = tflite::ActivationFunctionType::NONE;
  std::vector<QuantParams> in_quant;
  QuantParams out_quant;

  std::vector<uint8_t> build() const {
    ModelBuilder b;
    std::vector<int> inputs;
    for (size_t i = 0; i < in_shapes.size(); ++i)
      inputs.push_back(b.add_tensor(type, in_shapes[i], i < in_quant.size() ? in_quant[i] : QuantParams()));
    const int out = b.add_tensor(type, out_shape, out_quant);
    const int a = axis;
    const auto act = activation;
    b.add_op(BuiltinOp::kConcatenation, inputs, {out}, tflite::BuiltinOptions::ConcatenationOptions,
             [a, act](flatbuffers::FlatBufferBuilder& fbb) {
               return tflite::CreateConcatenationOptions(fbb, a, act).Union();
             });
    b.set_inputs(inputs);
    b.set_outputs({out});
    return b.finish();
  }
};

const KernelList kKernels = {{BuiltinOp::kConcatenation, &reference::concatenation()}};

TEST(Concatenation, FloatLastAxis) {
  ConcatModel m{DataType::kFloat32, {{2, 1}, {2, 2}}, {2, 3}, -1};
  auto r = run_model(m.build(), kKernels, {bytes_of<float>({1, 2}), bytes_of<float>({3, 4, 5, 6})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{1, 3, 4, 2, 5, 6}));
}

TEST(Concatenation, Int8FirstAxisThreeInputs) {
  ConcatModel m{DataType::kInt8, {{1, 2}, {2, 2}, {1, 2}}, {4, 2}, 0};
  auto r = run_model(m.build(), kKernels,
                     {bytes_of<int8_t>({1, 2}), bytes_of<int8_t>({3, 4, 5, 6}), bytes_of<int8_t>({-7, -8})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{1, 2, 3, 4, 5, 6, -7, -8}));
}

// TFLM copies int8 inputs unchanged even when their quantization differs from the output's.
TEST(Concatenation, Int8DifferentQuantizationIsCopiedUnchanged) {
  ConcatModel m{DataType::kInt8, {{1}, {1}}, {2}, 0};
  m.in_quant = {QuantParams::per_tensor(0.5f, 1), QuantParams::per_tensor(0.25f, -3)};
  m.out_quant = QuantParams::per_tensor(1.0f, 0);
  auto r = run_model(m.build(), kKernels, {bytes_of<int8_t>({10}), bytes_of<int8_t>({-20})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{10, -20}));
}

TEST(Concatenation, Int16MiddleAxisFourDimensions) {
  ConcatModel m{DataType::kInt16, {{1, 2, 1, 2}, {1, 2, 2, 2}}, {1, 2, 3, 2}, 2};
  auto r = run_model(m.build(), kKernels,
                     {bytes_of<int16_t>({1, 2, 3, 4}), bytes_of<int16_t>({10, 11, 12, 13, 14, 15, 16, 17})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int16_t>(r.outputs[0]),
            (std::vector<int16_t>{1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17}));
}

TEST(Concatenation, Int32AndInt64SixDimensions) {
  ConcatModel m{DataType::kInt32, {{1, 1, 1, 1, 2, 1}, {1, 1, 1, 1, 2, 1}}, {1, 1, 1, 1, 2, 2}, 5};
  auto r = run_model(m.build(), kKernels, {bytes_of<int32_t>({1, 2}), bytes_of<int32_t>({3, 4})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int32_t>(r.outputs[0]), (std::vector<int32_t>{1, 3, 2, 4}));
  ConcatModel m64{DataType::kInt64, {{1}, {2}}, {3}, 0};
  auto r64 =
      run_model(m64.build(), kKernels, {bytes_of<int64_t>({-1}), bytes_of<int64_t>({int64_t{1} << 40, 5})});
  ASSERT_TRUE(r64.status.is_ok()) << r64.status.message();
  EXPECT_EQ(values_of<int64_t>(r64.outputs[0]), (std::vector<int64_t>{-1, int64_t{1} << 40, 5}));
}

TEST(Concatenation, BoolLastAxis) {
  ConcatModel m{DataType::kBool, {{2, 1}, {2, 2}}, {2, 3}, 1};
  auto r = run_model(m.build(), kKernels, {bytes_of<uint8_t>({1, 0}), bytes_of<uint8_t>({0, 0, 1, 1})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<uint8_t>(r.outputs[0]), (std::vector<uint8_t>{1, 0, 0, 0, 1, 1}));
}

// The audio preprocessor's concatenation: int32 spectrum [236] between zero pads [16] and [5] (constants).
TEST(Concatenation, Int32WithConstantPadsLikeTheAudioFrontEnd) {
  ModelBuilder b;
  const int front = b.add_constant<int32_t>(DataType::kInt32, {2}, {0, 0});
  const int x = b.add_tensor(DataType::kInt32, {3});
  const int back = b.add_constant<int32_t>(DataType::kInt32, {1}, {-1});
  const int out = b.add_tensor(DataType::kInt32, {6});
  b.add_op(BuiltinOp::kConcatenation, {front, x, back}, {out}, tflite::BuiltinOptions::ConcatenationOptions,
           nullptr);
  b.set_inputs({x});
  b.set_outputs({out});
  auto r = run_model(b.finish(), kKernels, {bytes_of<int32_t>({7, 1 << 30, -8})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int32_t>(r.outputs[0]), (std::vector<int32_t>{0, 0, 7, 1 << 30, -8, -1}));
}

TEST(Concatenation, SingleInputAndEmptyInput) {
  ConcatModel single{DataType::kFloat32, {{3}}, {3}, 0};
  auto r = run_model(single.build(), kKernels, {bytes_of<float>({1, 2, 3})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{1, 2, 3}));
  ConcatModel with_empty{DataType::kFloat32, {{2, 0}, {2, 1}}, {2, 1}, 1};
  auto e = run_model(with_empty.build(), kKernels, {{}, bytes_of<float>({4, 5})});
  ASSERT_TRUE(e.status.is_ok()) << e.status.message();
  EXPECT_EQ(values_of<float>(e.outputs[0]), (std::vector<float>{4, 5}));
}

TEST(ConcatenationErrors, ShapesAxisActivationType) {
  const std::vector<std::vector<uint8_t>> two = {bytes_of<float>({1, 2}), bytes_of<float>({3, 4})};
  expect_error(run_model(ConcatModel{DataType::kFloat32, {{2}, {2}}, {3}, 0}.build(), kKernels, two),
               StatusCode::kInvalidModel, "add up to 4");
  expect_error(run_model(ConcatModel{DataType::kFloat32, {{1, 2}, {2, 1}}, {2, 2}, 0}.build(), kKernels, two),
               StatusCode::kInvalidModel, "input 1");
  expect_error(run_model(ConcatModel{DataType::kFloat32, {{2}, {2}}, {4}, 1}.build(), kKernels, two),
               StatusCode::kInvalidModel, "axis 1");
  ConcatModel relu{DataType::kFloat32, {{2}, {2}}, {4}, 0};
  relu.activation = tflite::ActivationFunctionType::RELU;
  expect_error(run_model(relu.build(), kKernels, two), StatusCode::kUnsupported, "activation");
  expect_error(run_model(ConcatModel{DataType::kUInt8, {{2}, {2}}, {4}, 0}.build(), kKernels,
                         {bytes_of<uint8_t>({1, 2}), bytes_of<uint8_t>({3, 4})}),
               StatusCode::kUnsupported, "uint8");
  ModelBuilder b;
  const int x = b.add_tensor(DataType::kFloat32, {2});
  const int y = b.add_tensor(DataType::kInt32, {2});
  const int out = b.add_tensor(DataType::kFloat32, {4});
  b.add_op(BuiltinOp::kConcatenation, {x, y}, {out}, tflite::BuiltinOptions::ConcatenationOptions, nullptr);
  b.set_inputs({x, y});
  b.set_outputs({out});
  expect_error(run_model(b.finish(), kKernels, {bytes_of<float>({1, 2}), bytes_of<int32_t>({3, 4})}),
               StatusCode::kInvalidModel, "int32");
}

}  // namespace
}  // namespace edgeinfer::testing
