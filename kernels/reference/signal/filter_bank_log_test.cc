#include "kernels/reference/signal/filter_bank_log.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"
#include "tests/support/shared_data.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using testing::bytes_of;
using testing::expect_error;
using testing::values_of;
namespace st = testing::signal_test;

constexpr const char* kOp = "SignalFilterBankLog";
const Kernel& kernel() {
  return reference::signal::filter_bank_log();
}

std::vector<uint8_t> log_options(int64_t correction_bits, int64_t output_scale) {
  return st::options([&](flexbuffers::Builder& b) {
    b.Int("input_correction_bits", correction_bits);
    b.Int("output_scale", output_scale);
  });
}

std::vector<int16_t> run(const std::vector<uint32_t>& input, int64_t correction_bits, int64_t output_scale) {
  const auto n = static_cast<int32_t>(input.size());
  const auto model =
      st::custom_op_model(kOp, {st::tensor(DataType::kUInt32, {n})}, {st::tensor(DataType::kInt16, {n})},
                          log_options(correction_bits, output_scale));
  const auto outputs = st::run_once(model, kOp, kernel(), {bytes_of(input)});
  return outputs.empty() ? std::vector<int16_t>{} : values_of<int16_t>(outputs[0]);
}

// Powers of two have an exact log2 (no table correction): ln(x) in Q16 is 45426 * log2(x) (ln 2 = 45426 /
// 2^16).
//   x = 2:    (1000 * 45426 + 2^15) >> 16 = 693          (1000 ln 2 = 693.1)
//   x = 2^16: ln in Q16 = 45426 * 16 = 726816; (1000 * 726816 + 2^15) >> 16 = 11090   (11090.4)
// 2^32 - 1: log2 = 31 + 65535 / 2^16 plus the last segment's correction 142 - 2 (interpolated toward 0):
// 2097291 in Q16; ln = (45426 * 2097291 + 2^15) >> 16 = 1453728; (1000 * 1453728 + 2^15) >> 16 = 22182.
// 0 and 1 give 0; large logs saturate at 32767.
TEST(SignalFilterBankLog, HandComputed) {
  EXPECT_EQ(run({0, 1, 2, 65536, 0xFFFFFFFFu}, 0, 1000), (std::vector<int16_t>{0, 0, 693, 11090, 22182}));
  // Scale 50000: 50000 * 45426 = 2271300000 still fits uint32; (that + 2^15) >> 16 = 34657 saturates.
  EXPECT_EQ(run({2, 3}, 0, 50000), (std::vector<int16_t>{32767, 32767}));
  // Scale 100000 wraps: 100000 * 45426 mod 2^32 = 247632704; (that + 2^15) >> 16 = 3779.
  EXPECT_EQ(run({2}, 0, 100000), (std::vector<int16_t>{3779}));
  // The correction shift applies first: 1 << 1 = 2.
  EXPECT_EQ(run({1, 0}, 1, 1000), (std::vector<int16_t>{693, 0}));
}

// output_scale * ln(x) * 2^16 is formed in uint32 and wraps: for x = 2^16 and scale 2^16 it is
// 726816 * 2^16 mod 2^32 = 5920 * 2^16, so the result is 5920 rather than a saturated 32767.
TEST(SignalFilterBankLog, ScaledLogWrapsInUint32) {
  EXPECT_EQ(run({65536}, 0, 65536), (std::vector<int16_t>{5920}));
  // A negative scale is reinterpreted as uint32: ((2^32 - 1) * 45426 mod 2^32 + 2^15) >> 16 = 65535,
  // saturated.
  EXPECT_EQ(run({2}, 0, -1), (std::vector<int16_t>{32767}));
}

TEST(SignalFilterBankLog, PureFunction) {
  const std::vector<uint32_t> input = {2, 1};
  std::vector<int16_t> out(2);
  reference::signal::filter_bank_log_apply(input.data(), 2, 1000, 0, out.data());
  EXPECT_EQ(out, (std::vector<int16_t>{693, 0}));
}

// TFLM's FilterBankLogTest32Channel and 16Channel (the latter wraps for most channels, see above).
TEST(SignalFilterBankLog, TflmTests) {
  EXPECT_EQ(run({29, 21, 29, 40, 19, 11, 13, 23, 13, 11, 25, 17, 5,  4,  46, 14,
                 17, 14, 20, 14, 10, 10, 15, 11, 17, 12, 15, 16, 19, 18, 6,  2},
                3, 1600),
            (std::vector<int16_t>{8715, 8198, 8715, 9229, 8038, 7164, 7431, 8344, 7431, 7164, 8477,
                                  7860, 5902, 5545, 9453, 7550, 7860, 7550, 8120, 7550, 7011, 7011,
                                  7660, 7164, 7860, 7303, 7660, 7763, 8038, 7952, 6194, 4436}));
  EXPECT_EQ(run({48, 20, 19, 24, 35, 47, 23, 30, 31, 10, 48, 21, 46, 14, 18, 27}, 5, 32768),
            (std::vector<int16_t>{32767, 15121, 13440, 21095, 32767, 32767, 19701, 28407, 29482, 32767, 32767,
                                  16720, 32767, 3434, 11669, 24955}));
}

TEST(SignalFilterBankLog, RejectsBadTensorsAndOptions) {
  auto status = [&](std::vector<st::OpTensor> inputs, std::vector<st::OpTensor> outputs,
                    std::vector<uint8_t> options) {
    return st::allocate_status(st::custom_op_model(kOp, inputs, outputs, options), kOp, kernel());
  };
  const auto in = st::tensor(DataType::kUInt32, {4});
  const auto out = st::tensor(DataType::kInt16, {4});
  EXPECT_TRUE(status({in}, {out}, log_options(3, 1600)).is_ok());
  expect_error(status({in}, {out}, log_options(32, 1600)), StatusCode::kInvalidModel,
               "input_correction_bits is 32");
  expect_error(status({in}, {out}, log_options(-1, 1600)), StatusCode::kInvalidModel,
               "input_correction_bits is -1");
  expect_error(status({in}, {out}, log_options(3, int64_t{1} << 33)), StatusCode::kInvalidModel,
               "output_scale");
  expect_error(status({in}, {out}, st::options([](flexbuffers::Builder& b) { b.Int("output_scale", 1); })),
               StatusCode::kInvalidModel, "input_correction_bits");
  expect_error(
      status({in}, {out}, st::options([](flexbuffers::Builder& b) { b.Int("input_correction_bits", 1); })),
      StatusCode::kInvalidModel, "output_scale");
  expect_error(status({in}, {st::tensor(DataType::kInt16, {5})}, log_options(3, 1600)),
               StatusCode::kInvalidModel, "output has 5 elements, the input gives 4");
  expect_error(status({st::tensor(DataType::kUInt32, {2, 2})}, {out}, log_options(3, 1600)),
               StatusCode::kInvalidModel, "input has rank 2");
  expect_error(status({st::tensor(DataType::kUInt64, {4})}, {out}, log_options(3, 1600)),
               StatusCode::kUnsupported, "input has unsupported type uint64");
  expect_error(status({in}, {st::tensor(DataType::kInt32, {4})}, log_options(3, 1600)),
               StatusCode::kUnsupported, "output has unsupported type int32");
  expect_error(status({in, in}, {out}, log_options(3, 1600)), StatusCode::kInvalidModel, "has 2 inputs");
}

TEST(SignalFilterBankLog, MatchesTflmOnTheAudioPreprocessors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_int8", kOp, kernel()), 1);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_float", kOp, kernel()), 1);
}

}  // namespace
}  // namespace edgeinfer
