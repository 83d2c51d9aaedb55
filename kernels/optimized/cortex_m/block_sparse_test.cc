// cortex_m::fully_connected and cortex_m::conv_2d with a block-sparsity index against the reference kernels
// without it: byte-equal outputs, and the same arena as without the index, on seeded random int8 cases
// (depths and input channels not multiples of the block, which take the per-value paths, batches, strides,
// padding, dilation, per-tensor and per-channel weights, fused activations, zero points) at 0%, 50%, 75% and
// 100% zero blocks and random fractions between.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/reference/block_sparse_test_util.h"

namespace edgeinfer {
namespace {

using sparse_test::ConvCase;
using sparse_test::FcCase;
using sparse_test::reference_kernels;
using sparse_test::sparsity_for;

const testing::KernelList& optimized_kernels() {
  static const testing::KernelList kernels = {{BuiltinOp::kFullyConnected, &cortex_m::fully_connected()},
                                              {BuiltinOp::kConv2D, &cortex_m::conv_2d()}};
  return kernels;
}

TEST(BlockSparseCortexM, FullyConnectedInt8EqualsDenseReference) {
  std::mt19937 rng(31337);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int i = 0; i < 300; ++i) {
    FcCase c;
    c.batches = pick(0, 2) == 0 ? pick(2, 5) : 1;
    c.depth = pick(0, 3) == 0 ? pick(1, 9) : pick(10, 700);
    c.units = pick(1, 17);
    c.activation = pick(0, 3);
    c.bias = pick(0, 3) != 0;
    c.per_channel = pick(0, 1) == 0;
    c.input_zp = pick(0, 4) == 0 ? -128 : (pick(0, 4) == 0 ? 127 : pick(-128, 127));
    c.output_zp = pick(-60, 60);
    c.sparsity = sparsity_for(i, rng);
    SCOPED_TRACE(describe(c));
    sparse_test::expect_sparse_equals_dense(build(c, rng), reference_kernels(),
                                            {optimized_kernels(), reference_kernels()});
    if (HasFailure()) return;
  }
}

TEST(BlockSparseCortexM, Conv2DInt8EqualsDenseReference) {
  std::mt19937 rng(271828);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int i = 0; i < 250; ++i) {
    ConvCase c;
    c.batches = pick(0, 4) == 0 ? 2 : 1;
    c.height = pick(1, 10);
    c.width = pick(1, 10);
    // Multiples of 4 take the word loops, the others the per-value ones.
    c.in_c = pick(0, 1) == 0 ? 4 * pick(1, 8) : pick(1, 21);
    c.out_c = pick(1, 9);
    c.kh = pick(1, 4);
    c.kw = pick(1, 4);
    c.stride_h = pick(1, 3);
    c.stride_w = pick(1, 3);
    if (pick(0, 3) == 0) {
      c.dilation_h = pick(1, 3);
      c.dilation_w = pick(1, 3);
    }
    c.same = pick(0, 1) == 0;
    if (!c.same) {
      c.height = std::max(c.height, (c.kh - 1) * c.dilation_h + 1);
      c.width = std::max(c.width, (c.kw - 1) * c.dilation_w + 1);
    }
    c.activation = pick(0, 3);
    c.bias = pick(0, 3) != 0;
    c.per_channel = pick(0, 2) != 0;
    c.input_zp = pick(0, 4) == 0 ? -128 : pick(-128, 127);
    c.output_zp = pick(-60, 60);
    c.sparsity = sparsity_for(i, rng);
    SCOPED_TRACE(describe(c));
    sparse_test::expect_sparse_equals_dense(build(c, rng), reference_kernels(),
                                            {optimized_kernels(), reference_kernels()});
    if (HasFailure()) return;
  }
}

// 1x1 convolutions without padding read their rows straight from the input (MobileNet's pointwise layers).
TEST(BlockSparseCortexM, PointwiseConv2DEqualsDenseReference) {
  std::mt19937 rng(6);
  for (int i = 0; i < 40; ++i) {
    ConvCase c;
    c.kh = c.kw = 1;
    c.same = i % 2 == 0;
    c.height = 3 + i % 5;
    c.width = 2 + i % 7;
    c.in_c = 8 * (1 + i % 4) + (i % 3 == 0 ? 3 : 0);
    c.out_c = 1 + i % 11;
    c.sparsity = sparsity_for(i, rng);
    SCOPED_TRACE(describe(c));
    sparse_test::expect_sparse_equals_dense(build(c, rng), reference_kernels(), {optimized_kernels()});
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace edgeinfer
