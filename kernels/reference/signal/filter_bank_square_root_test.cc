#include "kernels/reference/signal/filter_bank_square_root.h"

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

constexpr const char* kOp = "SignalFilterBankSquareRoot";
const Kernel& kernel() {
  return reference::signal::filter_bank_square_root();
}

std::vector<uint8_t> model(int32_t channels, int32_t scale_bits) {
  return st::custom_op_model(kOp,
                             {st::tensor(DataType::kUInt64, {channels}),
                              st::constant(DataType::kInt32, {}, std::vector<int32_t>{scale_bits})},
                             {st::tensor(DataType::kUInt32, {channels})}, {});
}

std::vector<uint32_t> run(const std::vector<uint64_t>& input, int32_t scale_bits) {
  const auto outputs =
      st::run_once(model(static_cast<int32_t>(input.size()), scale_bits), kOp, kernel(), {bytes_of(input)});
  return outputs.empty() ? std::vector<uint32_t>{} : values_of<uint32_t>(outputs[0]);
}

// The root rounds up when the remainder x - r^2 exceeds r (i.e. x > (r + 1/2)^2), except at the largest root
// the 32-bit (below 2^32) or 64-bit path can return.
TEST(SignalFilterBankSquareRoot, HandComputedRoots) {
  const std::vector<uint64_t> input = {0,
                                       1,
                                       2,
                                       3,
                                       4,
                                       15,
                                       16,
                                       17,
                                       99,
                                       90,
                                       91,
                                       0xFFFFFFFFull,
                                       uint64_t{1} << 32,
                                       ~uint64_t{0},
                                       0x100000000ull + 0x10000ull};
  // 90: r = 9, remainder 9 (not > 9); 91: remainder 10. 2^32 + 2^16: r = 65536, remainder 65536 (not > r).
  const std::vector<uint32_t> expected = {0,  1, 1,  2,     2,     4,           4,    4,
                                          10, 9, 10, 65535, 65536, 0xFFFFFFFFu, 65536};
  EXPECT_EQ(run(input, 0), expected);
}

TEST(SignalFilterBankSquareRoot, ScaleBitsShiftTheRoot) {
  // sqrt(10^10) = 100000; >> 7 = 781; a 31-bit shift leaves only the top bit.
  EXPECT_EQ(run({10000000000ull, 10000000000ull}, 7), (std::vector<uint32_t>{781, 781}));
  EXPECT_EQ(run({~uint64_t{0}, 1ull << 60}, 31), (std::vector<uint32_t>{1, 0}));
}

// TFLM's FilterBankSquareRoot32Channel and 16Channel cases.
TEST(SignalFilterBankSquareRoot, TflmTests) {
  EXPECT_EQ(
      run({10528000193, 28362909357, 47577133750, 8466055850, 5842710800, 2350911449, 2989811430, 2646718839,
           515262774,   276394561,   469831522,   55815334,   28232446,   11591835,   40329249,   67658028,
           183446654,   323189165,   117473797,   41339272,   25846050,   12428673,   18670978,   22521722,
           78477733,    54207503,    25150296,    43098592,   28211625,   15736687,   20990296,   17907031},
          7),
      (std::vector<uint32_t>{801, 1315, 1704, 718, 597, 378, 427, 401, 177, 129, 169, 58, 41, 26, 49, 64,
                             105, 140,  84,   50,  39,  27,  33,  37,  69,  57,  39,  51, 41, 30, 35, 33}));
  EXPECT_EQ(run({13051415151, 14932650877, 18954728418, 8730126017, 6529665275, 12952546517, 10314975609,
                 8919697835, 8053663348, 17231208421, 7366899760, 1372112200, 19953434807, 17012385332,
                 4710443222, 17765594053},
                5),
            (std::vector<uint32_t>{3570, 3818, 4302, 2919, 2525, 3556, 3173, 2951, 2804, 4102, 2682, 1157,
                                   4414, 4076, 2144, 4165}));
}

