#include "kernels/reference/signal/overlap_add.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <type_traits>
#include <vector>

#include "edgeinfer/kernels.h"
#include "kernels/reference/signal/signal_test_util.h"

namespace edgeinfer::testing {
namespace {

using signal_test::custom_op_model;
using signal_test::options;
using signal_test::tensor;

const Kernel& kernel() {
  return reference::signal::overlap_add();
}

std::vector<uint8_t> step_options(DataType type, int frame_step) {
  return options([&](flexbuffers::Builder& b) {
    b.Int("T", static_cast<int>(type));
    b.Int("frame_step", frame_step);
  });
}

std::vector<uint8_t> overlap_add_model(DataType type, const std::vector<int32_t>& in_shape, int frame_step) {
  std::vector<int32_t> out_shape(in_shape.begin(), in_shape.end() - 1);
  out_shape.back() = in_shape[in_shape.size() - 2] * frame_step;
  return custom_op_model("SignalOverlapAdd", {tensor(type, in_shape)}, {tensor(type, out_shape)},
                         step_options(type, frame_step));
}

template <class T>
std::vector<T> step(signal_test::Session& session, const std::vector<T>& input) {
  session.set_input(0, input);
  const Status status = session.invoke();
  EXPECT_TRUE(status.is_ok()) << status.message();
  return session.output<T>(0);
}

const std::vector<int16_t> kFrames16 = {125, -12, -895, 1000, 65, -212, 63, 71, 52, 1, -17, 32};
// Frames of 3, step 1: 125; -12 + 1000; -895 + 65 + 63; -212 + 71 + 1.
const std::vector<int16_t> kOut16 = {125, 988, -767, -140};

// TFLM's overlap_add_test: one frame per invoke, four invokes.
TEST(SignalOverlapAdd, Int16OneFramePerInvoke) {
  signal_test::Session session;
  ASSERT_TRUE(
      session.open(overlap_add_model(DataType::kInt16, {1, 3}, 1), "SignalOverlapAdd", kernel()).is_ok());
  for (int i = 0; i < 4; ++i) {
    const std::vector<int16_t> frame(kFrames16.begin() + 3 * i, kFrames16.begin() + 3 * i + 3);
    EXPECT_EQ(step(session, frame), std::vector<int16_t>{kOut16[i]}) << "invoke " << i;
  }
}

TEST(SignalOverlapAdd, FloatOneFramePerInvoke) {
  signal_test::Session session;
  ASSERT_TRUE(
      session.open(overlap_add_model(DataType::kFloat32, {1, 3}, 1), "SignalOverlapAdd", kernel()).is_ok());
  const std::vector<float> frames = {12.5f, -1.2f, -89.5f, 100.0f, 6.5f,  -21.2f,
                                     6.3f,  7.1f,  5.2f,   0.1f,   -1.7f, 3.2f};
  // The accumulator adds each frame in float, in order (TFLM's test expects these within 1e-5).
  const float expected[4] = {0.0f + 12.5f, (0.0f + -1.2f) + 100.0f, ((0.0f + -89.5f) + 6.5f) + 6.3f,
                             ((0.0f + -21.2f) + 7.1f) + 0.1f};
  for (int i = 0; i < 4; ++i) {
    const std::vector<float> frame(frames.begin() + 3 * i, frames.begin() + 3 * i + 3);
    const std::vector<float> out = step(session, frame);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], expected[i]) << "invoke " << i;
  }
}

