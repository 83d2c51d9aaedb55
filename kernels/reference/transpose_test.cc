#include "kernels/reference/transpose.h"

#include <gtest/gtest.h>

#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

using compiler::ModelBuilder;

// Transposes 0, 1, 2, ... of `dims` by `perm` with the pure functions.
std::vector<int32_t> transpose_iota(const std::vector<int32_t>& dims, const std::vector<int64_t>& perm,
                                    const std::vector<int32_t>& expected_shape) {
  return copy_iota(
      make_shape(dims),
      [&](const Shape& input, Shape* output, StridedCopy* plan) {
        return reference::transpose_plan(input, perm.data(), static_cast<int>(perm.size()), output, plan);
      },
      expected_shape);
}

// Index-by-index reference: out[o] = in[i] where i's coordinates are o's permuted back.
std::vector<int32_t> naive_transpose(const std::vector<int32_t>& dims, const std::vector<int64_t>& perm) {
  const int rank = static_cast<int>(dims.size());
  std::vector<int32_t> out_dims(rank);
  for (int i = 0; i < rank; ++i) out_dims[i] = dims[perm[i]];
  int64_t total = 1;
  for (int32_t d : dims) total *= d;
  std::vector<int32_t> out(static_cast<size_t>(total));
  std::vector<int64_t> coord(rank, 0);
  for (int64_t o = 0; o < total; ++o) {
    int64_t rest = o;
    for (int i = rank - 1; i >= 0; --i) {
      coord[i] = rest % out_dims[i];
      rest /= out_dims[i];
    }
    int64_t in_index = 0;
    std::vector<int64_t> in_coord(rank);
    for (int i = 0; i < rank; ++i) in_coord[perm[i]] = coord[i];
    for (int i = 0; i < rank; ++i) in_index = in_index * dims[i] + in_coord[i];
    out[o] = static_cast<int32_t>(in_index);
  }
  return out;
}

TEST(TransposePlan, HandComputed) {
  EXPECT_EQ(transpose_iota({2, 3}, {1, 0}, {3, 2}), (std::vector<int32_t>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(transpose_iota({2, 2, 2}, {2, 0, 1}, {2, 2, 2}), (std::vector<int32_t>{0, 2, 4, 6, 1, 3, 5, 7}));
  EXPECT_EQ(transpose_iota({3}, {0}, {3}), (std::vector<int32_t>{0, 1, 2}));
}

TEST(TransposePlan, MatchesNaiveUpToSixDimensions) {
  const std::vector<std::pair<std::vector<int32_t>, std::vector<int64_t>>> cases = {
      {{1, 3, 4, 2}, {0, 3, 1, 2}},              // NHWC -> NCHW
      {{1, 2, 3, 4}, {0, 2, 3, 1}},              // NCHW -> NHWC
      {{2, 3, 1, 4, 2}, {4, 2, 0, 3, 1}},        // rank 5
      {{2, 1, 3, 2, 2, 3}, {5, 3, 1, 0, 4, 2}},  // rank 6
      {{3, 2, 2, 2, 1, 2}, {0, 1, 2, 3, 5, 4}},
  };
  for (const auto& [dims, perm] : cases) {
    std::vector<int32_t> out_dims;
    for (int64_t p : perm) out_dims.push_back(dims[p]);
    EXPECT_EQ(transpose_iota(dims, perm, out_dims), naive_transpose(dims, perm));
  }
}

TEST(TransposePlan, RejectsBadPermutations) {
  Shape out;
  StridedCopy plan;
  const int64_t repeated[] = {0, 0};
  EXPECT_EQ(reference::transpose_plan(make_shape({2, 2}), repeated, 2, &out, &plan).code(),
            StatusCode::kInvalidModel);
  const int64_t outside[] = {0, 2};
  EXPECT_EQ(reference::transpose_plan(make_shape({2, 2}), outside, 2, &out, &plan).code(),
            StatusCode::kInvalidModel);
  const int64_t negative[] = {-1, 0};
  EXPECT_EQ(reference::transpose_plan(make_shape({2, 2}), negative, 2, &out, &plan).code(),
            StatusCode::kInvalidModel);
  const int64_t short_perm[] = {0};
  EXPECT_EQ(reference::transpose_plan(make_shape({2, 2}), short_perm, 1, &out, &plan).code(),
            StatusCode::kInvalidModel);
}

std::vector<uint8_t> transpose_model(DataType type, std::vector<int32_t> in_shape, std::vector<int32_t> perm,
                                     std::vector<int32_t> out_shape, bool constant_perm = true) {
  ModelBuilder b;
  const int in = b.add_tensor(type, in_shape);
  const int p = constant_perm
                    ? b.add_constant<int32_t>(DataType::kInt32, {static_cast<int32_t>(perm.size())}, perm)
                    : b.add_tensor(DataType::kInt32, {static_cast<int32_t>(perm.size())});
  const int out = b.add_tensor(type, out_shape);
  b.add_op(BuiltinOp::kTranspose, {in, p}, {out}, tflite::BuiltinOptions::TransposeOptions, nullptr);
  b.set_inputs(constant_perm ? std::vector<int>{in} : std::vector<int>{in, p});
  b.set_outputs({out});
  return b.finish();
}

const KernelList kKernels = {{BuiltinOp::kTranspose, &reference::transpose()}};

TEST(Transpose, Int8NhwcToNchw) {
  auto r = run_model(transpose_model(DataType::kInt8, {1, 2, 2, 3}, {0, 3, 1, 2}, {1, 3, 2, 2}), kKernels,
                     {bytes_of<int8_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})});
  ASSERT_TRUE(r.status.is_ok()) << r.status.message();
  EXPECT_EQ(values_of<int8_t>(r.outputs[0]), (std::vector<int8_t>{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}));
}

