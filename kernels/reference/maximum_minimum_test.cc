#include "kernels/reference/maximum_minimum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "compiler/model_builder.h"
#include "edgeinfer/kernels.h"
#include "kernels/reference/elementwise_test_util.h"

namespace edgeinfer::testing {
namespace {

using compiler::QuantParams;

TEST(MaximumMinimumFunction, Int8WithBroadcast) {
  const auto b = broadcast_of({2, 3}, {3}, {2, 3});
  const int8_t x[] = {-128, 0, 127, 5, -5, 1};
  const int8_t y[] = {0, 0, 100};
  int8_t out[6];
  reference::elementwise_maximum(b, x, y, out);
  EXPECT_EQ(std::vector<int8_t>(out, out + 6), (std::vector<int8_t>{0, 0, 127, 5, 0, 100}));
  reference::elementwise_minimum(b, x, y, out);
  EXPECT_EQ(std::vector<int8_t>(out, out + 6), (std::vector<int8_t>{-128, 0, 100, 0, -5, 1}));
}

TEST(MaximumMinimumFunction, NanFollowsTheComparison) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(reference::maximum_element(nan, 1.0f), 1.0f);
  EXPECT_TRUE(std::isnan(reference::maximum_element(1.0f, nan)));
  EXPECT_EQ(reference::minimum_element(nan, 1.0f), 1.0f);
  EXPECT_TRUE(std::isnan(reference::minimum_element(1.0f, nan)));
  // -0 and +0 compare equal: the second input wins.
  EXPECT_TRUE(std::signbit(reference::maximum_element(0.0f, -0.0f)));
}

std::vector<uint8_t> max_min_model(BuiltinOp op, const TensorSpec& a, const TensorSpec& b,
                                   const TensorSpec& out) {
  return single_op_model(op, {a, b}, out, tflite::BuiltinOptions::MaximumMinimumOptions, nullptr);
}

RunResult run_max_min(const std::vector<uint8_t>& model, std::vector<std::vector<uint8_t>> inputs) {
  return run_model(
      model, {{BuiltinOp::kMaximum, &reference::maximum()}, {BuiltinOp::kMinimum, &reference::minimum()}},
      inputs);
}

template <class T>
void check_kernel(DataType type, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 20; ++trial) {
    const auto c = random_broadcast_case(rng, 6, 3);
    const bool is_max = trial % 2 == 0;
    const auto x = random_ints<T>(rng, element_count(c.input1), -1000, 1000);
    const auto y = random_ints<T>(rng, element_count(c.input2), -1000, 1000);
    const auto model = max_min_model(is_max ? BuiltinOp::kMaximum : BuiltinOp::kMinimum, {type, c.input1},
                                     {type, c.input2}, {type, c.output});
    const auto result = run_max_min(model, {bytes_of(x), bytes_of(y)});
    ASSERT_TRUE(result.status.is_ok()) << result.status.message();
    const auto out = values_of<T>(result.outputs[0]);
    ASSERT_EQ(static_cast<int64_t>(out.size()), element_count(c.output));
    for (size_t i = 0; i < out.size(); ++i) {
      const T a = x[broadcast_index(make_shape(c.input1), make_shape(c.output), i)];
      const T b = y[broadcast_index(make_shape(c.input2), make_shape(c.output), i)];
      ASSERT_EQ(out[i], is_max ? std::max(a, b) : std::min(a, b)) << "trial " << trial << " element " << i;
    }
  }
}

TEST(MaximumMinimumKernel, Int16ManyShapes) {
  check_kernel<int16_t>(DataType::kInt16, 5);
}
TEST(MaximumMinimumKernel, Int32ManyShapes) {
  check_kernel<int32_t>(DataType::kInt32, 6);
}
TEST(MaximumMinimumKernel, Int64ManyShapes) {
  check_kernel<int64_t>(DataType::kInt64, 7);
}

TEST(MaximumMinimumKernel, FloatAndQuantizedInt8) {
  auto result = run_max_min(max_min_model(BuiltinOp::kMaximum, {DataType::kFloat32, {3}},
                                          {DataType::kFloat32, {}}, {DataType::kFloat32, {3}}),
                            {bytes_of<float>({-1.5f, 2.5f, 0}), bytes_of<float>({0.5f})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<float>(result.outputs[0]), (std::vector<float>{0.5f, 2.5f, 0.5f}));
  // Quantized values compare as stored (shared quantization).
  const QuantParams q = QuantParams::per_tensor(0.5f, -10);
  result = run_max_min(max_min_model(BuiltinOp::kMinimum, {DataType::kInt8, {2}, q},
                                     {DataType::kInt8, {2}, q}, {DataType::kInt8, {2}, q}),
                       {bytes_of<int8_t>({-20, 30}), bytes_of<int8_t>({-10, -128})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int8_t>(result.outputs[0]), (std::vector<int8_t>{-20, -128}));
}

// The audio preprocessor's clip_by_value: MINIMUM then MAXIMUM of int32 [40] with scalar constants.
TEST(MaximumMinimumKernel, Int32ScalarConstantsLikeTheAudioFrontEnd) {
  compiler::ModelBuilder b;
  const int x = b.add_tensor(DataType::kInt32, {5});
  const int hi = b.add_constant<int32_t>(DataType::kInt32, {}, {127});
  const int lo = b.add_constant<int32_t>(DataType::kInt32, {}, {-128});
  const int clipped_high = b.add_tensor(DataType::kInt32, {5});
  const int out = b.add_tensor(DataType::kInt32, {5});
  b.add_op(BuiltinOp::kMinimum, {x, hi}, {clipped_high}, tflite::BuiltinOptions::MaximumMinimumOptions,
           nullptr);
  b.add_op(BuiltinOp::kMaximum, {clipped_high, lo}, {out}, tflite::BuiltinOptions::MaximumMinimumOptions,
           nullptr);
  b.set_inputs({x});
  b.set_outputs({out});
  const auto result = run_max_min(b.finish(), {bytes_of<int32_t>({255, 127, -5, -128, -2147483647 - 1})});
  ASSERT_TRUE(result.status.is_ok()) << result.status.message();
  EXPECT_EQ(values_of<int32_t>(result.outputs[0]), (std::vector<int32_t>{127, 127, -5, -128, -128}));
}

TEST(MaximumMinimumKernel, RejectsMalformedOps) {
  expect_error(run_max_min(max_min_model(BuiltinOp::kMaximum, {DataType::kUInt8, {2}},
                                         {DataType::kUInt8, {2}}, {DataType::kUInt8, {2}}),
                           {}),
               StatusCode::kUnsupported, "unsupported type");
  expect_error(run_max_min(max_min_model(BuiltinOp::kMinimum, {DataType::kFloat32, {2, 2}},
                                         {DataType::kFloat32, {2}}, {DataType::kFloat32, {4}}),
                           {}),
               StatusCode::kInvalidModel, "output has shape");
  expect_error(run_max_min(max_min_model(BuiltinOp::kMinimum, {DataType::kFloat32, {2}},
                                         {DataType::kInt32, {2}}, {DataType::kFloat32, {2}}),
                           {}),
               StatusCode::kInvalidModel, "input 2 has type");
}

}  // namespace
}  // namespace edgeinfer::testing
