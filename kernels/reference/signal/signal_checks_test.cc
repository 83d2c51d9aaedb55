#include "kernels/reference/signal/signal_checks.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"

namespace edgeinfer::testing {
namespace {

using signal_test::custom_op_model;
using signal_test::OpTensor;
using signal_test::options;
using signal_test::tensor;

// The map points into `bytes`, which must outlive it.
Status parse(const std::vector<uint8_t>& bytes, FlexbufferMap* map) {
  return FlexbufferMap::parse(bytes.data(), bytes.size(), map);
}

TEST(SignalChecks, TypeOption) {
  FlexbufferMap map;
  const auto int16_type = options([](auto& b) { b.Int("T", 7); });
  ASSERT_TRUE(parse(int16_type, &map).is_ok());
  EXPECT_TRUE(reference::signal::check_type_option(map, DataType::kInt16).is_ok());
  expect_error(reference::signal::check_type_option(map, DataType::kFloat32), StatusCode::kInvalidModel,
               "option T is type code 7, the tensors are float32 (code 0)");
  const auto no_type = options([](auto& b) { b.Int("fft_length", 4); });
  ASSERT_TRUE(parse(no_type, &map).is_ok());
  EXPECT_TRUE(reference::signal::check_type_option(map, DataType::kFloat32).is_ok());  // absent: not checked
}

TEST(SignalChecks, IntOptionRange) {
  FlexbufferMap map;
  const auto shift = options([](auto& b) { b.Int("shift", 40); });
  ASSERT_TRUE(parse(shift, &map).is_ok());
  int32_t value = 0;
  expect_error(reference::signal::read_int_option(map, "shift", 0, 31, &value), StatusCode::kInvalidModel,
               "option shift is 40, expected 0 to 31");
  EXPECT_TRUE(reference::signal::read_int_option(map, "shift", 0, 40, &value).is_ok());
  EXPECT_EQ(value, 40);
  expect_error(reference::signal::read_int_option(map, "missing", 0, 40, &value), StatusCode::kInvalidModel,
               "missing");
}

// Hostile custom options (random bytes, truncated maps) and options of the wrong kind give errors from
// prepare(), never a crash, for every kernel that reads options.
TEST(SignalChecks, KernelsRejectGarbageOptions) {
  struct Op {
    const char* name;
    const Kernel* kernel;
    std::vector<OpTensor> inputs;
    std::vector<OpTensor> outputs;
  };
  const std::vector<Op> ops = {
      {"SignalWindow",
       &reference::signal::window(),
       {tensor(DataType::kInt16, {8}), tensor(DataType::kInt16, {8})},
       {tensor(DataType::kInt16, {8})}},
      {"SignalRfft",
       &reference::signal::rfft(),
       {tensor(DataType::kInt16, {8})},
       {tensor(DataType::kInt16, {10})}},
      {"SignalIrfft",
       &reference::signal::irfft(),
       {tensor(DataType::kInt16, {10})},
       {tensor(DataType::kInt16, {8})}},
      {"SignalEnergy",
       &reference::signal::energy(),
       {tensor(DataType::kInt16, {8})},
       {tensor(DataType::kUInt32, {4})}},
      {"SignalFramer",
       &reference::signal::framer(),
       {tensor(DataType::kInt16, {4})},
       {tensor(DataType::kInt16, {1, 4}), tensor(DataType::kBool, {})}},
      {"SignalOverlapAdd",
       &reference::signal::overlap_add(),
       {tensor(DataType::kInt16, {2, 4})},
       {tensor(DataType::kInt16, {8})}},
  };
  std::mt19937 rng(2024);
  const std::vector<uint8_t> good_window = options([](auto& b) { b.Int("shift", 3); });
  for (const Op& op : ops) {
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<uint8_t> bytes;
      if (trial % 2 == 0) {
        bytes = random_ints<uint8_t>(rng, 1 + trial % 37, 0, 255);
      } else {
        // A real map with bytes flipped or cut short.
        bytes = good_window;
        bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
        if (trial % 3 == 0) bytes.resize(rng() % bytes.size());
      }
      const Status status = signal_test::allocate_status(
          custom_op_model(op.name, op.inputs, op.outputs, bytes), op.name, *op.kernel);
      if (!status.is_ok()) EXPECT_NE(status.message()[0], '\0') << op.name;
    }
    // Right keys, wrong kinds of values.
    const auto floats = options([](auto& b) {
      b.Float("end_index", 1.5f);
      b.Float("fft_length", 8.0f);
      b.Float("frame_size", 4.0f);
      b.Float("frame_step", 4.0f);
      b.Float("shift", 1.0f);
      b.Float("start_index", 0.5f);
    });
    EXPECT_FALSE(signal_test::allocate_status(custom_op_model(op.name, op.inputs, op.outputs, floats),
                                              op.name, *op.kernel)
                     .is_ok())
        << op.name;
  }
}

}  // namespace
}  // namespace edgeinfer::testing
