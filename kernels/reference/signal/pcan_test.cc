#include "kernels/reference/signal/pcan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_math.h"
#include "kernels/reference/signal/signal_test_util.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using testing::bytes_of;
using testing::expect_error;
using testing::values_of;
namespace st = testing::signal_test;

constexpr const char* kOp = "SignalPCAN";
const Kernel& kernel() {
  return reference::signal::pcan();
}

std::vector<uint8_t> shift_option(int64_t snr_shift) {
  return st::options([&](flexbuffers::Builder& b) { b.Int("snr_shift", snr_shift); });
}

// Input and noise estimate are graph inputs, the gain table a constant.
std::vector<uint8_t> model(int32_t channels, const std::vector<int16_t>& lut, int64_t snr_shift) {
  return st::custom_op_model(
      kOp,
      {st::tensor(DataType::kUInt32, {channels}), st::tensor(DataType::kUInt32, {channels}),
       st::constant(DataType::kInt16, {static_cast<int32_t>(lut.size())}, lut)},
      {st::tensor(DataType::kUInt32, {channels})}, shift_option(snr_shift));
}

std::vector<uint32_t> run(const std::vector<uint32_t>& input, const std::vector<uint32_t>& noise,
                          const std::vector<int16_t>& lut, int64_t snr_shift) {
  const auto outputs = st::run_once(model(static_cast<int32_t>(input.size()), lut, snr_shift), kOp, kernel(),
                                    {bytes_of(input), bytes_of(noise)});
  return outputs.empty() ? std::vector<uint32_t>{} : values_of<uint32_t>(outputs[0]);
}

// A table whose entries 0..2 are the gains for noise 0..2 and whose octave 2 (noise 2..3) holds the
// coefficients {1000, 100, 32}.
std::vector<int16_t> small_lut() {
  std::vector<int16_t> lut(reference::signal::kPcanGainLutSize, 0);
  lut[0] = 4096;  // 1.0 in Q12 for noise 0
  lut[1] = -1;
  lut[2] = 1000;
  lut[3] = 100;
  lut[4] = 32;
  return lut;
}

// Noise 0: gain 4096; with snr_shift 6, input 64 gives SNR 64 * 4096 >> 6 = 4096 (1.0 in Q12), shrunk to
// 4096^2 >> 20 = 16; input 256 gives SNR 16384 (4.0), shrunk to (16384 >> 6) - 64 = 192.
// Noise 1: gain -1 widens to 2^32 - 1: input 1 gives SNR (2^32 - 1) >> 6 = 67108863, shrunk to (that >> 6) -
// 64 = 1048511. Noise 3: octave 2, frac = (3 << 9) & 1023 = 512: ((32 * 512 >> 5) + (100 << 5)) * 512 =
// 1900544,
// (+ 2^14) >> 15 = 58, + 1000 = gain 1058; input 64: SNR 1058, shrunk to 1058^2 >> 20 = 1.
TEST(SignalPcan, HandComputed) {
  EXPECT_EQ(run({64, 256, 1, 64}, {0, 0, 1, 3}, small_lut(), 6),
            (std::vector<uint32_t>{16, 192, 1048511, 1}));
}

TEST(SignalPcan, PureFunction) {
  const std::vector<int16_t> lut = small_lut();
  const std::vector<uint32_t> input = {64, 256};
  const std::vector<uint32_t> noise = {0, 0};
  std::vector<uint32_t> out(2);
  reference::signal::pcan_apply(input.data(), noise.data(), lut.data(), 6, 2, out.data());
  EXPECT_EQ(out, (std::vector<uint32_t>{16, 192}));
}

// TFLM's Mix1Ref1Case (signal/micro/kernels/pcan_test.cc).
TEST(SignalPcan, TflmTest) {
  const std::vector<uint32_t> input = {286, 298, 305, 291, 290, 279, 273, 257, 250, 240, 240, 233, 234, 230,
                                       221, 205, 183, 159, 156, 188, 239, 298, 345, 374, 380, 369, 359, 364,
                                       372, 354, 302, 243, 194, 135, 64,  72,  171, 245, 277, 304};
  const std::vector<uint32_t> noise = {7310, 18308, 7796, 17878, 7413, 17141, 6978, 15789, 6390, 14745,
                                       6135, 14314, 5981, 14130, 5649, 12594, 4677, 9768,  3987, 11550,
                                       6109, 18308, 8819, 22977, 9713, 22670, 9176, 22363, 9509, 21748,
                                       7719, 14929, 4959, 8294,  1636, 4423,  4371, 15052, 7080, 18677};
  const std::vector<int16_t> lut = {
      32636, 32633,  32630, -6,     0,     -21589, 32624, -12,    0,     -21589, 32612, -23,    -2,    -21589,
      32587, -48,    0,     -21589, 32539, -96,    0,     -21589, 32443, -190,   0,     -21589, 32253, -378,
      4,     -21589, 31879, -739,   18,    -21589, 31158, -1409,  62,    -21589, 29811, -2567,  202,   -21589,
      27446, -4301,  562,   -21589, 23707, -6265,  1230,  -21589, 18672, -7458,  1952,  -21589, 13166, -7030,
      2212,  -21589, 8348,  -5342,  1868,  -21589, 4874,  -3459,  1282,  -21589, 2697,  -2025,  774,   -21589,
      1446,  -1120,  436,   -21589, 762,   -596,   232,   -21589, 398,   -313,   122,   -21589, 207,   -164,
      64,    -21589, 107,   -85,    34,    -21589, 56,    -45,    18,    -21589, 29,    -22,    8,     -21589,
      15,    -13,    6,     -21589, 8,     -8,     4,     -21589, 4,     -2,     0,     -21589, 2,     -3,
      2,     -21589, 1,     0,      0,     -21589, 1,     -3,     2,     -21589, 0,     0,      0};
  const std::vector<uint32_t> expected = {1301, 836, 1354, 827, 1312, 811, 1263, 779, 1192, 753,
                                          1160, 743, 1140, 738, 1096, 698, 956,  607, 845,  667,
                                          1157, 836, 1461, 912, 1546, 908, 1496, 904, 1527, 895,
                                          1346, 758, 999,  548, 378,  344, 908,  761, 1274, 843};
  EXPECT_EQ(run(input, noise, lut, 6), expected);
}