// TFLM's "Nframes4" and "OuterDims4": four frames in one invoke, and every row of [2, 2, 4, 3] on its own.
TEST(SignalOverlapAdd, SeveralFramesAndRows) {
  signal_test::Session single;
  ASSERT_TRUE(
      single.open(overlap_add_model(DataType::kInt16, {4, 3}, 1), "SignalOverlapAdd", kernel()).is_ok());
  EXPECT_EQ(step(single, kFrames16), kOut16);

  signal_test::Session rows;
  ASSERT_TRUE(
      rows.open(overlap_add_model(DataType::kInt16, {2, 2, 4, 3}, 1), "SignalOverlapAdd", kernel()).is_ok());
  std::vector<int16_t> input;
  std::vector<int16_t> expected;
  for (int r = 1; r <= 4; ++r) {
    for (int16_t v : kFrames16) input.push_back(static_cast<int16_t>(v * r));
    for (int16_t v : kOut16) expected.push_back(static_cast<int16_t>(v * r));
  }
  EXPECT_EQ(step(rows, input), expected);
  // The accumulators carry the frames' tails into the next invoke: zeros now flush them out.
  std::vector<int16_t> tails;
  for (int r = 1; r <= 4; ++r)
    tails.insert(tails.end(), {static_cast<int16_t>((52 - 17) * r), static_cast<int16_t>(32 * r), 0, 0});
  EXPECT_EQ(step(rows, std::vector<int16_t>(input.size(), 0)), tails);
}

// By hand: int16 sums saturate in the accumulator after every frame, so order matters. Frames of 3, step 1:
// sample 2 = 30000 + 30000 (saturates to 32767) - 10000 = 22767, where the exact sum would be 50000;
// sample 3 = -30000 - 20000 -> -32768.
TEST(SignalOverlapAdd, Int16SaturatesAfterEveryFrame) {
  signal_test::Session session;
  ASSERT_TRUE(
      session.open(overlap_add_model(DataType::kInt16, {3, 3}, 1), "SignalOverlapAdd", kernel()).is_ok());
  EXPECT_EQ(step(session, std::vector<int16_t>{1, 30000, 30000, 2, 30000, -30000, -10000, -20000, 0}),
            (std::vector<int16_t>{1, 30002, 22767}));
  EXPECT_EQ(step(session, std::vector<int16_t>(9, 0)), (std::vector<int16_t>{-32768, 0, 0}));
}

// Many invokes against the definition: output sample t sums, oldest frame first, every frame j covering it
// (j * frame_step <= t < j * frame_step + frame_size); int16 saturates after every addition.
template <class T>
void expect_streams(DataType type, int rows, int frames, int frame_size, int frame_step, int invokes) {
  SCOPED_TRACE(::testing::Message() << data_type_name(type) << " frame_size " << frame_size << " frame_step "
                                    << frame_step << " frames " << frames << " rows " << rows);
  signal_test::Session session;
  ASSERT_TRUE(
      session
          .open(overlap_add_model(type, {rows, frames, frame_size}, frame_step), "SignalOverlapAdd", kernel())
          .is_ok());
  std::mt19937 rng(frame_size * 31 + frame_step);
  std::vector<std::vector<T>> all_frames(rows);  // every frame seen, per row, concatenated
  for (int invoke = 0; invoke < invokes; ++invoke) {
    std::vector<T> input;
    if constexpr (std::is_same_v<T, float>) {
      input = random_floats(rng, rows * frames * frame_size, -1000.0f, 1000.0f);
    } else {
      input = random_ints<T>(rng, rows * frames * frame_size, -20000, 20000);  // sums of 2+ can saturate
    }
    std::vector<T> expected;
    for (int r = 0; r < rows; ++r) {
      all_frames[r].insert(all_frames[r].end(), input.begin() + r * frames * frame_size,
                           input.begin() + (r + 1) * frames * frame_size);
      const int64_t total_frames = static_cast<int64_t>(all_frames[r].size()) / frame_size;
      for (int64_t t = static_cast<int64_t>(invoke) * frames * frame_step;
           t < static_cast<int64_t>(invoke + 1) * frames * frame_step; ++t) {
        T acc = T(0);
        for (int64_t j = 0; j < total_frames; ++j) {
          const int64_t offset = t - j * frame_step;
          if (offset < 0 || offset >= frame_size) continue;
          const T x = all_frames[r][j * frame_size + offset];
          if constexpr (std::is_same_v<T, float>) {
            acc = acc + x;
          } else {
            acc = static_cast<T>(std::clamp<int32_t>(int32_t{acc} + x, -32768, 32767));
          }
        }
        expected.push_back(acc);
      }
    }
    EXPECT_EQ(step(session, input), expected) << "invoke " << invoke;
  }
}