TEST(Transpose, FloatAndInt16AndInt32) {
  auto f = run_model(transpose_model(DataType::kFloat32, {2, 2}, {1, 0}, {2, 2}), kKernels,
                     {bytes_of<float>({1.5f, -2, 3, -0.0f})});
  ASSERT_TRUE(f.status.is_ok()) << f.status.message();
  EXPECT_EQ(f.outputs[0], bytes_of<float>({1.5f, 3, -2, -0.0f}));
  auto s = run_model(transpose_model(DataType::kInt16, {3, 1}, {1, 0}, {1, 3}), kKernels,
                     {bytes_of<int16_t>({-1, 2, -3})});
  ASSERT_TRUE(s.status.is_ok()) << s.status.message();
  EXPECT_EQ(values_of<int16_t>(s.outputs[0]), (std::vector<int16_t>{-1, 2, -3}));
  auto i = run_model(transpose_model(DataType::kInt32, {2, 1, 2}, {2, 1, 0}, {2, 1, 2}), kKernels,
                     {bytes_of<int32_t>({1, 2, 3, 4})});
  ASSERT_TRUE(i.status.is_ok()) << i.status.message();
  EXPECT_EQ(values_of<int32_t>(i.outputs[0]), (std::vector<int32_t>{1, 3, 2, 4}));
}

TEST(TransposeErrors, OutputShapeAndPerm) {
  expect_error(run_model(transpose_model(DataType::kFloat32, {2, 3}, {1, 0}, {2, 3}), kKernels,
                         {bytes_of<float>({1, 2, 3, 4, 5, 6})}),
               StatusCode::kInvalidModel, "expected [3,2]");
  expect_error(run_model(transpose_model(DataType::kFloat32, {2, 3}, {1, 1}, {3, 3}), kKernels,
                         {bytes_of<float>({1, 2, 3, 4, 5, 6})}),
               StatusCode::kInvalidModel, "repeated");
  expect_error(run_model(transpose_model(DataType::kFloat32, {2, 3}, {1, 0}, {3, 2}, false), kKernels,
                         {bytes_of<float>({1, 2, 3, 4, 5, 6}), bytes_of<int32_t>({1, 0})}),
               StatusCode::kUnsupported, "constant");
}

}  // namespace
}  // namespace edgeinfer::testing
