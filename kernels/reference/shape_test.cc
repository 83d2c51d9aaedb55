#include "kernels/reference/shape.h"

#include <gtest/gtest.h>

#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;

TEST(ShapeValues, Int32AndInt64) {
  Shape shape;
  shape.rank = 3;
  shape.dims[0] = 2;
  shape.dims[1] = 0;
  shape.dims[2] = 70000;
  std::vector<int32_t> out32(3, -1);
  reference::shape_values(shape, DataType::kInt32, out32.data());
  EXPECT_EQ(out32, (std::vector<int32_t>{2, 0, 70000}));
  std::vector<int64_t> out64(3, -1);
  reference::shape_values(shape, DataType::kInt64, out64.data());
  EXPECT_EQ(out64, (std::vector<int64_t>{2, 0, 70000}));
}

std::vector<uint8_t> shape_model(DataType in_type, std::vector<int32_t> in_shape, DataType out_type,
                                 std::vector<int32_t> out_shape, tflite::TensorType option_type) {
  ModelBuilder b;
  const int in = b.add_tensor(in_type, in_shape);
  const int out = b.add_tensor(out_type, out_shape);
  b.add_op(BuiltinOp::kShape, {in}, {out}, tflite::BuiltinOptions::ShapeOptions,
           [option_type](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateShapeOptions(fbb, option_type).Union();
           });
  b.set_inputs({in});
  b.set_outputs({out});
  return b.finish();
}

const KernelList kKernels = {{BuiltinOp::kShape, &reference::shape()}};

TEST(ShapeOp, Int32Output) {
  auto r =
      run_model(shape_model(DataType::kInt8, {1, 3, 2, 4}, DataType::kInt32, {4}, tflite::TensorType::INT32),
                kKernels, {std::vector<uint8_t>(24, 0)});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int32_t>(r.outputs[0]), (std::vector<int32_t>{1, 3, 2, 4}));
}

TEST(ShapeOp, Int64OutputOfFloatInput) {
  auto r =
      run_model(shape_model(DataType::kFloat32, {5, 1}, DataType::kInt64, {2}, tflite::TensorType::INT64),
                kKernels, {bytes_of<float>({1, 2, 3, 4, 5})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int64_t>(r.outputs[0]), (std::vector<int64_t>{5, 1}));
}

TEST(ShapeOpErrors, BadOutput) {
  const std::vector<std::vector<uint8_t>> in = {bytes_of<float>({1, 2})};
  expect_error(
      run_model(shape_model(DataType::kFloat32, {2}, DataType::kInt32, {2}, tflite::TensorType::INT32),
                kKernels, in),
      StatusCode::kInvalidModel, "expected [1]");
  expect_error(
      run_model(shape_model(DataType::kFloat32, {2}, DataType::kFloat32, {1}, tflite::TensorType::INT32),
                kKernels, in),
      StatusCode::kUnsupported, "float32");
  expect_error(
      run_model(shape_model(DataType::kFloat32, {2}, DataType::kInt32, {1}, tflite::TensorType::INT64),
                kKernels, in),
      StatusCode::kInvalidModel, "out_type");
}

}  // namespace
}  // namespace edgeinfer::testing
