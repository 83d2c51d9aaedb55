#include "kernels/reference/signal/delay.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"
#include "tests/support/single_op.h"

namespace edgeinfer {
namespace {

using testing::expect_error;
namespace st = testing::signal_test;

constexpr const char* kOp = "SignalDelay";
const Kernel& kernel() {
  return reference::signal::delay();
}

std::vector<uint8_t> delay_option(int64_t delay_length) {
  return st::options([&](flexbuffers::Builder& b) { b.Int("delay_length", delay_length); });
}

std::vector<uint8_t> model(const std::vector<int32_t>& shape, int64_t delay_length) {
  return st::custom_op_model(kOp, {st::tensor(DataType::kInt16, shape)},
                             {st::tensor(DataType::kInt16, shape)}, delay_option(delay_length));
}

// Feeds `inputs` (one per invoke) to one allocated delay op and expects `outputs`.
void expect_invokes(const std::vector<int32_t>& shape, int64_t delay_length,
                    const std::vector<std::vector<int16_t>>& inputs,
                    const std::vector<std::vector<int16_t>>& outputs) {
  st::Session session;
  const Status opened = session.open(model(shape, delay_length), kOp, kernel());
  ASSERT_TRUE(opened.is_ok()) << opened.message();
  ASSERT_EQ(inputs.size(), outputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    session.set_input(0, inputs[i]);
    ASSERT_TRUE(session.invoke().is_ok());
    EXPECT_EQ(session.output<int16_t>(0), outputs[i]) << "invoke " << i;
  }
}

TEST(SignalDelay, ZeroDelayPassesThrough) {
  expect_invokes({3}, 0, {{1, 2, 3}, {4, 5, 6}}, {{1, 2, 3}, {4, 5, 6}});
}

// A delay of 2 along frames of 3: the output is the input stream shifted by two samples, zeros first.
TEST(SignalDelay, DelayShiftsTheStream) {
  expect_invokes({3}, 2, {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}, {{0, 0, 1}, {2, 3, 4}, {5, 6, 7}});
}

// Each row of a [2, 2, 2] tensor is its own stream (four rows of two samples), delayed by 3.
TEST(SignalDelay, RowsAreIndependent) {
  expect_invokes({2, 2, 2}, 3, {{1, 2, 10, 20, 100, 200, -1, -2}, {3, 4, 30, 40, 300, 400, -3, -4}},
                 {{0, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 10, 0, 100, 0, -1}});
}

// TFLM's DelayTest cases (signal/micro/kernels/delay_test.cc).
TEST(SignalDelay, TflmTests) {
  expect_invokes({8}, 3, {{1, 2, 3, 4, 5, 6, 7, 8}, {0, 0, 0, 0, 0, 0, 0, 0}},
                 {{0, 0, 0, 1, 2, 3, 4, 5}, {6, 7, 8, 0, 0, 0, 0, 0}});
  expect_invokes({3}, 5, {{1, 2, 3}, {4, 0, 0}, {0, 0, 0}}, {{0, 0, 0}, {0, 0, 1}, {2, 3, 4}});
  expect_invokes({4, 4}, 3,
                 {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0}, std::vector<int16_t>(16, 0)},
                 {{0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 9, 0, 0, 0, 13},
                  {2, 3, 4, 0, 6, 7, 8, 0, 10, 11, 12, 0, 14, 15, 0, 0}});
  expect_invokes({4, 4}, 5,
                 {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0},
                  std::vector<int16_t>(16, 0),
                  std::vector<int16_t>(16, 0)},
                 {std::vector<int16_t>(16, 0),
                  {0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15},
                  {4, 0, 0, 0, 8, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0}});
}

// Interpreter::reset_state() refills the delay lines with zeros (TFLM's Reset tests).
TEST(SignalDelay, ResetStateStartsOver) {
  st::Session session;
  ASSERT_TRUE(session.open(model({2, 2}, 1), kOp, kernel()).is_ok());
  session.set_input<int16_t>(0, {1, 2, 3, 4});
  ASSERT_TRUE(session.invoke().is_ok());
  EXPECT_EQ(session.output<int16_t>(0), (std::vector<int16_t>{0, 1, 0, 3}));
  ASSERT_TRUE(session.interpreter().reset_state().is_ok());
  session.set_input<int16_t>(0, {5, 6, 7, 8});
  ASSERT_TRUE(session.invoke().is_ok());
  EXPECT_EQ(session.output<int16_t>(0), (std::vector<int16_t>{0, 5, 0, 7}));
}

TEST(SignalDelay, PureFunction) {
  std::vector<int16_t> memory(2 * 3);
  reference::signal::SampleFifo lines[2];
  for (int r = 0; r < 2; ++r) {
    lines[r].data = memory.data() + 3 * r;
    lines[r].capacity = 3;
  }
  reference::signal::DelayState state;
  state.lines = lines;
  state.rows = 2;
  state.frame_size = 2;
  state.delay_length = 1;
  reference::signal::delay_reset(&state);
  const std::vector<int16_t> input = {1, 2, 3, 4};
  std::vector<int16_t> out(4);
  reference::signal::delay_process(&state, input.data(), out.data());
  EXPECT_EQ(out, (std::vector<int16_t>{0, 1, 0, 3}));
  reference::signal::delay_process(&state, input.data(), out.data());
  EXPECT_EQ(out, (std::vector<int16_t>{2, 1, 4, 3}));
}

TEST(SignalDelay, RejectsBadOptionsAndTensors) {
  EXPECT_TRUE(st::allocate_status(model({2, 3}, 4), kOp, kernel()).is_ok());
  expect_error(st::allocate_status(model({2, 3}, -1), kOp, kernel()), StatusCode::kInvalidModel,
               "delay_length is -1");
  expect_error(st::allocate_status(model({2, 3}, int64_t{1} << 31), kOp, kernel()), StatusCode::kInvalidModel,
               "delay_length");
  expect_error(st::allocate_status(model({2, 3}, 2147483647), kOp, kernel()), StatusCode::kUnsupported,
               "too large");
  expect_error(st::allocate_status(model({2, 0}, 1), kOp, kernel()), StatusCode::kInvalidModel,
               "innermost dimension is 0");
  expect_error(st::allocate_status(model({}, 1), kOp, kernel()), StatusCode::kInvalidModel, "scalar");
  expect_error(st::allocate_status(st::custom_op_model(kOp, {st::tensor(DataType::kInt16, {4})},
                                                       {st::tensor(DataType::kInt16, {4})}, {}),
                                   kOp, kernel()),
               StatusCode::kInvalidModel, "");
  auto status = [](st::OpTensor in, st::OpTensor out) {
    return st::allocate_status(st::custom_op_model(kOp, {in}, {out}, delay_option(1)), kOp, kernel());
  };
  EXPECT_TRUE(status(st::tensor(DataType::kInt16, {2, 3}), st::tensor(DataType::kInt16, {6})).is_ok());
  expect_error(status(st::tensor(DataType::kInt16, {2, 3}), st::tensor(DataType::kInt16, {5})),
               StatusCode::kInvalidModel, "output has 5 elements, the input gives 6");
  expect_error(status(st::tensor(DataType::kFloat32, {3}), st::tensor(DataType::kFloat32, {3})),
               StatusCode::kUnsupported, "input has unsupported type float32");
  expect_error(status(st::tensor(DataType::kInt16, {3}), st::tensor(DataType::kInt32, {3})),
               StatusCode::kUnsupported, "output has unsupported type int32");
}

}  // namespace
}  // namespace edgeinfer
