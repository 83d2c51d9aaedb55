#include "kernels/reference/signal/stacker.h"

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

constexpr const char* kOp = "SignalStacker";
const Kernel& kernel() {
  return reference::signal::stacker();
}

std::vector<uint8_t> stacker_options(int64_t channels, int64_t left, int64_t right, int64_t step) {
  return st::options([&](flexbuffers::Builder& b) {
    b.Int("num_channels", channels);
    b.Int("stacker_left_context", left);
    b.Int("stacker_right_context", right);
    b.Int("stacker_step", step);
  });
}

std::vector<uint8_t> model(int32_t input_size, int32_t output_size, const std::vector<uint8_t>& options) {
  return st::custom_op_model(kOp, {st::tensor(DataType::kInt16, {input_size})},
                             {st::tensor(DataType::kInt16, {output_size}), st::tensor(DataType::kBool, {})},
                             options);
}

struct Step {
  bool valid;
  std::vector<int16_t> stack;  // checked when valid
};

// Feeds `frames` to one allocated stacker and checks each invoke's valid flag and stack.
void expect_steps(int32_t channels, int32_t left, int32_t right, int32_t step,
                  const std::vector<std::vector<int16_t>>& frames, const std::vector<Step>& expected) {
  const int32_t stack = channels * (left + right + 1);
  st::Session session;
  const Status opened =
      session.open(model(channels, stack, stacker_options(channels, left, right, step)), kOp, kernel());
  ASSERT_TRUE(opened.is_ok()) << opened.message();
  ASSERT_EQ(frames.size(), expected.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    session.set_input(0, frames[i]);
    ASSERT_TRUE(session.invoke().is_ok());
    const std::vector<uint8_t> valid = session.output<uint8_t>(1);
    ASSERT_EQ(valid.size(), 1u);
    EXPECT_EQ(valid[0] != 0, expected[i].valid) << "invoke " << i;
    if (expected[i].valid) EXPECT_EQ(session.output<int16_t>(0), expected[i].stack) << "invoke " << i;
  }
}

// Two channels, one frame of left and right context: the first frame is repeated once as left padding, so
// the first stack is ready after two frames and every frame after that yields the next one.
TEST(SignalStacker, LeftAndRightContextStepOne) {
  expect_steps(
      2, 1, 1, 1, {{1, 2}, {3, 4}, {5, 6}, {7, 8}},
      {{false, {}}, {true, {1, 2, 1, 2, 3, 4}}, {true, {1, 2, 3, 4, 5, 6}}, {true, {3, 4, 5, 6, 7, 8}}});
}

// Step 2 drops two frames per stack: after stack (f1 f1 f2) only f2 remains, (f2 f3 f4) needs two more.
TEST(SignalStacker, StepTwoSkipsFrames) {
  expect_steps(2, 1, 1, 2, {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}},
               {{false, {}},
                {true, {1, 2, 1, 2, 3, 4}},
                {false, {}},
                {true, {3, 4, 5, 6, 7, 8}},
                {false, {}},
                {true, {7, 8, 9, 10, 11, 12}}});
}

// Without left context nothing is padded: three frames of right context fill the first stack.
TEST(SignalStacker, RightContextOnly) {
  expect_steps(1, 0, 2, 1, {{-1}, {-2}, {-3}, {-4}},
               {{false, {}}, {false, {}}, {true, {-1, -2, -3}}, {true, {-2, -3, -4}}});
}

// A stack of one frame with step 1 passes frames through; a step of the whole stack empties it each time.
TEST(SignalStacker, SingleFrameAndWholeStackSteps) {
  expect_steps(3, 0, 0, 1, {{1, 2, 3}, {4, 5, 6}}, {{true, {1, 2, 3}}, {true, {4, 5, 6}}});
  expect_steps(1, 2, 0, 3, {{7}, {8}, {9}, {10}, {11}},
               {{true, {7, 7, 7}}, {false, {}}, {false, {}}, {true, {8, 9, 10}}, {false, {}}});
}

// TFLM's StackerTest3ChannelStep1 and 10ChannelStep2 (left context 1, right 0): valid after the first frame.
TEST(SignalStacker, TflmTests) {
  expect_steps(3, 1, 0, 1, {{0x1234, 0x5678, 0x4321}},
               {{true, {0x1234, 0x5678, 0x4321, 0x1234, 0x5678, 0x4321}}});
  expect_steps(10, 1, 0, 2, {{252, 477, 1071, 166, 1022, 312, 1171, 1586, 1491, 145}},
               {{true, {252, 477, 1071, 166, 1022, 312, 1171, 1586, 1491, 145,
                        252, 477, 1071, 166, 1022, 312, 1171, 1586, 1491, 145}}});
  expect_steps(10, 1, 0, 2, {{1060, 200, 69, 1519, 883, 1317, 182, 724, 143, 334}},
               {{true, {1060, 200, 69, 1519, 883, 1317, 182, 724, 143, 334,
                        1060, 200, 69, 1519, 883, 1317, 182, 724, 143, 334}}});
}

// A longer input contributes its first num_channels values (TFLM reads only those).
TEST(SignalStacker, LongerInputUsesItsPrefix) {
  st::Session session;
  ASSERT_TRUE(session.open(model(3, 4, stacker_options(2, 1, 0, 1)), kOp, kernel()).is_ok());
  session.set_input<int16_t>(0, {5, 6, 99});
  ASSERT_TRUE(session.invoke().is_ok());
  EXPECT_EQ(session.output<int16_t>(0), (std::vector<int16_t>{5, 6, 5, 6}));
}

