#include "kernels/reference/signal/filter_bank_spectral_subtraction.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using testing::expect_error;
namespace st = testing::signal_test;

constexpr const char* kOp = "SignalFilterBankSpectralSubtraction";
const Kernel& kernel() {
  return reference::signal::filter_bank_spectral_subtraction();
}

struct Options {
  int64_t num_channels = 2;
  int64_t smoothing = 1 << 13;  // 0.5 in units of 2^-14
  int64_t one_minus_smoothing = 1 << 13;
  int64_t alternate_smoothing = 1 << 14;  // 1.0: odd channels follow the signal
  int64_t alternate_one_minus_smoothing = 0;
  int64_t min_signal_remaining = 1 << 12;  // 0.25
  int64_t smoothing_bits = 0;
  int64_t spectral_subtraction_bits = 14;
  bool clamping = false;
  const char* omit = nullptr;  // a key to leave out

  std::vector<uint8_t> bytes() const {
    return st::options([&](flexbuffers::Builder& b) {
      auto put = [&](const char* key, int64_t v) {
        if (omit == nullptr || std::string(omit) != key) b.Int(key, v);
      };
      put("alternate_one_minus_smoothing", alternate_one_minus_smoothing);
      put("alternate_smoothing", alternate_smoothing);
      if (omit == nullptr || std::string(omit) != "clamping") b.Bool("clamping", clamping);
      put("min_signal_remaining", min_signal_remaining);
      put("num_channels", num_channels);
      put("one_minus_smoothing", one_minus_smoothing);
      put("smoothing", smoothing);
      put("smoothing_bits", smoothing_bits);
      put("spectral_subtraction_bits", spectral_subtraction_bits);
    });
  }
};

std::vector<uint8_t> model(const Options& options, int32_t input_size, int32_t output_size,
                           int32_t noise_size) {
  return st::custom_op_model(
      kOp, {st::tensor(DataType::kUInt32, {input_size})},
      {st::tensor(DataType::kUInt32, {output_size}), st::tensor(DataType::kUInt32, {noise_size})},
      options.bytes());
}

std::vector<uint8_t> model(const Options& options) {
  const auto n = static_cast<int32_t>(options.num_channels);
  return model(options, n, n, n);
}

// Runs consecutive invokes of one allocated op; returns {output, noise estimate} per invoke.
std::vector<std::pair<std::vector<uint32_t>, std::vector<uint32_t>>> run(
    const Options& options, const std::vector<std::vector<uint32_t>>& inputs) {
  st::Session session;
  const Status opened = session.open(model(options), kOp, kernel());
  EXPECT_TRUE(opened.is_ok()) << opened.message();
  std::vector<std::pair<std::vector<uint32_t>, std::vector<uint32_t>>> results;
  if (!opened.is_ok()) return results;
  for (const auto& input : inputs) {
    session.set_input(0, input);
    const Status invoked = session.invoke();
    EXPECT_TRUE(invoked.is_ok()) << invoked.message();
    results.push_back({session.output<uint32_t>(0), session.output<uint32_t>(1)});
  }
  return results;
}

using Pair = std::pair<std::vector<uint32_t>, std::vector<uint32_t>>;

// Channel 0 smooths with 1/2, channel 1 (odd: the alternate coefficients) takes the signal as its estimate.
//   1: {100, 100}: estimates (100/2, 100) = {50, 100}; outputs 100 - 50 = 50 and max(0, floor 25) = 25.
//   2: {40, 200}:  estimate 0 = (40 + 50) / 2 = 45 > 40, so the subtraction uses 40 and gives the floor 10;
//                  without clamping the estimate stays 45. Channel 1: 200, output floor 50.
//   3: {40, 0}:    estimate 0 = (40 + 45) / 2 = 42 (truncated) > 40: floor 10. Channel 1: 0 and 0.
TEST(SignalFilterBankSpectralSubtraction, HandComputedInvokes) {
  const auto results = run(Options(), {{100, 100}, {40, 200}, {40, 0}});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0], (Pair{{50, 25}, {50, 100}}));
  EXPECT_EQ(results[1], (Pair{{10, 50}, {45, 200}}));
  EXPECT_EQ(results[2], (Pair{{10, 0}, {42, 0}}));
}

// With clamping the estimate is pulled down to the signal: invoke 2 leaves 40, invoke 3 (40 + 40) / 2 = 40.
TEST(SignalFilterBankSpectralSubtraction, ClampingPullsTheEstimateDown) {
  Options options;
  options.clamping = true;
  const auto results = run(options, {{100, 100}, {40, 200}, {40, 0}});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0], (Pair{{50, 25}, {50, 100}}));
  EXPECT_EQ(results[1], (Pair{{10, 50}, {40, 200}}));
  EXPECT_EQ(results[2], (Pair{{10, 0}, {40, 0}}));
}

