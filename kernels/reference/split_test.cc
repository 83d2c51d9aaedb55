#include "kernels/reference/split.h"

#include <gtest/gtest.h>

#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;

TEST(SplitShape, DividesEvenly) {
  Shape out;
  ASSERT_TRUE(reference::split_output_shape(make_shape({2, 6}), 1, 3, &out).is_ok());
  EXPECT_EQ(out, make_shape({2, 2}));
  EXPECT_EQ(reference::split_output_shape(make_shape({2, 6}), 1, 4, &out).code(), StatusCode::kInvalidModel);
  EXPECT_EQ(reference::split_output_shape(make_shape({2, 6}), 0, 0, &out).code(), StatusCode::kInvalidModel);
}

TEST(ExtractBlock, TakesTheBlockAtAnOffset) {
  const std::vector<int8_t> in = {0, 1, 2, 3, 4, 5, 6, 7};  // [2, 4]
  std::vector<int8_t> out(4, -1);
  reference::extract_block(make_shape({2, 4}), in.data(), 1, 1, make_shape({2, 2}), 1, out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{1, 2, 5, 6}));
}

std::vector<uint8_t> split_model(DataType type, std::vector<int32_t> in_shape, int axis, int num_splits,
                                 std::vector<int32_t> out_shape, int num_outputs, bool constant_axis = true) {
  ModelBuilder b;
  const int a = constant_axis ? b.add_constant<int32_t>(DataType::kInt32, {}, {axis})
                              : b.add_tensor(DataType::kInt32, {});
  const int in = b.add_tensor(type, in_shape);
  std::vector<int> outs;
  for (int i = 0; i < num_outputs; ++i) outs.push_back(b.add_tensor(type, out_shape));
  b.add_op(BuiltinOp::kSplit, {a, in}, outs, tflite::BuiltinOptions::SplitOptions,
           [num_splits](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateSplitOptions(fbb, num_splits).Union();
           });
  b.set_inputs(constant_axis ? std::vector<int>{in} : std::vector<int>{a, in});
  b.set_outputs(outs);
  return b.finish();
}

const KernelList kKernels = {{BuiltinOp::kSplit, &reference::split()}};

TEST(Split, FloatLastAxis) {
  auto r = run_model(split_model(DataType::kFloat32, {2, 4}, -1, 2, {2, 2}, 2), kKernels,
                     {bytes_of<float>({0, 1, 2, 3, 4, 5, 6, 7})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{0, 1, 4, 5}));
  EXPECT_EQ(values_of<float>(r.outputs[1]), (std::vector<float>{2, 3, 6, 7}));
}

TEST(Split, Int8FirstAxisThreeWays) {
  auto r = run_model(split_model(DataType::kInt8, {3, 2}, 0, 3, {1, 2}, 3), kKernels,
                     {bytes_of<int8_t>({1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{1, 2}));
  EXPECT_EQ(values_of<int8_t>(r.outputs[1]), (std::vector<int8_t>{3, 4}));
  EXPECT_EQ(values_of<int8_t>(r.outputs[2]), (std::vector<int8_t>{5, 6}));
}

TEST(Split, Int16AndInt32MiddleAxis) {
  auto s = run_model(split_model(DataType::kInt16, {1, 2, 2}, 1, 2, {1, 1, 2}, 2), kKernels,
                     {bytes_of<int16_t>({-1, -2, -3, -4})});
  ASSERT_TRUE(s.status.is_ok()) << s.status.message();
  EXPECT_EQ(values_of<int16_t>(s.outputs[0]), (std::vector<int16_t>{-1, -2}));
  EXPECT_EQ(values_of<int16_t>(s.outputs[1]), (std::vector<int16_t>{-3, -4}));
  auto i = run_model(split_model(DataType::kInt32, {2, 2, 1}, 1, 1, {2, 2, 1}, 1), kKernels,
                     {bytes_of<int32_t>({5, 6, 7, 8})});
  ASSERT_TRUE(i.status.is_ok()) << i.status.message();
  EXPECT_EQ(values_of<int32_t>(i.outputs[0]), (std::vector<int32_t>{5, 6, 7, 8}));
}

TEST(SplitErrors, BadModels) {
  const std::vector<std::vector<uint8_t>> in = {bytes_of<float>({0, 1, 2, 3, 4, 5})};
  expect_error(run_model(split_model(DataType::kFloat32, {2, 3}, 1, 2, {2, 1}, 2), kKernels, in),
               StatusCode::kInvalidModel, "does not split");
  expect_error(run_model(split_model(DataType::kFloat32, {2, 3}, 0, 3, {1, 3}, 2), kKernels, in),
               StatusCode::kInvalidModel, "num_splits is 3");
  expect_error(run_model(split_model(DataType::kFloat32, {2, 3}, 2, 2, {1, 3}, 2), kKernels, in),
               StatusCode::kInvalidModel, "axis 2");
  expect_error(run_model(split_model(DataType::kFloat32, {2, 3}, 0, 2, {1, 2}, 2), kKernels, in),
               StatusCode::kInvalidModel, "expected [1,3]");
  expect_error(run_model(split_model(DataType::kFloat32, {2, 3}, 0, 2, {1, 3}, 2, false), kKernels,
                         {bytes_of<int32_t>({0}), in[0]}),
               StatusCode::kUnsupported, "constant");
}

}  // namespace
}  // namespace edgeinfer::testing
