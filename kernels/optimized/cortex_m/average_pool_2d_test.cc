// cortex_m::average_pool_2d() against the reference kernel, byte for byte, on seeded random layers, plus a
// hand-checked case and the fallback types.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using compiler::QuantParams;

struct Pool {
  DataType type = DataType::kInt8;
  std::vector<int32_t> in_shape = {1, 4, 4, 4};
  int filter_h = 2, filter_w = 2, stride_h = 2, stride_w = 2;
  tflite::Padding padding = tflite::Padding::VALID;
  int activation = 0;
  int32_t zero_point = 0;
};

std::string describe(const Pool& c) {
  char text[200];
  std::snprintf(text, sizeof(text), "%s %dx%dx%dx%d filter %dx%d stride %dx%d %s act %d zp %d",
                data_type_name(c.type), c.in_shape[0], c.in_shape[1], c.in_shape[2], c.in_shape[3],
                c.filter_h, c.filter_w, c.stride_h, c.stride_w,
                c.padding == tflite::Padding::SAME ? "SAME" : "VALID", c.activation, c.zero_point);
  return text;
}

int out_size(tflite::Padding padding, int in, int filter, int stride) {
  return padding == tflite::Padding::SAME ? (in + stride - 1) / stride : (in - filter + stride) / stride;
}

std::vector<uint8_t> model(const Pool& c) {
  const QuantParams q =
      c.type == DataType::kFloat32 ? QuantParams{} : QuantParams::per_tensor(0.05f, c.zero_point);
  const std::vector<int32_t> out_shape = {
      c.in_shape[0], out_size(c.padding, c.in_shape[1], c.filter_h, c.stride_h),
      out_size(c.padding, c.in_shape[2], c.filter_w, c.stride_w), c.in_shape[3]};
  return testing::single_op_model(
      BuiltinOp::kAveragePool2D, {{c.type, c.in_shape, q}}, {c.type, out_shape, q},
      tflite::BuiltinOptions::Pool2DOptions, [c](flatbuffers::FlatBufferBuilder& fbb) {
        return tflite::CreatePool2DOptions(fbb, c.padding, c.stride_w, c.stride_h, c.filter_w, c.filter_h,
                                           static_cast<tflite::ActivationFunctionType>(c.activation))
            .Union();
      });
}

void expect_same_as_reference(const Pool& c, std::mt19937& rng) {
  SCOPED_TRACE(describe(c));
  const int64_t count = testing::element_count(c.in_shape);
  std::vector<uint8_t> input;
  if (c.type == DataType::kInt8)
    input = testing::bytes_of(testing::random_ints<int8_t>(rng, count, -128, 127));
  if (c.type == DataType::kInt16)
    input = testing::bytes_of(testing::random_ints<int16_t>(rng, count, -32768, 32767));
  if (c.type == DataType::kFloat32) input = testing::bytes_of(testing::random_floats(rng, count, -3, 3));
  const auto bytes = model(c);
  const auto want =
      testing::run_model(bytes, {{BuiltinOp::kAveragePool2D, &reference::average_pool_2d()}}, {input});
  const auto got =
      testing::run_model(bytes, {{BuiltinOp::kAveragePool2D, &cortex_m::average_pool_2d()}}, {input});
  ASSERT_TRUE(want.status.is_ok()) << want.status.message();
  ASSERT_TRUE(got.status.is_ok()) << got.status.message();
  ASSERT_EQ(got.outputs[0].size(), want.outputs[0].size());
  for (size_t i = 0; i < got.outputs[0].size(); ++i)
    ASSERT_EQ(got.outputs[0][i], want.outputs[0][i]) << "byte " << i;
}

int uniform(std::mt19937& rng, int low, int high) {
  return std::uniform_int_distribution<int>(low, high)(rng);
}

Pool random_pool(std::mt19937& rng, DataType type) {
  Pool c;
  c.type = type;
  c.filter_h = uniform(rng, 1, 5);
  c.filter_w = rng() % 3 == 0 ? uniform(rng, 1, 5) : c.filter_h;
  c.stride_h = uniform(rng, 1, 3);
  c.stride_w = rng() % 3 == 0 ? uniform(rng, 1, 3) : c.stride_h;
  c.padding = rng() % 2 ? tflite::Padding::SAME : tflite::Padding::VALID;
  c.in_shape = {uniform(rng, 1, 2), uniform(rng, c.filter_h, c.filter_h + 8),
                uniform(rng, c.filter_w, c.filter_w + 8), uniform(rng, 1, 21)};
  c.activation = std::vector<int>{0, 0, 1, 2, 3}[rng() % 5];
  c.zero_point = std::vector<int>{-128, 127, 0, uniform(rng, -128, 127)}[rng() % 4];
  return c;
}

TEST(CortexMAveragePool2D, IsNamed) {
  EXPECT_STREQ(cortex_m::average_pool_2d().name, "cortex_m/average_pool_2d");
}

// 2x2 windows over a 2x2x4 input: sums 6, -6, 2, -2 over 4 elements round half away from zero: 2 (1.5),
// -2 (-1.5), 1 (0.5), -1 (-0.5).
TEST(CortexMAveragePool2D, HandCheckedRounding) {
  Pool c;
  c.in_shape = {1, 2, 2, 4};
  const std::vector<int8_t> input = {3, -3, 2, -2, 1, -1, 0, 0, 1, -1, 0, 0, 1, -1, 0, 0};
  const auto got = testing::run_values<int8_t>(
      model(c), {{BuiltinOp::kAveragePool2D, &cortex_m::average_pool_2d()}}, input);
  EXPECT_EQ(got, (std::vector<int8_t>{2, -2, 1, -1}));
}

TEST(CortexMAveragePool2D, MatchesReferenceOnRandomInt8Layers) {
  std::mt19937 rng(4242);
  for (int i = 0; i < 400; ++i) {
    expect_same_as_reference(random_pool(rng, DataType::kInt8), rng);
    if (HasFatalFailure()) return;
  }
}

// Global pooling as in the models (kws 25x5, resnet 8x8), and windows beyond 256 elements (int32 sums), at
// the extreme values where a 16-bit lane would overflow.
TEST(CortexMAveragePool2D, MatchesReferenceOnLargeWindows) {
  std::mt19937 rng(5);
  for (auto [h, w] : {std::pair{25, 5}, {8, 8}, {16, 16}, {17, 16}, {20, 20}}) {
    Pool c;
    c.in_shape = {1, h, w, 12};
    c.filter_h = h;
    c.filter_w = w;
    c.zero_point = -128;
    expect_same_as_reference(c, rng);
    // All -128 / all 127: the largest sums.
    for (int8_t value : {int8_t{-128}, int8_t{127}}) {
      const std::vector<int8_t> input(h * w * 12, value);
      const auto got = testing::run_values<int8_t>(
          model(c), {{BuiltinOp::kAveragePool2D, &cortex_m::average_pool_2d()}}, input);
      EXPECT_EQ(got, std::vector<int8_t>(12, value)) << h << "x" << w;
    }
  }
}

TEST(CortexMAveragePool2D, FallbackTypesMatchReference) {
  std::mt19937 rng(77);
  for (int i = 0; i < 60; ++i) {
    expect_same_as_reference(random_pool(rng, i % 2 ? DataType::kInt16 : DataType::kFloat32), rng);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace edgeinfer