TEST(SignalFilterBankSquareRoot, PureFunction) {
  const std::vector<uint64_t> input = {16, 1u << 20, 0};
  std::vector<uint32_t> out(3);
  reference::signal::filter_bank_sqrt(input.data(), 3, 2, out.data());
  EXPECT_EQ(out, (std::vector<uint32_t>{1, 256, 0}));
}

// A shift computed by the graph is checked when it is known: in eval.
TEST(SignalFilterBankSquareRoot, ScaleBitsFromTheGraph) {
  const auto bytes =
      st::custom_op_model(kOp, {st::tensor(DataType::kUInt64, {2}), st::tensor(DataType::kInt32, {})},
                          {st::tensor(DataType::kUInt32, {2})}, {});
  st::Session session;
  ASSERT_TRUE(session.open(bytes, kOp, kernel()).is_ok());
  session.set_input<uint64_t>(0, {64, 1u << 20});
  session.set_input<int32_t>(1, {1});
  ASSERT_TRUE(session.invoke().is_ok());
  EXPECT_EQ(session.output<uint32_t>(0), (std::vector<uint32_t>{4, 512}));
  session.set_input<int32_t>(1, {32});
  expect_error(session.invoke(), StatusCode::kInvalidModel, "scale_bits is 32, expected 0 to 31");
  session.set_input<int32_t>(1, {-1});
  expect_error(session.invoke(), StatusCode::kInvalidModel, "scale_bits is -1");
}

TEST(SignalFilterBankSquareRoot, RejectsBadTensors) {
  expect_error(st::allocate_status(model(4, 32), kOp, kernel()), StatusCode::kInvalidModel,
               "scale_bits is 32, expected 0 to 31");
  expect_error(st::allocate_status(model(4, -3), kOp, kernel()), StatusCode::kInvalidModel,
               "scale_bits is -3");
  auto status = [&](std::vector<st::OpTensor> inputs, std::vector<st::OpTensor> outputs) {
    return st::allocate_status(st::custom_op_model(kOp, inputs, outputs, {}), kOp, kernel());
  };
  const auto in = st::tensor(DataType::kUInt64, {4});
  const auto bits = st::constant(DataType::kInt32, {}, std::vector<int32_t>{3});
  const auto out = st::tensor(DataType::kUInt32, {4});
  EXPECT_TRUE(status({in, bits}, {out}).is_ok());
  expect_error(status({st::tensor(DataType::kUInt32, {4}), bits}, {out}), StatusCode::kUnsupported,
               "input has unsupported type uint32");
  expect_error(status({st::tensor(DataType::kUInt64, {2, 2}), bits}, {out}), StatusCode::kInvalidModel,
               "input has rank 2");
  expect_error(status({in, st::constant(DataType::kInt32, {1}, std::vector<int32_t>{3})}, {out}),
               StatusCode::kInvalidModel, "scale_bits has rank 1, expected 0");
  expect_error(status({in, st::constant(DataType::kInt16, {}, std::vector<int16_t>{3})}, {out}),
               StatusCode::kUnsupported, "scale_bits has unsupported type int16");
  expect_error(status({in, bits}, {st::tensor(DataType::kUInt32, {5})}), StatusCode::kInvalidModel,
               "output has 5 elements, the input gives 4");
  expect_error(status({in, bits}, {st::tensor(DataType::kUInt64, {4})}), StatusCode::kUnsupported,
               "output has unsupported type uint64");
  expect_error(status({in}, {out}), StatusCode::kInvalidModel, "has 1 inputs, expected 2");
}

TEST(SignalFilterBankSquareRoot, MatchesTflmOnTheAudioPreprocessors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_int8", kOp, kernel()), 1);
  EXPECT_EQ(st::expect_golden_ops(shared, "audio_preprocessor_float", kOp, kernel()), 1);
}

}  // namespace
}  // namespace edgeinfer
