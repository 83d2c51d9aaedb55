// The reference FULLY_CONNECTED and CONV_2D kernels with a block-sparsity index (edgeinfer/block_sparsity.h)
// against themselves without it: byte-equal outputs and equal arenas on seeded random int8 and int16x8 cases
// (depths and input channels not multiples of the block, batches, strides, padding, dilation, groups,
// per-tensor and per-channel weights, fused activations, zero points) at 0%, 50%, 75% and 100% zero blocks
// and random fractions between.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/block_sparse_test_util.h"

namespace edgeinfer {
namespace {

using sparse_test::ConvCase;
using sparse_test::FcCase;
using sparse_test::reference_kernels;
using sparse_test::sparsity_for;

FcCase random_fc(std::mt19937& rng, int i, DataType type) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  FcCase c;
  c.type = type;
  c.batches = pick(0, 2) == 0 ? pick(2, 5) : 1;
  c.depth = pick(0, 3) == 0 ? pick(1, 9) : pick(10, 300);
  c.units = pick(1, 12);
  c.activation = pick(0, 3);
  c.bias = pick(0, 3) != 0;
  c.bias64 = pick(0, 1) == 0;
  c.per_channel = pick(0, 1) == 0;
  if (type == DataType::kInt8) {
    c.input_zp = pick(0, 4) == 0 ? -128 : pick(-128, 127);
    c.output_zp = pick(-60, 60);
  }
  c.sparsity = sparsity_for(i, rng);
  return c;
}

ConvCase random_conv(std::mt19937& rng, int i, DataType type) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  ConvCase c;
  c.type = type;
  c.batches = pick(0, 4) == 0 ? 2 : 1;
  c.height = pick(1, 9);
  c.width = pick(1, 9);
  c.groups = pick(0, 5) == 0 ? pick(2, 3) : 1;
  c.in_c = c.groups * (pick(0, 2) == 0 ? pick(1, 7) : pick(8, 24));
  c.out_c = c.groups * pick(1, 6);
  c.kh = pick(1, 4);
  c.kw = pick(1, 4);
  c.stride_h = pick(1, 3);
  c.stride_w = pick(1, 3);
  if (pick(0, 3) == 0) {
    c.dilation_h = pick(1, 2);
    c.dilation_w = pick(1, 2);
  }
  c.same = pick(0, 1) == 0;
  if (!c.same) {  // VALID needs the input to hold the dilated kernel
    c.height = std::max(c.height, (c.kh - 1) * c.dilation_h + 1);
    c.width = std::max(c.width, (c.kw - 1) * c.dilation_w + 1);
  }
  c.activation = pick(0, 3);
  c.bias = pick(0, 3) != 0;
  c.bias64 = pick(0, 1) == 0;
  c.per_channel = pick(0, 2) != 0;
  if (type == DataType::kInt8) {
    c.input_zp = pick(0, 4) == 0 ? -128 : pick(-128, 127);
    c.output_zp = pick(-60, 60);
  }
  c.sparsity = sparsity_for(i, rng);
  return c;
}

int distinct_values(std::vector<uint8_t> bytes) {
  std::sort(bytes.begin(), bytes.end());
  return static_cast<int>(std::unique(bytes.begin(), bytes.end()) - bytes.begin());
}

TEST(BlockSparseReference, FullyConnectedInt8EqualsDense) {
  std::mt19937 rng(2024);
  int distinct = 0;
  for (int i = 0; i < 300; ++i) {
    const FcCase c = random_fc(rng, i, DataType::kInt8);
    SCOPED_TRACE(describe(c));
    distinct += distinct_values(
        sparse_test::expect_sparse_equals_dense(build(c, rng), reference_kernels(), {reference_kernels()}));
    if (HasFailure()) return;
  }
  EXPECT_GT(distinct, 300 * 3);  // many output values, not just saturation
}

TEST(BlockSparseReference, FullyConnectedInt16x8EqualsDense) {
  std::mt19937 rng(77);
  for (int i = 0; i < 120; ++i) {
    const FcCase c = random_fc(rng, i, DataType::kInt16);
    SCOPED_TRACE(describe(c));
    sparse_test::expect_sparse_equals_dense(build(c, rng), reference_kernels(), {reference_kernels()});
    if (HasFailure()) return;
  }
}

TEST(BlockSparseReference, Conv2DInt8EqualsDense) {
  std::mt19937 rng(4242);
  int distinct = 0;
  for (int i = 0; i < 250; ++i) {
    const ConvCase c = random_conv(rng, i, DataType::kInt8);
    SCOPED_TRACE(describe(c));
    distinct += distinct_values(
        sparse_test::expect_sparse_equals_dense(build(c, rng), reference_kernels(), {reference_kernels()}));
    if (HasFailure()) return;
  }
  EXPECT_GT(distinct, 250 * 3);
}

TEST(BlockSparseReference, Conv2DInt16x8EqualsDense) {
  std::mt19937 rng(5);
  for (int i = 0; i < 100; ++i) {
    const ConvCase c = random_conv(rng, i, DataType::kInt16);
    SCOPED_TRACE(describe(c));
    sparse_test::expect_sparse_equals_dense(build(c, rng), reference_kernels(), {reference_kernels()});
    if (HasFailure()) return;
  }
}

// Sums that wrap around int32 (TFLite's int32 accumulator wraps; skipping zero products keeps that exact).
TEST(BlockSparseReference, WrappingAccumulatorEqualsDense) {
  std::mt19937 rng(8);
  FcCase fc;
  fc.depth = 70001;
  fc.units = 3;
  fc.batches = 2;
  fc.input_zp = -128;
  fc.sparsity = 0.5;
  sparse_test::expect_sparse_equals_dense(build(fc, rng), reference_kernels(), {reference_kernels()});
  FcCase fc16 = fc;
  fc16.type = DataType::kInt16;
  fc16.input_zp = 0;
  fc16.bias64 = false;  // the 32-bit accumulator of 16x8 with an int32 bias
  sparse_test::expect_sparse_equals_dense(build(fc16, rng), reference_kernels(), {reference_kernels()});
}

}  // namespace
}  // namespace edgeinfer
