#include "kernels/reference/signal/window.h"

#include <gtest/gtest.h>

#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"

namespace edgeinfer::testing {
namespace {

using signal_test::constant;
using signal_test::custom_op_model;
using signal_test::options;
using signal_test::tensor;

const Kernel& kernel() {
  return reference::signal::window();
}

std::vector<uint8_t> shift_options(int shift) {
  return options([&](flexbuffers::Builder& b) { b.Int("shift", shift); });
}

// Input as the graph input, weights constant (as converted models hold them).
std::vector<int16_t> run_window(const std::vector<int32_t>& shape, const std::vector<int16_t>& input,
                                const std::vector<int16_t>& weights, int shift) {
  const auto model =
      custom_op_model("SignalWindow",
                      {tensor(DataType::kInt16, shape),
                       constant(DataType::kInt16, {static_cast<int32_t>(weights.size())}, weights)},
                      {tensor(DataType::kInt16, shape)}, shift_options(shift));
  const auto outputs = signal_test::run_once(model, "SignalWindow", kernel(), {bytes_of(input)});
  return outputs.empty() ? std::vector<int16_t>{} : values_of<int16_t>(outputs[0]);
}

const std::vector<int16_t> kRamp = {0x000, 0x100, 0x200, 0x300, 0x400, 0x500, 0x600, 0x700,
                                    0x800, 0x900, 0xA00, 0xB00, 0xC00, 0xD00, 0xE00, 0xF00};
const std::vector<int16_t> kFalling = {0xF00, 0xE00, 0xD00, 0xC00, 0xB00, 0xA00, 0x900, 0x800,
                                       0x700, 0x600, 0x500, 0x400, 0x300, 0x200, 0x100, 0x000};
// (i * 256) * ((15 - i) * 256) >> 12 = 16 i (15 - i).
const std::vector<int16_t> kRampGolden = {0,   224, 416, 576, 704, 800, 864, 896,
                                          896, 864, 800, 704, 576, 416, 224, 0};

// TFLM's window_test cases.
TEST(SignalWindow, Length16Shift12) {
  EXPECT_EQ(run_window({1, 16}, kRamp, kFalling, 12), kRampGolden);
}

TEST(SignalWindow, Length32Shift8Saturates) {
  const std::vector<int16_t> input = {1221, 1920, 9531, 2795, 1826, 371,  8446, 850,  3129, 8218, 4199,
                                      8358, 205,  5268, 3263, 2849, 8398, 1381, 6305, 668,  8867, 4651,
                                      9121, 6141, 1961, 3750, 8418, 8085, 3308, 1788, 1608, 4761};
  const std::vector<int16_t> weights = {1323, 764,  9100, 4220, 1745, 9311, 178,  9442, 5676, 1817, 5433,
                                        5837, 7635, 4539, 6548, 9690, 6097, 4275, 1523, 3694, 7506, 2797,
                                        5153, 172,  2172, 4540, 6643, 7845, 1719, 7564, 1700, 5227};
  const std::vector<int16_t> golden = {6310,  5730,  32767, 32767, 12446, 13493, 5872,  31350,
                                       32767, 32767, 32767, 32767, 6113,  32767, 32767, 32767,
                                       32767, 23061, 32767, 9639,  32767, 32767, 32767, 4125,
                                       16637, 32767, 32767, 32767, 22212, 32767, 10678, 32767};
  EXPECT_EQ(run_window({1, 32}, input, weights, 8), golden);
}

TEST(SignalWindow, AppliesToEveryRow) {
  std::vector<int16_t> input;
  std::vector<int16_t> golden;
  for (int row = 0; row < 4; ++row) {
    input.insert(input.end(), kRamp.begin(), kRamp.end());
    golden.insert(golden.end(), kRampGolden.begin(), kRampGolden.end());
  }
  EXPECT_EQ(run_window({2, 2, 16}, input, kFalling, 12), golden);
}

// By hand: the shift is arithmetic (rounds toward minus infinity) and results saturate both ways.
TEST(SignalWindow, ShiftsArithmeticallyAndSaturates) {
  EXPECT_EQ(run_window({4}, {-3, 3, -32768, 32767}, {1, 1, 32767, 32767}, 1),
            (std::vector<int16_t>{-2, 1, -32768, 32767}));
  EXPECT_EQ(run_window({3}, {-32768, -32768, 1}, {-32768, 32767, -1}, 31), (std::vector<int16_t>{0, -1, -1}));
  EXPECT_EQ(run_window({2}, {200, -200}, {200, 200}, 0), (std::vector<int16_t>{32767, -32768}));
}

TEST(SignalWindow, WeightsMayBeAGraphInput) {
  const auto model =
      custom_op_model("SignalWindow", {tensor(DataType::kInt16, {16}), tensor(DataType::kInt16, {16})},
                      {tensor(DataType::kInt16, {16})}, shift_options(12));
  const auto outputs =
      signal_test::run_once(model, "SignalWindow", kernel(), {bytes_of(kRamp), bytes_of(kFalling)});
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(values_of<int16_t>(outputs[0]), kRampGolden);
}

TEST(SignalWindow, MatchesTflmGoldenTensors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(signal_test::expect_golden_ops(shared, "audio_preprocessor_int8", "SignalWindow", kernel()), 1);
  EXPECT_EQ(signal_test::expect_golden_ops(shared, "audio_preprocessor_float", "SignalWindow", kernel()), 1);
}

TEST(SignalWindow, RejectsBadModels) {
  const auto status = [](std::vector<int32_t> in_shape, DataType in_type, std::vector<int32_t> w_shape,
                         std::vector<int32_t> out_shape, std::vector<uint8_t> opts) {
    const auto model =
        custom_op_model("SignalWindow", {tensor(in_type, in_shape), tensor(DataType::kInt16, w_shape)},
                        {tensor(in_type, out_shape)}, opts);
    return signal_test::allocate_status(model, "SignalWindow", kernel());
  };
  const DataType i16 = DataType::kInt16;
  EXPECT_TRUE(status({2, 8}, i16, {8}, {2, 8}, shift_options(31)).is_ok());
  expect_error(status({8}, i16, {8}, {8}, shift_options(32)), StatusCode::kInvalidModel,
               "option shift is 32");
  expect_error(status({8}, i16, {8}, {8}, shift_options(-1)), StatusCode::kInvalidModel,
               "option shift is -1");
  expect_error(status({8}, i16, {8}, {8}, options([](auto& b) { b.Int("shft", 3); })),
               StatusCode::kInvalidModel, "shift");
  expect_error(status({8}, i16, {8}, {8}, {}), StatusCode::kInvalidModel, "");
  expect_error(status({2, 8}, i16, {16}, {2, 8}, shift_options(1)), StatusCode::kInvalidModel,
               "weights have 16 elements, the input's rows 8");
  expect_error(status({2, 8}, i16, {2, 8}, {2, 8}, shift_options(1)), StatusCode::kInvalidModel,
               "weights has rank 2");
  expect_error(status({2, 8}, i16, {8}, {16}, shift_options(1)), StatusCode::kInvalidModel,
               "output has shape");
  expect_error(status({}, i16, {1}, {}, shift_options(1)), StatusCode::kInvalidModel, "input has rank 0");
  expect_error(status({8}, DataType::kFloat32, {8}, {8}, shift_options(1)), StatusCode::kUnsupported,
               "input has unsupported type float32");
}

}  // namespace
}  // namespace edgeinfer::testing
