#include "kernels/common/broadcast.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/support/single_op.h"

namespace edgeinfer::testing {
namespace {

void expect_matches_naive(const Shape& a, const Shape& b) {
  Shape out;
  ASSERT_TRUE(broadcast_shape(a, b, &out));
  BinaryBroadcast desc;
  ASSERT_TRUE(init_binary_broadcast(a, b, out, &desc));
  ASSERT_EQ(desc.size, out.num_elements());
  int64_t visited = 0;
  bool in_order = true;
  for_each_broadcast(desc, [&](int32_t o, int32_t i1, int32_t i2) {
    in_order &= o == visited;
    EXPECT_EQ(i1, broadcast_index(a, out, o)) << "output element " << o;
    EXPECT_EQ(i2, broadcast_index(b, out, o)) << "output element " << o;
    ++visited;
  });
  EXPECT_TRUE(in_order);
  EXPECT_EQ(visited, out.num_elements());
}

TEST(BroadcastShape, NumpyRules) {
  Shape out;
  ASSERT_TRUE(broadcast_shape(make_shape({8, 1, 6, 1}), make_shape({7, 1, 5}), &out));
  EXPECT_EQ(out, make_shape({8, 7, 6, 5}));
  ASSERT_TRUE(broadcast_shape(make_shape({}), make_shape({3, 2}), &out));
  EXPECT_EQ(out, make_shape({3, 2}));
  ASSERT_TRUE(broadcast_shape(make_shape({0, 1}), make_shape({1, 4}), &out));
  EXPECT_EQ(out, make_shape({0, 4}));
  EXPECT_FALSE(broadcast_shape(make_shape({2, 3}), make_shape({3, 2}), &out));
  EXPECT_FALSE(broadcast_shape(make_shape({0}), make_shape({2}), &out));
}

TEST(InitBinaryBroadcast, RejectsOutputOtherThanTheBroadcastShape) {
  BinaryBroadcast desc;
  EXPECT_FALSE(init_binary_broadcast(make_shape({2, 3}), make_shape({3}), make_shape({3, 2}), &desc));
  EXPECT_FALSE(init_binary_broadcast(make_shape({2, 3}), make_shape({3}), make_shape({1, 2, 3}), &desc));
  EXPECT_FALSE(init_binary_broadcast(make_shape({-2, 3}), make_shape({3}), make_shape({-2, 3}), &desc));
  EXPECT_TRUE(init_binary_broadcast(make_shape({2, 3}), make_shape({3}), make_shape({2, 3}), &desc));
  // More elements than int32 indexes: refused rather than overflowing.
  EXPECT_FALSE(
      init_binary_broadcast(make_shape({65536, 65536}), make_shape({1}), make_shape({65536, 65536}), &desc));
}

TEST(InitBinaryBroadcast, MergesContiguousLoops) {
  BinaryBroadcast desc;
  ASSERT_TRUE(
      init_binary_broadcast(make_shape({2, 3, 4}), make_shape({2, 3, 4}), make_shape({2, 3, 4}), &desc));
  EXPECT_EQ(desc.rank, 1);
  EXPECT_EQ(desc.dims[0], 24);
  ASSERT_TRUE(
      init_binary_broadcast(make_shape({1, 8, 8, 16}), make_shape({16}), make_shape({1, 8, 8, 16}), &desc));
  ASSERT_EQ(desc.rank, 2);
  EXPECT_EQ(desc.dims[0], 64);
  EXPECT_EQ(desc.dims[1], 16);
  EXPECT_EQ(desc.strides2[0], 0);
  EXPECT_EQ(desc.strides2[1], 1);
  ASSERT_TRUE(init_binary_broadcast(make_shape({}), make_shape({}), make_shape({}), &desc));
  EXPECT_EQ(desc.size, 1);
}

TEST(ForEachBroadcast, HandPickedShapes) {
  expect_matches_naive(make_shape({2, 3}), make_shape({3}));
  expect_matches_naive(make_shape({2, 1}), make_shape({1, 3}));
  expect_matches_naive(make_shape({4, 1, 3}), make_shape({2, 1}));
  expect_matches_naive(make_shape({}), make_shape({5}));
  expect_matches_naive(make_shape({1}), make_shape({}));
  expect_matches_naive(make_shape({2, 1, 3, 1, 2, 1}), make_shape({1, 2, 1, 3, 1, 2}));
  expect_matches_naive(make_shape({1, 2, 12, 64}), make_shape({64}));
}

TEST(ForEachBroadcast, ZeroSizedOutputVisitsNothing) {
  BinaryBroadcast desc;
  ASSERT_TRUE(init_binary_broadcast(make_shape({0, 3}), make_shape({3}), make_shape({0, 3}), &desc));
  int calls = 0;
  for_each_broadcast(desc, [&](int32_t, int32_t, int32_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ForEachBroadcast, RandomShapesUpToRankSix) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 400; ++trial) {
    const int rank = static_cast<int>(rng() % 7);
    Shape full;
    full.rank = rank;
    for (int i = 0; i < rank; ++i) full.dims[i] = 1 + static_cast<int32_t>(rng() % 4);
    // Each input: a suffix of the full shape, with some dimensions set to 1.
    Shape inputs[2];
    for (Shape& input : inputs) {
      const int input_rank = static_cast<int>(rng() % (rank + 1));
      input.rank = input_rank;
      for (int i = 0; i < input_rank; ++i) {
        const int32_t dim = full.dims[rank - input_rank + i];
        input.dims[i] = rng() % 3 == 0 ? 1 : dim;
      }
    }
    SCOPED_TRACE(trial);
    expect_matches_naive(inputs[0], inputs[1]);
  }
}

TEST(BroadcastBinary, AppliesTheFunction) {
  BinaryBroadcast desc;
  ASSERT_TRUE(init_binary_broadcast(make_shape({2, 1}), make_shape({3}), make_shape({2, 3}), &desc));
  const int a[] = {10, 20};
  const int b[] = {1, 2, 3};
  int out[6] = {};
  broadcast_binary(desc, a, b, out, [](int x, int y) { return x - y; });
  EXPECT_EQ(std::vector<int>(out, out + 6), (std::vector<int>{9, 8, 7, 19, 18, 17}));
}

}  // namespace
}  // namespace edgeinfer::testing
