#include "kernels/reference/reshape.h"

#include <gtest/gtest.h>

#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;

const KernelList kKernels = {{BuiltinOp::kReshape, &reference::reshape()},
                             {BuiltinOp::kSqueeze, &reference::squeeze()},
                             {BuiltinOp::kExpandDims, &reference::expand_dims()}};

TEST(SqueezeShape, AllOnesOrListed) {
  Shape out;
  ASSERT_TRUE(reference::squeeze_output_shape(make_shape({1, 3, 1, 2}), nullptr, 0, &out).is_ok());
  EXPECT_EQ(out, make_shape({3, 2}));
  const int32_t last_one[] = {-2};
  ASSERT_TRUE(reference::squeeze_output_shape(make_shape({1, 3, 1, 2}), last_one, 1, &out).is_ok());
  EXPECT_EQ(out, make_shape({1, 3, 2}));
  ASSERT_TRUE(reference::squeeze_output_shape(make_shape({1, 1}), nullptr, 0, &out).is_ok());
  EXPECT_EQ(out, Shape());
  const int32_t not_one[] = {1};
  EXPECT_EQ(reference::squeeze_output_shape(make_shape({1, 3}), not_one, 1, &out).code(),
            StatusCode::kInvalidModel);
  const int32_t outside[] = {2};
  EXPECT_EQ(reference::squeeze_output_shape(make_shape({1, 3}), outside, 1, &out).code(),
            StatusCode::kInvalidModel);
}

TEST(ExpandDimsShape, EveryPosition) {
  Shape out;
  ASSERT_TRUE(reference::expand_dims_output_shape(make_shape({2, 3}), 0, &out).is_ok());
  EXPECT_EQ(out, make_shape({1, 2, 3}));
  ASSERT_TRUE(reference::expand_dims_output_shape(make_shape({2, 3}), 2, &out).is_ok());
  EXPECT_EQ(out, make_shape({2, 3, 1}));
  ASSERT_TRUE(reference::expand_dims_output_shape(make_shape({2, 3}), -1, &out).is_ok());
  EXPECT_EQ(out, make_shape({2, 3, 1}));
  ASSERT_TRUE(reference::expand_dims_output_shape(make_shape({2, 3}), -3, &out).is_ok());
  EXPECT_EQ(out, make_shape({1, 2, 3}));
  ASSERT_TRUE(reference::expand_dims_output_shape(Shape(), 0, &out).is_ok());
  EXPECT_EQ(out, make_shape({1}));
  EXPECT_EQ(reference::expand_dims_output_shape(make_shape({2, 3}), 3, &out).code(),
            StatusCode::kInvalidModel);
  EXPECT_EQ(reference::expand_dims_output_shape(make_shape({2, 3}), -4, &out).code(),
            StatusCode::kInvalidModel);
  EXPECT_EQ(reference::expand_dims_output_shape(make_shape({1, 1, 1, 1, 1, 1}), 0, &out).code(),
            StatusCode::kUnsupported);
}

std::vector<uint8_t> reshape_model(DataType type, std::vector<int32_t> in_shape,
                                   std::vector<int32_t> out_shape, bool with_shape_input) {
  ModelBuilder b;
  const int in = b.add_tensor(type, in_shape);
  const int out = b.add_tensor(type, out_shape);
  std::vector<int> inputs = {in};
  if (with_shape_input)
    inputs.push_back(
        b.add_constant<int32_t>(DataType::kInt32, {static_cast<int32_t>(out_shape.size())}, out_shape));
  b.add_op(BuiltinOp::kReshape, inputs, {out}, tflite::BuiltinOptions::ReshapeOptions, nullptr);
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

TEST(Reshape, CopiesBytes) {
  for (bool with_shape_input : {false, true}) {
    auto r = run_model(reshape_model(DataType::kFloat32, {2, 3}, {3, 1, 2}, with_shape_input), kKernels,
                       {bytes_of<float>({1, -2, 3.5f, -0.0f, 5, 6})});
    ASSERT_TRUE(r.status.is_ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0], bytes_of<float>({1, -2, 3.5f, -0.0f, 5, 6}));
  }
  auto r = run_model(reshape_model(DataType::kInt8, {4}, {2, 2}, true), kKernels,
                     {bytes_of<int8_t>({-1, 2, -3, 4})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{-1, 2, -3, 4}));
}