TEST(SignalOverlapAdd, MatchesTheDefinitionOverManyInvokes) {
  expect_streams<int16_t>(DataType::kInt16, 1, 1, 512, 160, 8);
  expect_streams<int16_t>(DataType::kInt16, 3, 2, 5, 2, 6);
  expect_streams<int16_t>(DataType::kInt16, 2, 3, 4, 4, 3);  // no overlap: a plain copy
  expect_streams<float>(DataType::kFloat32, 1, 1, 512, 128, 8);
  expect_streams<float>(DataType::kFloat32, 2, 4, 6, 1, 5);
}

TEST(SignalOverlapAdd, ResetClearsTheAccumulators) {
  signal_test::Session session;
  ASSERT_TRUE(
      session.open(overlap_add_model(DataType::kFloat32, {1, 3}, 1), "SignalOverlapAdd", kernel()).is_ok());
  step(session, std::vector<float>{1, 2, 3});
  ASSERT_TRUE(session.interpreter().reset_state().is_ok());
  EXPECT_EQ(step(session, std::vector<float>{10, 20, 30}), std::vector<float>{10});
  EXPECT_EQ(step(session, std::vector<float>{0, 0, 0}), std::vector<float>{20});
}

TEST(SignalOverlapAdd, RejectsBadModels) {
  const auto status = [](DataType in_type, std::vector<int32_t> in_shape, DataType out_type,
                         std::vector<int32_t> out_shape, std::vector<uint8_t> opts) {
    const auto model =
        custom_op_model("SignalOverlapAdd", {tensor(in_type, in_shape)}, {tensor(out_type, out_shape)}, opts);
    return signal_test::allocate_status(model, "SignalOverlapAdd", kernel());
  };
  const DataType i16 = DataType::kInt16;
  EXPECT_TRUE(status(i16, {2, 4, 512}, i16, {2, 640}, step_options(i16, 160)).is_ok());
  EXPECT_TRUE(status(i16, {4, 512}, i16, {2048}, step_options(i16, 512)).is_ok());
  expect_error(status(i16, {4, 512}, i16, {2052}, step_options(i16, 513)), StatusCode::kInvalidModel,
               "option frame_step is 513, expected 1 to 512");
  expect_error(status(i16, {4, 512}, i16, {0}, step_options(i16, 0)), StatusCode::kInvalidModel,
               "option frame_step is 0");
  expect_error(status(i16, {4, 512}, i16, {640}, options([](auto& b) { b.Int("T", 7); })),
               StatusCode::kInvalidModel, "frame_step");
  expect_error(status(i16, {4, 512}, i16, {640}, step_options(DataType::kFloat32, 160)),
               StatusCode::kInvalidModel, "option T");
  expect_error(status(i16, {512}, i16, {160}, step_options(i16, 160)), StatusCode::kInvalidModel,
               "input has rank 1, expected at least 2");
  expect_error(status(i16, {4, 512}, i16, {1, 640}, step_options(i16, 160)), StatusCode::kInvalidModel,
               "output has shape [1,640], expected [640]");
  expect_error(status(i16, {4, 0}, i16, {0}, step_options(i16, 1)), StatusCode::kInvalidModel,
               "input frames have 0 samples");
  expect_error(
      status(DataType::kInt32, {4, 512}, DataType::kInt32, {640}, step_options(DataType::kInt32, 160)),
      StatusCode::kUnsupported, "input has unsupported type int32");
  expect_error(status(i16, {4, 512}, DataType::kFloat32, {640}, step_options(i16, 160)),
               StatusCode::kInvalidModel, "output has type float32");
}

}  // namespace
}  // namespace edgeinfer::testing
