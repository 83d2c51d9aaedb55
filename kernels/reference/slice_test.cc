#include "kernels/reference/slice.h"

#include <gtest/gtest.h>

#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;

// Slices 0, 1, 2, ... of `dims` with the pure functions.
std::vector<int32_t> slice_iota(const std::vector<int32_t>& dims, const std::vector<int64_t>& begin,
                                const std::vector<int64_t>& size,
                                const std::vector<int32_t>& expected_shape) {
  return copy_iota(
      make_shape(dims),
      [&](const Shape& input, Shape* output, StridedCopy* plan) {
        return reference::slice_plan(input, begin.data(), size.data(), static_cast<int>(begin.size()), output,
                                     plan);
      },
      expected_shape);
}

TEST(SlicePlan, BoxesAndMinusOne) {
  EXPECT_EQ(slice_iota({3, 4}, {1, 1}, {2, 2}, {2, 2}), (std::vector<int32_t>{5, 6, 9, 10}));
  EXPECT_EQ(slice_iota({3, 4}, {0, 2}, {-1, -1}, {3, 2}), (std::vector<int32_t>{2, 3, 6, 7, 10, 11}));
  EXPECT_EQ(slice_iota({4}, {4}, {0}, {0}), std::vector<int32_t>{});
  EXPECT_EQ(slice_iota({1, 2, 1, 1, 2}, {0, 1, 0, 0, 1}, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}),
            (std::vector<int32_t>{3}));
}

TEST(SlicePlan, Errors) {
  Shape out;
  StridedCopy plan;
  const auto code = [&](std::vector<int64_t> begin, std::vector<int64_t> size) {
    return reference::slice_plan(make_shape({3, 4}), begin.data(), size.data(),
                                 static_cast<int>(begin.size()), &out, &plan)
        .code();
  };
  EXPECT_EQ(code({-1, 0}, {1, 1}), StatusCode::kInvalidModel);
  EXPECT_EQ(code({4, 0}, {0, 1}), StatusCode::kInvalidModel);
  EXPECT_EQ(code({1, 0}, {3, 1}), StatusCode::kInvalidModel);
  EXPECT_EQ(code({0, 0}, {-2, 1}), StatusCode::kInvalidModel);
  EXPECT_EQ(code({0}, {1}), StatusCode::kInvalidModel);
}

std::vector<uint8_t> slice_model(DataType type, std::vector<int32_t> in_shape, std::vector<int64_t> begin,
                                 std::vector<int64_t> size, std::vector<int32_t> out_shape,
                                 DataType index_type, bool constant = true) {
  ModelBuilder b;
  const int in = b.add_tensor(type, in_shape);
  const int32_t n = static_cast<int32_t>(begin.size());
  const auto index = [&](const std::vector<int64_t>& v) {
    if (!constant) return b.add_tensor(index_type, {n});
    if (index_type == DataType::kInt64) return b.add_constant<int64_t>(DataType::kInt64, {n}, v);
    return b.add_constant<int32_t>(DataType::kInt32, {n}, std::vector<int32_t>(v.begin(), v.end()));
  };
  const int bt = index(begin);
  const int st = index(size);
  const int out = b.add_tensor(type, out_shape);
  b.add_op(BuiltinOp::kSlice, {in, bt, st}, {out}, tflite::BuiltinOptions::SliceOptions, nullptr);
  b.set_inputs(constant ? std::vector<int>{in} : std::vector<int>{in, bt, st});
  b.set_outputs({out});
  return b.finish();
}

const KernelList kKernels = {{BuiltinOp::kSlice, &reference::slice()}};

TEST(Slice, FloatInt32Indices) {
  auto r = run_model(slice_model(DataType::kFloat32, {2, 3}, {0, 1}, {2, -1}, {2, 2}, DataType::kInt32),
                     kKernels, {bytes_of<float>({1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{2, 3, 5, 6}));
}

TEST(Slice, Int8Int64Indices) {
  auto r = run_model(slice_model(DataType::kInt8, {4}, {1}, {2}, {2}, DataType::kInt64), kKernels,
                     {bytes_of<int8_t>({-1, -2, -3, -4})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{-2, -3}));
}

TEST(Slice, Int16AndInt32) {
  auto s =
      run_model(slice_model(DataType::kInt16, {2, 2, 2}, {1, 0, 1}, {1, 2, 1}, {1, 2, 1}, DataType::kInt32),
                kKernels, {bytes_of<int16_t>({0, 1, 2, 3, 4, 5, 6, 7})});
  ASSERT_TRUE(s.status.is_ok()) << s.status.message();
  EXPECT_EQ(values_of<int16_t>(s.outputs[0]), (std::vector<int16_t>{5, 7}));
  auto i = run_model(slice_model(DataType::kInt32, {3}, {2}, {1}, {1}, DataType::kInt32), kKernels,
                     {bytes_of<int32_t>({7, 8, 9})});
  ASSERT_TRUE(i.status.is_ok()) << i.status.message();
  EXPECT_EQ(values_of<int32_t>(i.outputs[0]), (std::vector<int32_t>{9}));
}

// begin/size computed by the graph: planned when the op runs, invalid values fail there.
TEST(Slice, NonConstantBeginAndSize) {
  const auto model = slice_model(DataType::kFloat32, {2, 3}, {0, 0}, {0, 0}, {1, 2}, DataType::kInt32, false);
  auto r =
      run_model(model, kKernels,
                {bytes_of<float>({1, 2, 3, 4, 5, 6}), bytes_of<int32_t>({1, 1}), bytes_of<int32_t>({1, 2})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{5, 6}));
  auto bad =
      run_model(model, kKernels,
                {bytes_of<float>({1, 2, 3, 4, 5, 6}), bytes_of<int32_t>({1, 2}), bytes_of<int32_t>({1, 2})});
  expect_error(bad, StatusCode::kInvalidModel, "does not fit");
  auto wrong_count =
      run_model(model, kKernels,
                {bytes_of<float>({1, 2, 3, 4, 5, 6}), bytes_of<int32_t>({0, 0}), bytes_of<int32_t>({2, 2})});
  expect_error(wrong_count, StatusCode::kInvalidModel, "expected [2,2]");
}

// Like TFLM, only the element count of the output is checked against the slice.
TEST(Slice, OutputDimsOnlyRestateTheCount) {
  auto r = run_model(slice_model(DataType::kFloat32, {2, 3}, {0, 0}, {2, 1}, {1, 2}, DataType::kInt32),
                     kKernels, {bytes_of<float>({1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<float>(r.outputs[0]), (std::vector<float>{1, 4}));
}

TEST(SliceErrors, BadParameters) {
  expect_error(run_model(slice_model(DataType::kFloat32, {2, 3}, {0, 2}, {1, 2}, {1, 2}, DataType::kInt32),
                         kKernels, {bytes_of<float>({1, 2, 3, 4, 5, 6})}),
               StatusCode::kInvalidModel, "does not fit");
  expect_error(run_model(slice_model(DataType::kFloat32, {2, 3}, {0, 0}, {1, 2}, {2, 2}, DataType::kInt32),
                         kKernels, {bytes_of<float>({1, 2, 3, 4, 5, 6})}),
               StatusCode::kInvalidModel, "expected [1,2]");
  expect_error(run_model(slice_model(DataType::kFloat32, {2, 3}, {0}, {1}, {1, 3}, DataType::kInt32),
                         kKernels, {bytes_of<float>({1, 2, 3, 4, 5, 6})}),
               StatusCode::kInvalidModel, "shape [2]");
}

}  // namespace
}  // namespace edgeinfer::testing
