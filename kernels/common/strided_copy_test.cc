#include "kernels/common/strided_copy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

TEST(StridedCopy, RowMajorStrides) {
  int64_t strides[kMaxRank];
  row_major_strides(make_shape({2, 3, 4}), strides);
  EXPECT_EQ(strides[0], 12);
  EXPECT_EQ(strides[1], 4);
  EXPECT_EQ(strides[2], 1);
}

TEST(StridedCopy, DenseCopyOfEverySize) {
  const Shape shape = make_shape({2, 3, 2});
  std::vector<int64_t> in64(12);
  std::iota(in64.begin(), in64.end(), -5);
  std::vector<int64_t> out64(12, 0);
  strided_copy(dense_copy_plan(shape), 8, in64.data(), out64.data());
  EXPECT_EQ(out64, in64);
  std::vector<uint8_t> in3(36), out3(36, 0);  // 3-byte elements take the generic path
  std::iota(in3.begin(), in3.end(), 1);
  strided_copy(dense_copy_plan(shape), 3, in3.data(), out3.data());
  EXPECT_EQ(out3, in3);
}

TEST(StridedCopy, ScalarCopiesOneElement) {
  const int16_t in = -1234;
  int16_t out = 0;
  strided_copy(dense_copy_plan(Shape()), 2, &in, &out);
  EXPECT_EQ(out, -1234);
}

TEST(StridedCopy, EmptyCopiesNothing) {
  const std::vector<int32_t> in = {1, 2};
  std::vector<int32_t> out = {7, 7};
  strided_copy(dense_copy_plan(make_shape({2, 0})), 4, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int32_t>{7, 7}));
  EXPECT_TRUE(strided_copy_in_bounds(dense_copy_plan(make_shape({2, 0})), 0, 0));
}

TEST(StridedCopy, ReversedAndTransposedWalk) {
  // out[i][j] = in[j][2 - i] for a 3x3 input.
  std::vector<int8_t> in(9);
  std::iota(in.begin(), in.end(), 0);
  StridedCopy plan = dense_copy_plan(make_shape({3, 3}));
  plan.src_offset = 2;
  plan.src_strides[0] = -1;
  plan.src_strides[1] = 3;
  ASSERT_TRUE(strided_copy_in_bounds(plan, 9, 9));
  std::vector<int8_t> out(9, -1);
  strided_copy(plan, 1, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{2, 5, 8, 1, 4, 7, 0, 3, 6}));
}

TEST(StridedCopy, BlockIntoAndBack) {
  // A [2,1,2] block into a [2,3,2] whole at offset 2 along axis 1, then extracted again.
  const Shape block = make_shape({2, 1, 2});
  const Shape whole = make_shape({2, 3, 2});
  const std::vector<float> part = {1, 2, 3, 4};
  std::vector<float> all(12, 0.0f);
  const StridedCopy into = block_into_plan(block, whole, 1, 2);
  ASSERT_TRUE(strided_copy_in_bounds(into, 4, 12));
  strided_copy(into, 4, part.data(), all.data());
  EXPECT_EQ(all, (std::vector<float>{0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 4}));
  std::vector<float> back(4, 0.0f);
  strided_copy(reversed_plan(into), 4, all.data(), back.data());
  EXPECT_EQ(back, part);
}

TEST(StridedCopy, InBoundsDetectsOverruns) {
  StridedCopy plan = dense_copy_plan(make_shape({2, 3}));
  EXPECT_TRUE(strided_copy_in_bounds(plan, 6, 6));
  EXPECT_FALSE(strided_copy_in_bounds(plan, 5, 6));
  EXPECT_FALSE(strided_copy_in_bounds(plan, 6, 5));
  plan.src_offset = 1;
  EXPECT_FALSE(strided_copy_in_bounds(plan, 6, 6));
  plan.src_offset = 0;
  plan.src_strides[1] = -1;
  EXPECT_FALSE(strided_copy_in_bounds(plan, 6, 6));  // reads before the start
}

TEST(StridedCopy, FillElements) {
  std::vector<int16_t> out(5, 0);
  const int16_t value = -2;
  fill_elements(out.data(), 5, 2, &value);
  EXPECT_EQ(out, (std::vector<int16_t>(5, -2)));
  std::vector<int8_t> bytes(3, 0);
  const int8_t byte = -7;
  fill_elements(bytes.data(), 3, 1, &byte);
  EXPECT_EQ(bytes, (std::vector<int8_t>(3, -7)));
}

}  // namespace
}  // namespace edgeinfer::testing
