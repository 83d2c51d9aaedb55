#include "kernels/reference/signal/fft_auto_scale.h"

#include <gtest/gtest.h>

#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"

namespace edgeinfer::testing {
namespace {

using signal_test::custom_op_model;
using signal_test::tensor;

const Kernel& kernel() {
  return reference::signal::fft_auto_scale();
}

struct Scaled {
  std::vector<int16_t> samples;
  int32_t scale_bits = -1;
};

// Through a model: input [n] -> output [n] and the scalar scale_bits (no custom options, as TFLM's).
Scaled run_auto_scale(const std::vector<int16_t>& input) {
  const int32_t n = static_cast<int32_t>(input.size());
  const auto model = custom_op_model("SignalFftAutoScale", {tensor(DataType::kInt16, {n})},
                                     {tensor(DataType::kInt16, {n}), tensor(DataType::kInt32, {})}, {});
  const auto outputs = signal_test::run_once(model, "SignalFftAutoScale", kernel(), {bytes_of(input)});
  if (outputs.size() != 2) return {};
  return {values_of<int16_t>(outputs[0]), values_of<int32_t>(outputs[1]).at(0)};
}

// TFLM's fft_test cases.
TEST(SignalFftAutoScale, ScalesByOneBit) {
  const Scaled s = run_auto_scale({0x0000, 0x1111, 0x2222, 0x3333, 0x3333, 0x2222, 0x1111, 0x0000});
  EXPECT_EQ(s.scale_bits, 1);
  EXPECT_EQ(s.samples,
            (std::vector<int16_t>{0x0000, 0x2222, 0x4444, 0x6666, 0x6666, 0x4444, 0x2222, 0x0000}));
}

TEST(SignalFftAutoScale, ScalesBySevenBits) {
  const Scaled s = run_auto_scale({238, 113, -88, -243, -5, -130, 159, -70});
  EXPECT_EQ(s.scale_bits, 7);
  EXPECT_EQ(s.samples, (std::vector<int16_t>{30464, 14464, -11264, -31104, -640, -16640, 20352, -8960}));
}

// By hand: the largest magnitude sets the shift (16 - bits - 1); negative peaks count by magnitude.
TEST(SignalFftAutoScale, PeakMagnitudeSetsTheShift) {
  EXPECT_EQ(run_auto_scale({1, -1}).scale_bits, 14);
  EXPECT_EQ(run_auto_scale({1, -1}).samples, (std::vector<int16_t>{16384, -16384}));
  EXPECT_EQ(run_auto_scale({100, -16384}).scale_bits, 0);  // 16384 needs 15 bits
  EXPECT_EQ(run_auto_scale({100, -16383}).scale_bits, 1);
  EXPECT_EQ(run_auto_scale({32767, 5}).scale_bits, 0);
}

// TFLM's quirks, reproduced: all zeros (the MSB of 0 counts as 32) and a -32768 peak give shift 0; a later
// larger sample replaces the wrapped (negative) maximum, and -32768 then wraps when scaled.
TEST(SignalFftAutoScale, ReproducesTflmEdgeCases) {
  const Scaled zeros = run_auto_scale({0, 0, 0, 0});
  EXPECT_EQ(zeros.scale_bits, 0);
  EXPECT_EQ(zeros.samples, (std::vector<int16_t>{0, 0, 0, 0}));
  const Scaled peak_last = run_auto_scale({1, -32768});
  EXPECT_EQ(peak_last.scale_bits, 0);
  EXPECT_EQ(peak_last.samples, (std::vector<int16_t>{1, -32768}));
  const Scaled peak_first = run_auto_scale({-32768, 1});
  EXPECT_EQ(peak_first.scale_bits, 14);
  EXPECT_EQ(peak_first.samples, (std::vector<int16_t>{0, 16384}));
}

TEST(SignalFftAutoScale, MatchesTflmGoldenTensors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(signal_test::expect_golden_ops(shared, "audio_preprocessor_int8", "SignalFftAutoScale", kernel()),
            1);
  EXPECT_EQ(
      signal_test::expect_golden_ops(shared, "audio_preprocessor_float", "SignalFftAutoScale", kernel()), 1);
}

TEST(SignalFftAutoScale, RejectsBadModels) {
  const auto status = [](const std::vector<signal_test::OpTensor>& inputs,
                         const std::vector<signal_test::OpTensor>& outputs) {
    return signal_test::allocate_status(custom_op_model("SignalFftAutoScale", inputs, outputs, {}),
                                        "SignalFftAutoScale", kernel());
  };
  const auto i16 = [](std::vector<int32_t> shape) { return tensor(DataType::kInt16, shape); };
  const auto bits = tensor(DataType::kInt32, {});
  EXPECT_TRUE(status({i16({8})}, {i16({8}), bits}).is_ok());
  expect_error(status({i16({2, 8})}, {i16({2, 8}), bits}), StatusCode::kInvalidModel,
               "input has rank 2, expected 1");
  expect_error(status({i16({8})}, {i16({4}), bits}), StatusCode::kInvalidModel,
               "output has shape [4], expected [8]");
  expect_error(status({i16({8})}, {i16({8}), tensor(DataType::kInt32, {1})}), StatusCode::kInvalidModel,
               "scale_bits output has rank 1, expected 0");
  expect_error(status({i16({8})}, {i16({8}), tensor(DataType::kInt16, {})}), StatusCode::kUnsupported,
               "scale_bits output has unsupported type int16");
  expect_error(status({i16({8})}, {i16({8})}), StatusCode::kInvalidModel, "has 1 outputs, expected 2");
  expect_error(status({tensor(DataType::kInt32, {8})}, {i16({8}), bits}), StatusCode::kUnsupported,
               "input has unsupported type int32");
}

}  // namespace
}  // namespace edgeinfer::testing
