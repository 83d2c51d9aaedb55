#include "kernels/reference/signal/energy.h"

#include <gtest/gtest.h>

#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"

namespace edgeinfer::testing {
namespace {

using signal_test::custom_op_model;
using signal_test::options;
using signal_test::tensor;

const Kernel& kernel() {
  return reference::signal::energy();
}

std::vector<uint8_t> range_options(int start, int end) {
  return options([&](flexbuffers::Builder& b) {
    b.Int("end_index", end);
    b.Int("start_index", start);
  });
}

std::vector<uint32_t> run_energy(const std::vector<int16_t>& input, int start, int end) {
  const int32_t n = static_cast<int32_t>(input.size());
  const auto model = custom_op_model("SignalEnergy", {tensor(DataType::kInt16, {n})},
                                     {tensor(DataType::kUInt32, {n / 2})}, range_options(start, end));
  const auto outputs = signal_test::run_once(model, "SignalEnergy", kernel(), {bytes_of(input)});
  return outputs.empty() ? std::vector<uint32_t>{} : values_of<uint32_t>(outputs[0]);
}

const std::vector<int16_t> kBins = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

// TFLM's energy_test cases: 1^2 + 2^2 = 5, 3^2 + 4^2 = 25, ...; bins outside the range are zero.
TEST(SignalEnergy, Middle) {
  EXPECT_EQ(run_energy(kBins, 2, 4), (std::vector<uint32_t>{0, 0, 61, 113, 0, 0, 0, 0}));
}
TEST(SignalEnergy, Start) {
  EXPECT_EQ(run_energy(kBins, 0, 4), (std::vector<uint32_t>{5, 25, 61, 113, 0, 0, 0, 0}));
}
TEST(SignalEnergy, End) {
  EXPECT_EQ(run_energy(kBins, 4, 8), (std::vector<uint32_t>{0, 0, 0, 0, 181, 265, 365, 481}));
}
TEST(SignalEnergy, EmptyRange) {
  EXPECT_EQ(run_energy(kBins, 3, 3), (std::vector<uint32_t>(8, 0)));
}

// By hand: negative parts square positive; (-32768)^2 * 2 = 2^31 still fits uint32.
TEST(SignalEnergy, FullScaleBins) {
  EXPECT_EQ(run_energy({-32768, -32768, 32767, -32768, -3, 4}, 0, 3),
            (std::vector<uint32_t>{2147483648u, 2147418113u, 25}));
}

TEST(SignalEnergy, MatchesTflmGoldenTensors) {
  EI_REQUIRE_SHARED_DIR(shared);
  EXPECT_EQ(signal_test::expect_golden_ops(shared, "audio_preprocessor_int8", "SignalEnergy", kernel()), 1);
  EXPECT_EQ(signal_test::expect_golden_ops(shared, "audio_preprocessor_float", "SignalEnergy", kernel()), 1);
}

TEST(SignalEnergy, RejectsBadModels) {
  const auto status = [](std::vector<int32_t> in_shape, DataType out_type, std::vector<int32_t> out_shape,
                         std::vector<uint8_t> opts) {
    const auto model = custom_op_model("SignalEnergy", {tensor(DataType::kInt16, in_shape)},
                                       {tensor(out_type, out_shape)}, opts);
    return signal_test::allocate_status(model, "SignalEnergy", kernel());
  };
  const DataType u32 = DataType::kUInt32;
  EXPECT_TRUE(status({514}, u32, {257}, range_options(5, 241)).is_ok());
  EXPECT_TRUE(status({514}, u32, {257}, range_options(0, 257)).is_ok());
  expect_error(status({514}, u32, {257}, range_options(5, 258)), StatusCode::kInvalidModel,
               "option end_index is 258, expected 5 to 257");
  expect_error(status({514}, u32, {257}, range_options(9, 8)), StatusCode::kInvalidModel,
               "option end_index is 8, expected 9 to 257");
  expect_error(status({514}, u32, {257}, range_options(-1, 8)), StatusCode::kInvalidModel,
               "option start_index is -1");
  expect_error(status({514}, u32, {257}, options([](auto& b) { b.Int("start_index", 0); })),
               StatusCode::kInvalidModel, "end_index");
  expect_error(status({513}, u32, {256}, range_options(0, 8)), StatusCode::kInvalidModel,
               "input has 513 values, not whole complex bins");
  expect_error(status({514}, u32, {256}, range_options(0, 8)), StatusCode::kInvalidModel,
               "output has 256 elements, the input 257 complex bins");
  expect_error(status({2, 514}, u32, {2, 257}, range_options(0, 8)), StatusCode::kInvalidModel,
               "input has rank 2, expected 1");
  expect_error(status({514}, DataType::kInt32, {257}, range_options(0, 8)), StatusCode::kUnsupported,
               "output has unsupported type int32");
}

}  // namespace
}  // namespace edgeinfer::testing