TEST(Reshape, ScalarToVector) {
  auto r = run_model(reshape_model(DataType::kInt32, {}, {1}, false), kKernels, {bytes_of<int32_t>({42})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int32_t>(r.outputs[0]), (std::vector<int32_t>{42}));
}

TEST(ReshapeErrors, ElementCountDiffers) {
  expect_error(run_model(reshape_model(DataType::kFloat32, {2, 3}, {5}, false), kKernels,
                         {bytes_of<float>({1, 2, 3, 4, 5, 6})}),
               StatusCode::kInvalidModel, "5 elements, input has 6");
}

TEST(ReshapeErrors, TypeDiffers) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt8, {4});
  const int out = b.add_tensor(DataType::kUInt8, {4});
  b.add_op(BuiltinOp::kReshape, {in}, {out}, tflite::BuiltinOptions::ReshapeOptions, nullptr);
  b.set_inputs({in});
  b.set_outputs({out});
  expect_error(run_model(b.finish(), kKernels, {bytes_of<int8_t>({1, 2, 3, 4})}), StatusCode::kInvalidModel,
               "type");
}

std::vector<uint8_t> squeeze_model(std::vector<int32_t> in_shape, std::vector<int32_t> out_shape,
                                   std::vector<int32_t> dims) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kInt16, in_shape);
  const int out = b.add_tensor(DataType::kInt16, out_shape);
  b.add_op(BuiltinOp::kSqueeze, {in}, {out}, tflite::BuiltinOptions::SqueezeOptions,
           [dims](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateSqueezeOptions(fbb, dims.empty() ? 0 : fbb.CreateVector(dims)).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

TEST(Squeeze, ListedAndAllDimensions) {
  auto all = run_model(squeeze_model({1, 2, 1, 2}, {2, 2}, {}), kKernels, {bytes_of<int16_t>({1, 2, 3, 4})});
  ASSERT_TRUE(all.status.is_ok()) << all.status.message();
  EXPECT_EQ(values_of<int16_t>(all.outputs[0]), (std::vector<int16_t>{1, 2, 3, 4}));
  auto listed =
      run_model(squeeze_model({1, 2, 1, 2}, {1, 2, 2}, {2}), kKernels, {bytes_of<int16_t>({5, 6, 7, 8})});
  ASSERT_TRUE(listed.status.is_ok()) << listed.status.message();
  EXPECT_EQ(values_of<int16_t>(listed.outputs[0]), (std::vector<int16_t>{5, 6, 7, 8}));
}

TEST(SqueezeErrors, WrongOutputShapeOrDimension) {
  expect_error(
      run_model(squeeze_model({1, 2, 1, 2}, {2, 1, 2}, {}), kKernels, {bytes_of<int16_t>({1, 2, 3, 4})}),
      StatusCode::kInvalidModel, "expected [2,2]");
  expect_error(
      run_model(squeeze_model({1, 2, 1, 2}, {1, 2, 2}, {1}), kKernels, {bytes_of<int16_t>({1, 2, 3, 4})}),
      StatusCode::kInvalidModel, "size 2, expected 1");
}

std::vector<uint8_t> expand_dims_model(std::vector<int32_t> in_shape, std::vector<int32_t> out_shape,
                                       DataType axis_type, int64_t axis) {
  ModelBuilder b;
  const int in = b.add_tensor(DataType::kFloat32, in_shape);
  const int a = axis_type == DataType::kInt64
                    ? b.add_constant<int64_t>(DataType::kInt64, {1}, {axis})
                    : b.add_constant<int32_t>(DataType::kInt32, {1}, {static_cast<int32_t>(axis)});
  const int out = b.add_tensor(DataType::kFloat32, out_shape);
  b.add_op(BuiltinOp::kExpandDims, {in, a}, {out}, tflite::BuiltinOptions::ExpandDimsOptions, nullptr);
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

TEST(ExpandDims, Int32AndInt64Axis) {
  auto r = run_model(expand_dims_model({2, 2}, {2, 1, 2}, DataType::kInt32, 1), kKernels,
                     {bytes_of<float>({1, 2, 3, 4})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{1, 2, 3, 4}));
  auto r64 = run_model(expand_dims_model({2, 2}, {2, 2, 1}, DataType::kInt64, -1), kKernels,
                       {bytes_of<float>({1, 2, 3, 4})});
  ASSERT_TRUE(r64.status.is_ok()) << r64.status.message();
  EXPECT_EQ(values_of<float>(r64.outputs[0]), (std::vector<float>{1, 2, 3, 4}));
}

TEST(ExpandDimsErrors, BadAxisOrShape) {
  expect_error(run_model(expand_dims_model({2, 2}, {1, 2, 2}, DataType::kInt32, 1), kKernels,
                         {bytes_of<float>({1, 2, 3, 4})}),
               StatusCode::kInvalidModel, "expected [2,1,2]");
  expect_error(run_model(expand_dims_model({2, 2}, {1, 2, 2}, DataType::kInt32, 5), kKernels,
                         {bytes_of<float>({1, 2, 3, 4})}),
               StatusCode::kInvalidModel, "axis 5");
}

}  // namespace
}  // namespace edgeinfer::testing
