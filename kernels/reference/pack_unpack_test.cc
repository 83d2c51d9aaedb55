#include "kernels/reference/pack_unpack.h"

#include <gtest/gtest.h>

#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;

TEST(PackShapes, InsertAndRemove) {
  Shape out;
  ASSERT_TRUE(reference::pack_output_shape(make_shape({2, 3}), 1, 4, &out).is_ok());
  EXPECT_EQ(out, make_shape({2, 4, 3}));
  ASSERT_TRUE(reference::pack_output_shape(Shape(), 0, 3, &out).is_ok());
  EXPECT_EQ(out, make_shape({3}));
  EXPECT_EQ(reference::pack_output_shape(make_shape({1, 1, 1, 1, 1, 1}), 0, 2, &out).code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(reference::unpack_output_shape(make_shape({2, 4, 3}), 1), make_shape({2, 3}));
  EXPECT_EQ(reference::unpack_output_shape(make_shape({5}), 0), Shape());
}

std::vector<uint8_t> pack_model(DataType type, int count, std::vector<int32_t> in_shape, int axis,
                                std::vector<int32_t> out_shape, int values_count) {
  ModelBuilder b;
  std::vector<int> ins;
  for (int i = 0; i < count; ++i) ins.push_back(b.add_tensor(type, in_shape));
  const int out = b.add_tensor(type, out_shape);
  b.add_op(BuiltinOp::kPack, ins, {out}, tflite::BuiltinOptions::PackOptions,
           [values_count, axis](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreatePackOptions(fbb, values_count, axis).Union();
           });
  b.set_inputs(ins);
  b.set_outputs({out});
  return b.finish();
}

std::vector<uint8_t> unpack_model(DataType type, std::vector<int32_t> in_shape, int axis, int num,
                                  std::vector<int32_t> out_shape, int count) {
  ModelBuilder b;
  const int in = b.add_tensor(type, in_shape);
  std::vector<int> outs;
  for (int i = 0; i < count; ++i) outs.push_back(b.add_tensor(type, out_shape));
  b.add_op(BuiltinOp::kUnpack, {in}, outs, tflite::BuiltinOptions::UnpackOptions,
           [num, axis](flatbuffers::FlatBufferBuilder& fbb) {
             return tflite::CreateUnpackOptions(fbb, num, axis).Union();
           });
  b.set_inputs({in});
  b.set_outputs(outs);
  return b.finish();
}

const KernelList kKernels = {{BuiltinOp::kPack, &reference::pack()},
                             {BuiltinOp::kUnpack, &reference::unpack()}};

TEST(Pack, FloatAxisZeroAndLast) {
  const std::vector<std::vector<uint8_t>> in = {bytes_of<float>({1, 2}), bytes_of<float>({3, 4}),
                                                bytes_of<float>({5, 6})};
  auto first = run_model(pack_model(DataType::kFloat32, 3, {2}, 0, {3, 2}, 3), kKernels, in);
  ASSERT_TRUE(first.status.is_ok()) << first.status.message();
  EXPECT_EQ(values_of<float>(first.outputs[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  auto last = run_model(pack_model(DataType::kFloat32, 3, {2}, -1, {2, 3}, 3), kKernels, in);
  ASSERT_TRUE(last.status.is_ok()) << last.status.message();
  EXPECT_EQ(values_of<float>(last.outputs[0]), (std::vector<float>{1, 3, 5, 2, 4, 6}));
}

TEST(Pack, Int8Int16Int32MiddleAxis) {
  auto i8 = run_model(pack_model(DataType::kInt8, 2, {2, 2}, 1, {2, 2, 2}, 2), kKernels,
                      {bytes_of<int8_t>({1, 2, 3, 4}), bytes_of<int8_t>({-1, -2, -3, -4})});
  ASSERT_TRUE(i8.status.is_ok()) << i8.status.message();
  EXPECT_EQ(values_of<int8_t>(i8.outputs[0]), (std::vector<int8_t>{1, 2, -1, -2, 3, 4, -3, -4}));
  auto i16 = run_model(pack_model(DataType::kInt16, 2, {1}, 1, {1, 2}, 2), kKernels,
                       {bytes_of<int16_t>({300}), bytes_of<int16_t>({-300})});
  ASSERT_TRUE(i16.status.is_ok()) << i16.status.message();
  EXPECT_EQ(values_of<int16_t>(i16.outputs[0]), (std::vector<int16_t>{300, -300}));
  auto i32 = run_model(pack_model(DataType::kInt32, 2, {}, 0, {2}, 2), kKernels,
                       {bytes_of<int32_t>({7}), bytes_of<int32_t>({8})});
  ASSERT_TRUE(i32.status.is_ok()) << i32.status.message();
  EXPECT_EQ(values_of<int32_t>(i32.outputs[0]), (std::vector<int32_t>{7, 8}));
}

TEST(PackErrors, BadModels) {
  const std::vector<std::vector<uint8_t>> in = {bytes_of<float>({1, 2}), bytes_of<float>({3, 4})};
  expect_error(run_model(pack_model(DataType::kFloat32, 2, {2}, 0, {2, 2}, 3), kKernels, in),
               StatusCode::kInvalidModel, "values_count is 3");
  expect_error(run_model(pack_model(DataType::kFloat32, 2, {2}, 0, {2, 3}, 2), kKernels, in),
               StatusCode::kInvalidModel, "expected [2,2]");
  expect_error(run_model(pack_model(DataType::kFloat32, 2, {2}, 2, {2, 2}, 2), kKernels, in),
               StatusCode::kInvalidModel, "axis 2");
  ModelBuilder b;
  const int x = b.add_tensor(DataType::kFloat32, {2});
  const int y = b.add_tensor(DataType::kFloat32, {1});
  const int out = b.add_tensor(DataType::kFloat32, {2, 2});
  b.add_op(BuiltinOp::kPack, {x, y}, {out}, tflite::BuiltinOptions::PackOptions,
           [](flatbuffers::FlatBufferBuilder& fbb) { return tflite::CreatePackOptions(fbb, 2, 0).Union(); });
  b.set_inputs({x, y});
  b.set_outputs({out});
  expect_error(run_model(b.finish(), kKernels, {bytes_of<float>({1, 2}), bytes_of<float>({3})}),
               StatusCode::kInvalidModel, "input 1");
}

TEST(Unpack, FloatAxisZeroAndLast) {
  auto first = run_model(unpack_model(DataType::kFloat32, {3, 2}, 0, 3, {2}, 3), kKernels,
                         {bytes_of<float>({1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(first.status.is_ok()) << first.status.message();
  EXPECT_EQ(values_of<float>(first.outputs[0]), (std::vector<float>{1, 2}));
  EXPECT_EQ(values_of<float>(first.outputs[1]), (std::vector<float>{3, 4}));
  EXPECT_EQ(values_of<float>(first.outputs[2]), (std::vector<float>{5, 6}));
  auto last = run_model(unpack_model(DataType::kFloat32, {3, 2}, -1, 2, {3}, 2), kKernels,
                        {bytes_of<float>({1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(last.status.is_ok()) << last.status.message();
  EXPECT_EQ(values_of<float>(last.outputs[0]), (std::vector<float>{1, 3, 5}));
  EXPECT_EQ(values_of<float>(last.outputs[1]), (std::vector<float>{2, 4, 6}));
}

TEST(Unpack, Int8Int16Int32) {
  auto i8 = run_model(unpack_model(DataType::kInt8, {2, 2, 2}, 1, 2, {2, 2}, 2), kKernels,
                      {bytes_of<int8_t>({1, 2, -1, -2, 3, 4, -3, -4})});
  ASSERT_TRUE(i8.status.is_ok()) << i8.status.message();
  EXPECT_EQ(values_of<int8_t>(i8.outputs[0]), (std::vector<int8_t>{1, 2, 3, 4}));
  EXPECT_EQ(values_of<int8_t>(i8.outputs[1]), (std::vector<int8_t>{-1, -2, -3, -4}));
  auto i16 = run_model(unpack_model(DataType::kInt16, {1, 2}, 1, 2, {1}, 2), kKernels,
                       {bytes_of<int16_t>({300, -300})});
  ASSERT_TRUE(i16.status.is_ok()) << i16.status.message();
  EXPECT_EQ(values_of<int16_t>(i16.outputs[1]), (std::vector<int16_t>{-300}));
  auto i32 =
      run_model(unpack_model(DataType::kInt32, {2}, 0, 2, {}, 2), kKernels, {bytes_of<int32_t>({7, 8})});
  ASSERT_TRUE(i32.status.is_ok()) << i32.status.message();
  EXPECT_EQ(values_of<int32_t>(i32.outputs[0]), (std::vector<int32_t>{7}));
  EXPECT_EQ(values_of<int32_t>(i32.outputs[1]), (std::vector<int32_t>{8}));
}

TEST(UnpackErrors, BadModels) {
  const std::vector<std::vector<uint8_t>> in = {bytes_of<float>({1, 2, 3, 4, 5, 6})};
  expect_error(run_model(unpack_model(DataType::kFloat32, {3, 2}, 0, 2, {2}, 2), kKernels, in),
               StatusCode::kInvalidModel, "num is 2");
  expect_error(run_model(unpack_model(DataType::kFloat32, {3, 2}, 0, 3, {3}, 3), kKernels, in),
               StatusCode::kInvalidModel, "expected [2]");
  expect_error(run_model(unpack_model(DataType::kFloat32, {3, 2}, 2, 3, {2}, 3), kKernels, in),
               StatusCode::kInvalidModel, "axis 2");
}

}  // namespace
}  // namespace edgeinfer::testing