// smoothing_bits keeps extra fractional bits in the estimate: 101 << 2 = 404, estimate 202 (50.5 in signal
// units), output (404 - 202) >> 2 = 50; without them the estimate truncates to 50 and the output is 51.
TEST(SignalFilterBankSpectralSubtraction, SmoothingBits) {
  Options options;
  options.num_channels = 1;
  EXPECT_EQ(run(options, {{101}})[0], (Pair{{51}, {50}}));
  options.smoothing_bits = 2;
  EXPECT_EQ(run(options, {{101}})[0], (Pair{{50}, {202}}));
}

// Products are formed in uint64 and the estimate truncated to uint32.
TEST(SignalFilterBankSpectralSubtraction, LargeValues) {
  Options options;
  options.num_channels = 1;
  options.smoothing = -1;  // reinterpreted as 2^32 - 1
  options.one_minus_smoothing = 0;
  options.min_signal_remaining = 0;
  options.spectral_subtraction_bits = 0;
  // Estimate (2^32 - 1)^2 mod 2^32 = 1; output 0xFFFFFFFF - 1.
  EXPECT_EQ(run(options, {{0xFFFFFFFFu}})[0], (Pair{{0xFFFFFFFEu}, {1}}));
}

// TFLM's 32- and 16-channel cases (smoothing 655, one minus 15729, min remaining 819 at 14 bits).
Options tflm_options(int64_t channels) {
  Options o;
  o.num_channels = channels;
  o.smoothing = o.alternate_smoothing = 655;
  o.one_minus_smoothing = o.alternate_one_minus_smoothing = 15729;
  o.min_signal_remaining = 819;
  o.smoothing_bits = 0;
  o.spectral_subtraction_bits = 14;
  o.clamping = false;
  return o;
}

TEST(SignalFilterBankSpectralSubtraction, TflmTests) {
  const auto r32 =
      run(tflm_options(32), {{322, 308, 210, 212, 181, 251, 403, 259, 65, 48, 76, 48, 50, 46,  53,  52,
                              112, 191, 136, 59,  70,  51,  39,  64,  33, 44, 41, 49, 74, 107, 262, 479}});
  ASSERT_EQ(r32.size(), 1u);
  EXPECT_EQ(r32[0].first, (std::vector<uint32_t>{310, 296, 202, 204, 174, 241, 387, 249, 63,  47, 73,
                                                 47,  49,  45,  51,  50,  108, 184, 131, 57,  68, 49,
                                                 38,  62,  32,  43,  40,  48,  72,  103, 252, 460}));
  EXPECT_EQ(r32[0].second, (std::vector<uint32_t>{12, 12, 8, 8, 7, 10, 16, 10, 2, 1, 3, 1, 1, 1, 2,  2,
                                                  4,  7,  5, 2, 2, 2,  1,  2,  1, 1, 1, 1, 2, 4, 10, 19}));
  const auto r16 =
      run(tflm_options(16), {{393, 213, 408, 1, 361, 385, 386, 326, 170, 368, 368, 305, 152, 322, 213, 319}});
  ASSERT_EQ(r16.size(), 1u);
  EXPECT_EQ(r16[0].first, (std::vector<uint32_t>{378, 205, 392, 1, 347, 370, 371, 313, 164, 354, 354, 293,
                                                 146, 310, 205, 307}));
  EXPECT_EQ(r16[0].second,
            (std::vector<uint32_t>{15, 8, 16, 0, 14, 15, 15, 13, 6, 14, 14, 12, 6, 12, 8, 12}));
}

// The estimate persists: a second invoke on TFLM's 16-channel input smooths from the first estimate, e.g.
// channel 0: (393 * 655 + 15 * 15729) >> 14 = 30.
TEST(SignalFilterBankSpectralSubtraction, EstimatePersistsAcrossInvokes) {
  const std::vector<uint32_t> input = {393, 213, 408, 1,   361, 385, 386, 326,
                                       170, 368, 368, 305, 152, 322, 213, 319};
  const auto results = run(tflm_options(16), {input, input});
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].second[0], 30u);
  EXPECT_EQ(results[1].first[0], 393u - 30u);
  for (size_t i = 0; i < input.size(); ++i) {
    const uint32_t expected =
        static_cast<uint32_t>((uint64_t{input[i]} * 655 + uint64_t{results[0].second[i]} * 15729) >> 14);
    EXPECT_EQ(results[1].second[i], expected) << "channel " << i;
  }
}

// Interpreter::reset_state() zeroes the estimate, so the next invoke repeats the first (TFLM's Reset tests).
TEST(SignalFilterBankSpectralSubtraction, ResetStateStartsOver) {
  st::Session session;
  ASSERT_TRUE(session.open(model(Options()), kOp, kernel()).is_ok());
  for (int round = 0; round < 2; ++round) {
    session.set_input<uint32_t>(0, {100, 100});
    ASSERT_TRUE(session.invoke().is_ok());
    EXPECT_EQ(session.output<uint32_t>(0), (std::vector<uint32_t>{50, 25})) << "round " << round;
    EXPECT_EQ(session.output<uint32_t>(1), (std::vector<uint32_t>{50, 100})) << "round " << round;
    session.set_input<uint32_t>(0, {40, 200});
    ASSERT_TRUE(session.invoke().is_ok());
    EXPECT_EQ(session.output<uint32_t>(1), (std::vector<uint32_t>{45, 200})) << "round " << round;
    ASSERT_TRUE(session.interpreter().reset_state().is_ok());
  }
}

