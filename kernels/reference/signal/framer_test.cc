#include "kernels/reference/signal/framer.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"

namespace edgeinfer::testing {
namespace {

using signal_test::custom_op_model;
using signal_test::options;
using signal_test::tensor;

const Kernel& kernel() {
  return reference::signal::framer();
}

std::vector<uint8_t> framer_options(int frame_size, int frame_step, bool prefill) {
  return options([&](flexbuffers::Builder& b) {
    b.Int("frame_size", frame_size);
    b.Int("frame_step", frame_step);
    b.Bool("prefill", prefill);
  });
}

std::vector<uint8_t> framer_model(const std::vector<int32_t>& in_shape, int frame_size, int frame_step,
                                  bool prefill) {
  std::vector<int32_t> out_shape = in_shape;
  out_shape.back() = in_shape.back() / frame_step;
  out_shape.push_back(frame_size);
  return custom_op_model("SignalFramer", {tensor(DataType::kInt16, in_shape)},
                         {tensor(DataType::kInt16, out_shape), tensor(DataType::kBool, {})},
                         framer_options(frame_size, frame_step, prefill));
}

struct Framed {
  std::vector<int16_t> frames;
  bool valid;
};

Framed step(signal_test::Session& session, const std::vector<int16_t>& input) {
  session.set_input(0, input);
  const Status status = session.invoke();
  EXPECT_TRUE(status.is_ok()) << status.message();
  return {session.output<int16_t>(0), session.output<uint8_t>(1).at(0) != 0};
}

// TFLM's framer_test "3_1_0": frame_size 3, frame_step 1, no prefill: two invokes without a frame, then
// the last three samples.
TEST(SignalFramer, Size3Step1) {
  signal_test::Session session;
  ASSERT_TRUE(session.open(framer_model({1}, 3, 1, false), "SignalFramer", kernel()).is_ok());
  Framed f = step(session, {0x1234});
  EXPECT_FALSE(f.valid);
  EXPECT_EQ(f.frames, (std::vector<int16_t>{0, 0, 0}));  // no frame yet: zeros, as the op documents
  EXPECT_FALSE(step(session, {0x5678}).valid);
  f = step(session, {0x4321});
  EXPECT_TRUE(f.valid);
  EXPECT_EQ(f.frames, (std::vector<int16_t>{0x1234, 0x5678, 0x4321}));
  f = step(session, {0x7777});
  EXPECT_TRUE(f.valid);
  EXPECT_EQ(f.frames, (std::vector<int16_t>{0x5678, 0x4321, 0x7777}));
}

// TFLM's "5_2_1": frame_size 5, frame_step 2, prefill: three zeros before the first samples.
TEST(SignalFramer, Size5Step2Prefill) {
  signal_test::Session session;
  ASSERT_TRUE(session.open(framer_model({2}, 5, 2, true), "SignalFramer", kernel()).is_ok());
  Framed f = step(session, {0x1010, 0x0202});
  EXPECT_TRUE(f.valid);
  EXPECT_EQ(f.frames, (std::vector<int16_t>{0, 0, 0, 0x1010, 0x0202}));
  f = step(session, {0x7070, 0x0606});
  EXPECT_TRUE(f.valid);
  EXPECT_EQ(f.frames, (std::vector<int16_t>{0, 0x1010, 0x0202, 0x7070, 0x0606}));
}

// TFLM's "NFrames2" and "OuterDims4": two frame slots per invoke, and every row of [2, 2, 4] framed alone.
TEST(SignalFramer, SeveralFramesAndRows) {
  signal_test::Session session;
  ASSERT_TRUE(session.open(framer_model({2, 2, 4}, 5, 2, true), "SignalFramer", kernel()).is_ok());
  std::vector<int16_t> input;
  for (int row = 0; row < 4; ++row) {
    for (int16_t v : {0x1010, 0x0202, 0x7070, 0x0606}) input.push_back(static_cast<int16_t>(v + row));
  }
  const Framed f = step(session, input);
  EXPECT_TRUE(f.valid);
  std::vector<int16_t> expected;
  for (int row = 0; row < 4; ++row) {
    const int16_t a = static_cast<int16_t>(0x1010 + row), b = static_cast<int16_t>(0x0202 + row),
                  c = static_cast<int16_t>(0x7070 + row), d = static_cast<int16_t>(0x0606 + row);
    expected.insert(expected.end(), {0, 0, 0, a, b, 0, a, b, c, d});
  }
  EXPECT_EQ(f.frames, expected);
}

// Many invokes against the definition: each row is a stream (prefill zeros, then every input sample);
// frame j of the stream starts at j * frame_step and is out once the stream holds it.
void expect_streams(const std::vector<int32_t>& in_shape, int frame_size, int frame_step, bool prefill,
                    int invokes) {
  SCOPED_TRACE(::testing::Message() << "frame_size " << frame_size << " frame_step " << frame_step
                                    << " prefill " << prefill << " rows x length " << in_shape.front() << "x"
                                    << in_shape.back());
  signal_test::Session session;
  ASSERT_TRUE(session.open(framer_model(in_shape, frame_size, frame_step, prefill), "SignalFramer", kernel())
                  .is_ok());
  const int rows = static_cast<int>(element_count(in_shape) / in_shape.back());
  const int length = in_shape.back();
  const int slots = length / frame_step;
  std::vector<std::vector<int16_t>> streams(rows,
                                            std::vector<int16_t>(prefill ? frame_size - frame_step : 0, 0));
  std::vector<int> emitted(rows, 0);
  std::mt19937 rng(frame_size * 100 + frame_step);
  for (int invoke = 0; invoke < invokes; ++invoke) {
    const std::vector<int16_t> input = random_ints<int16_t>(rng, rows * length, -32768, 32767);
    std::vector<int16_t> expected(static_cast<size_t>(rows) * slots * frame_size, 0);
    bool expected_valid = true;
    for (int r = 0; r < rows; ++r) {
      for (int s = 0; s < slots; ++s) {
        streams[r].insert(streams[r].end(), input.begin() + r * length + s * frame_step,
                          input.begin() + r * length + (s + 1) * frame_step);
        const size_t start = static_cast<size_t>(emitted[r]) * frame_step;
        if (streams[r].size() >= start + frame_size) {
          std::copy(streams[r].begin() + start, streams[r].begin() + start + frame_size,
                    expected.begin() + (static_cast<size_t>(r) * slots + s) * frame_size);
          ++emitted[r];
        } else {
          expected_valid = false;
        }
      }
    }
    const Framed f = step(session, input);
    EXPECT_EQ(f.valid, expected_valid) << "invoke " << invoke;
    EXPECT_EQ(f.frames, expected) << "invoke " << invoke;
  }
}

TEST(SignalFramer, MatchesTheStreamDefinitionOverManyInvokes) {
  expect_streams({1, 160}, 400, 160, false, 6);  // micro_speech: 25 ms frames every 10 ms at 16 kHz
  expect_streams({1, 160}, 400, 160, true, 4);
  expect_streams({3, 6}, 5, 2, false, 7);
  expect_streams({2, 2, 6}, 7, 3, true, 7);
  expect_streams({4}, 2, 4, false, 5);  // frames shorter than the step skip samples
  expect_streams({2, 8}, 8, 8, true, 3);
  expect_streams({12}, 4, 1, false, 3);
}

TEST(SignalFramer, ResetRestoresTheInitialState) {
  signal_test::Session session;
  ASSERT_TRUE(session.open(framer_model({1}, 3, 1, false), "SignalFramer", kernel()).is_ok());
  for (int16_t v : {1, 2, 3}) step(session, {v});
  EXPECT_TRUE(step(session, {4}).valid);
  ASSERT_TRUE(session.interpreter().reset_state().is_ok());
  EXPECT_FALSE(step(session, {5}).valid);
  EXPECT_FALSE(step(session, {6}).valid);
  const Framed f = step(session, {7});
  EXPECT_TRUE(f.valid);
  EXPECT_EQ(f.frames, (std::vector<int16_t>{5, 6, 7}));
}

TEST(SignalFramer, RejectsBadModels) {
  const auto status = [](std::vector<int32_t> in_shape, std::vector<int32_t> out_shape,
                         signal_test::OpTensor valid, std::vector<uint8_t> opts) {
    const auto model = custom_op_model("SignalFramer", {tensor(DataType::kInt16, in_shape)},
                                       {tensor(DataType::kInt16, out_shape), valid}, opts);
    return signal_test::allocate_status(model, "SignalFramer", kernel());
  };
  const auto valid = tensor(DataType::kBool, {});
  EXPECT_TRUE(status({2, 320}, {2, 2, 400}, valid, framer_options(400, 160, true)).is_ok());
  expect_error(status({320}, {2, 400}, valid, framer_options(400, 0, false)), StatusCode::kInvalidModel,
               "option frame_step is 0");
  expect_error(status({320}, {2, 400}, valid, framer_options(0, 160, false)), StatusCode::kInvalidModel,
               "option frame_size is 0");
  expect_error(status({320}, {2, 400}, valid, options([](auto& b) {
                        b.Int("frame_size", 400);
                        b.Int("frame_step", 160);
                      })),
               StatusCode::kInvalidModel, "prefill");
  expect_error(status({4}, {2, 2}, valid, framer_options(2, 4, true)), StatusCode::kInvalidModel,
               "prefill needs frame_size (2) >= frame_step (4)");
  expect_error(status({300}, {1, 400}, valid, framer_options(400, 160, false)), StatusCode::kInvalidModel,
               "input rows have 300 samples, expected a positive multiple of frame_step 160");
  expect_error(status({100}, {1, 400}, valid, framer_options(400, 160, false)), StatusCode::kInvalidModel,
               "input rows have 100 samples");
  expect_error(status({320}, {1, 400}, valid, framer_options(400, 160, false)), StatusCode::kInvalidModel,
               "output has shape [1,400], expected [2,400]");
  expect_error(status({320}, {2, 400}, tensor(DataType::kInt8, {}), framer_options(400, 160, false)),
               StatusCode::kUnsupported, "valid output has unsupported type int8");
  expect_error(status({320}, {2, 400}, tensor(DataType::kBool, {1}), framer_options(400, 160, false)),
               StatusCode::kInvalidModel, "valid output has rank 1, expected 0");
  expect_error(status({1, 1, 1, 1, 1, 2}, {2, 2}, valid, framer_options(2, 2, false)),
               StatusCode::kUnsupported, "exceed rank");
}

}  // namespace
}  // namespace edgeinfer::testing