// Interpreter::reset_state() empties the stack and re-arms the first-frame padding (TFLM's Reset tests).
TEST(SignalStacker, ResetStateStartsOver) {
  st::Session session;
  ASSERT_TRUE(session.open(model(1, 3, stacker_options(1, 1, 1, 1)), kOp, kernel()).is_ok());
  auto push = [&](int16_t v) {
    session.set_input<int16_t>(0, {v});
    EXPECT_TRUE(session.invoke().is_ok());
    return session.output<uint8_t>(1)[0] != 0;
  };
  EXPECT_FALSE(push(1));  // [1 1]
  EXPECT_TRUE(push(2));   // [1 1 2]
  EXPECT_EQ(session.output<int16_t>(0), (std::vector<int16_t>{1, 1, 2}));
  ASSERT_TRUE(session.interpreter().reset_state().is_ok());
  EXPECT_FALSE(push(5));  // [5 5]: padded again
  EXPECT_TRUE(push(6));
  EXPECT_EQ(session.output<int16_t>(0), (std::vector<int16_t>{5, 5, 6}));
}

TEST(SignalStacker, PureFunction) {
  reference::signal::StackerParams p;
  p.num_channels = 1;
  p.left_context = 1;
  p.step = 1;
  std::vector<int16_t> memory(2);
  reference::signal::StackerState state;
  state.fifo.data = memory.data();
  state.fifo.capacity = 2;
  reference::signal::fifo_reset(&state.fifo);
  const int16_t frames[] = {4, 5};
  std::vector<int16_t> out(2);
  EXPECT_TRUE(reference::signal::stacker_push(p, &state, &frames[0], out.data()));
  EXPECT_EQ(out, (std::vector<int16_t>{4, 4}));
  EXPECT_TRUE(reference::signal::stacker_push(p, &state, &frames[1], out.data()));
  EXPECT_EQ(out, (std::vector<int16_t>{4, 5}));
}

TEST(SignalStacker, RejectsBadOptionsAndTensors) {
  auto status = [](int32_t in, int32_t out, const std::vector<uint8_t>& options) {
    return st::allocate_status(model(in, out, options), kOp, kernel());
  };
  EXPECT_TRUE(status(2, 6, stacker_options(2, 1, 1, 3)).is_ok());
  expect_error(status(2, 6, stacker_options(2, 1, 1, 0)), StatusCode::kInvalidModel, "stacker_step is 0");
  expect_error(status(2, 6, stacker_options(2, 1, 1, 4)), StatusCode::kInvalidModel,
               "stacker_step is 4, expected 1 to 3");
  expect_error(status(2, 6, stacker_options(0, 1, 1, 1)), StatusCode::kInvalidModel, "num_channels is 0");
  expect_error(status(2, 6, stacker_options(2, -1, 1, 1)), StatusCode::kInvalidModel,
               "stacker_left_context is -1");
  expect_error(status(2, 6, stacker_options(2, 1, -1, 1)), StatusCode::kInvalidModel,
               "stacker_right_context is -1");
  expect_error(
      status(2, 8, stacker_options(2, 1, 1, 1)), StatusCode::kInvalidModel,
      "output has 8 elements, num_channels * (stacker_left_context + stacker_right_context + 1) gives 6");
  expect_error(status(1, 6, stacker_options(2, 1, 1, 1)), StatusCode::kInvalidModel,
               "input has 1 elements, num_channels needs at least 2");
  // Huge contexts: the stack would not fit any output tensor.
  expect_error(status(2, 6, stacker_options(2, 2147483647, 2147483647, 1)), StatusCode::kInvalidModel,
               "output has 6 elements");
  expect_error(status(2, 6, st::options([](flexbuffers::Builder& b) { b.Int("num_channels", 2); })),
               StatusCode::kInvalidModel, "stacker_left_context");

  auto tensors = [](std::vector<st::OpTensor> inputs, std::vector<st::OpTensor> outputs) {
    return st::allocate_status(st::custom_op_model(kOp, inputs, outputs, stacker_options(2, 1, 0, 1)), kOp,
                               kernel());
  };
  const auto in = st::tensor(DataType::kInt16, {2});
  const auto out = st::tensor(DataType::kInt16, {4});
  const auto valid = st::tensor(DataType::kBool, {});
  EXPECT_TRUE(tensors({in}, {out, valid}).is_ok());
  expect_error(tensors({st::tensor(DataType::kFloat32, {2})}, {out, valid}), StatusCode::kUnsupported,
               "input has unsupported type float32");
  expect_error(tensors({st::tensor(DataType::kInt16, {1, 2})}, {out, valid}), StatusCode::kInvalidModel,
               "input has rank 2");
  expect_error(tensors({in}, {st::tensor(DataType::kInt16, {2, 2}), valid}), StatusCode::kInvalidModel,
               "output has rank 2");
  expect_error(tensors({in}, {out, st::tensor(DataType::kBool, {1})}), StatusCode::kInvalidModel,
               "valid output has rank 1, expected 0");
  expect_error(tensors({in}, {out, st::tensor(DataType::kInt8, {})}), StatusCode::kUnsupported,
               "valid output has unsupported type int8");
  expect_error(tensors({in}, {out}), StatusCode::kInvalidModel, "has 1 outputs, expected 2");
}

}  // namespace
}  // namespace edgeinfer