// Noise estimates up to 2^32 - 1 use the table's last octave (entries 122..124); nothing reads beyond it.
TEST(SignalPcan, LargestNoiseUsesTheLastOctave) {
  std::vector<int16_t> lut(reference::signal::kPcanGainLutSize, 0);
  lut[122] = 4096;
  // Noise 2^31 .. 2^32 - 1 is octave 32; frac terms are 0 as entries 123 and 124 are.
  EXPECT_EQ(run({64, 64}, {0x80000000u, 0xFFFFFFFFu}, lut, 6), (std::vector<uint32_t>{16, 16}));
}

TEST(SignalPcan, RejectsBadTensorsAndOptions) {
  const auto lut = small_lut();
  expect_error(st::allocate_status(model(4, lut, 64), kOp, kernel()), StatusCode::kInvalidModel,
               "snr_shift is 64");
  expect_error(st::allocate_status(model(4, lut, -1), kOp, kernel()), StatusCode::kInvalidModel,
               "snr_shift is -1");
  const std::vector<int16_t> short_lut(124, 0);
  expect_error(st::allocate_status(model(4, short_lut, 6), kOp, kernel()), StatusCode::kInvalidModel,
               "gain_lut has 124 elements, the gain interpolation needs at least 125");

  auto status = [&](std::vector<st::OpTensor> inputs, std::vector<st::OpTensor> outputs,
                    std::vector<uint8_t> options) {
    return st::allocate_status(st::custom_op_model(kOp, inputs, outputs, options), kOp, kernel());
  };
  const auto u32 = [](std::vector<int32_t> shape) { return st::tensor(DataType::kUInt32, shape); };
  const auto table = st::constant(DataType::kInt16, {125}, lut);
  EXPECT_TRUE(status({u32({4}), u32({4}), table}, {u32({4})}, shift_option(6)).is_ok());
  EXPECT_TRUE(status({u32({4}), u32({5}), table}, {u32({4})}, shift_option(6)).is_ok());
  expect_error(status({u32({4}), u32({3}), table}, {u32({4})}, shift_option(6)), StatusCode::kInvalidModel,
               "noise estimate has 3 elements, the input needs at least 4");
  expect_error(status({u32({4}), u32({4}), table}, {u32({3})}, shift_option(6)), StatusCode::kInvalidModel,
               "output has 3 elements, the input gives 4");
  expect_error(status({u32({1, 4}), u32({4}), table}, {u32({4})}, shift_option(6)), StatusCode::kInvalidModel,
               "input has rank 2");
  expect_error(status({u32({4}), st::tensor(DataType::kInt32, {4}), table}, {u32({4})}, shift_option(6)),
               StatusCode::kUnsupported, "noise estimate has unsupported type int32");
  expect_error(status({u32({4}), u32({4}), st::constant(DataType::kInt32, {125}, std::vector<int32_t>(125))},
                      {u32({4})}, shift_option(6)),
               StatusCode::kUnsupported, "gain_lut has unsupported type int32");
  expect_error(status({u32({4}), u32({4}), table}, {st::tensor(DataType::kInt16, {4})}, shift_option(6)),
               StatusCode::kUnsupported, "output has unsupported type int16");
  expect_error(status({u32({4}), u32({4}), table}, {u32({4})},
                      st::options([](flexbuffers::Builder& b) { b.Int("shift", 6); })),
               StatusCode::kInvalidModel, "snr_shift");
  expect_error(status({u32({4}), u32({4})}, {u32({4})}, shift_option(6)), StatusCode::kInvalidModel,
               "has 2 inputs, expected 3");
}

TEST(SignalPcan, MatchesTflmOnTheAudioPreprocessors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_int8", kOp, kernel()), 1);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_float", kOp, kernel()), 1);
}

}  // namespace
}  // namespace edgeinfer