TEST(SignalFilterBankSpectralSubtraction, PureFunction) {
  reference::signal::SpectralSubtractionParams p;
  p.num_channels = 2;
  p.smoothing = p.one_minus_smoothing = 1 << 13;
  p.alternate_smoothing = 1 << 14;
  p.min_signal_remaining = 1 << 12;
  p.spectral_subtraction_bits = 14;
  const std::vector<uint32_t> input = {100, 100};
  std::vector<uint32_t> output(2), noise(2, 0);
  reference::signal::spectral_subtraction(p, input.data(), output.data(), noise.data());
  EXPECT_EQ(output, (std::vector<uint32_t>{50, 25}));
  EXPECT_EQ(noise, (std::vector<uint32_t>{50, 100}));
}

// TFLM copies out as many estimates as the noise output holds and ignores input beyond num_channels.
TEST(SignalFilterBankSpectralSubtraction, ShorterNoiseOutputAndLongerInput) {
  st::Session session;
  ASSERT_TRUE(session.open(model(Options(), 3, 2, 1), kOp, kernel()).is_ok());
  session.set_input<uint32_t>(0, {100, 100, 7});
  ASSERT_TRUE(session.invoke().is_ok());
  EXPECT_EQ(session.output<uint32_t>(0), (std::vector<uint32_t>{50, 25}));
  EXPECT_EQ(session.output<uint32_t>(1), (std::vector<uint32_t>{50}));
}

TEST(SignalFilterBankSpectralSubtraction, RejectsBadOptions) {
  auto status = [](const Options& o) { return st::allocate_status(model(o, 2, 2, 2), kOp, kernel()); };
  Options o;
  EXPECT_TRUE(status(o).is_ok());
  o.num_channels = 0;
  expect_error(status(o), StatusCode::kInvalidModel, "num_channels");
  o = Options();
  o.num_channels = -1;
  expect_error(status(o), StatusCode::kInvalidModel, "num_channels");
  o = Options();
  o.smoothing_bits = 32;
  expect_error(status(o), StatusCode::kInvalidModel, "smoothing_bits is 32");
  o = Options();
  o.spectral_subtraction_bits = 64;
  expect_error(status(o), StatusCode::kInvalidModel, "spectral_subtraction_bits is 64");
  o = Options();
  o.smoothing = int64_t{1} << 40;
  expect_error(status(o), StatusCode::kInvalidModel, "smoothing");
  for (const char* key : {"num_channels", "smoothing", "one_minus_smoothing", "alternate_smoothing",
                          "alternate_one_minus_smoothing", "min_signal_remaining", "smoothing_bits",
                          "spectral_subtraction_bits", "clamping"}) {
    o = Options();
    o.omit = key;
    expect_error(status(o), StatusCode::kInvalidModel, key);
  }
}

TEST(SignalFilterBankSpectralSubtraction, RejectsBadTensors) {
  const Options o;  // two channels
  auto status = [&](std::vector<st::OpTensor> inputs, std::vector<st::OpTensor> outputs) {
    return st::allocate_status(st::custom_op_model(kOp, inputs, outputs, o.bytes()), kOp, kernel());
  };
  const auto u32 = [](std::vector<int32_t> shape) { return st::tensor(DataType::kUInt32, shape); };
  EXPECT_TRUE(status({u32({2})}, {u32({2}), u32({2})}).is_ok());
  expect_error(status({u32({1})}, {u32({2}), u32({2})}), StatusCode::kInvalidModel,
               "input has 1 elements, num_channels needs at least 2");
  expect_error(status({u32({2})}, {u32({3}), u32({2})}), StatusCode::kInvalidModel,
               "output has 3 elements, num_channels gives 2");
  expect_error(status({u32({2})}, {u32({2}), u32({3})}), StatusCode::kInvalidModel,
               "noise estimate output has 3 elements, more than num_channels 2");
  expect_error(status({u32({1, 2})}, {u32({2}), u32({2})}), StatusCode::kInvalidModel, "input has rank 2");
  expect_error(status({st::tensor(DataType::kInt32, {2})}, {u32({2}), u32({2})}), StatusCode::kUnsupported,
               "input has unsupported type int32");
  expect_error(status({u32({2})}, {st::tensor(DataType::kInt16, {2}), u32({2})}), StatusCode::kUnsupported,
               "output has unsupported type int16");
  expect_error(status({u32({2})}, {u32({2}), st::tensor(DataType::kUInt64, {2})}), StatusCode::kUnsupported,
               "noise estimate output has unsupported type");
  expect_error(status({u32({2})}, {u32({2})}), StatusCode::kInvalidModel, "has 1 outputs, expected 2");
}

TEST(SignalFilterBankSpectralSubtraction, MatchesTflmOnTheAudioPreprocessors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_int8", kOp, kernel()), 1);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_float", kOp, kernel()), 1);
}

}  // namespace
}  // namespace edgeinfer
