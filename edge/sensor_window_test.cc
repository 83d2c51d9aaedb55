#include "edge/sensor_window.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace edgeinfer::edge {
namespace {

// Frame i holds (i, 100 + i, 200 + i): every value says where it came from.
void push_frames(SensorWindow<3, 8>& w, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    const float frame[3] = {static_cast<float>(i), 100.0f + i, 200.0f + i};
    w.push_frame(frame);
  }
}

std::vector<float> axis(const SensorWindow<3, 8>& w, int a) {
  std::vector<float> out(w.config().window_frames);
  EXPECT_TRUE(w.copy_axis(a, out.data()));
  return out;
}

TEST(EdgeSensorWindow, RejectsConfigurationsThatDoNotFit) {
  SensorWindow<3, 8> w;
  EXPECT_FALSE(w.configure({9, 1}));
  EXPECT_FALSE(w.configure({4, 0}));
  EXPECT_FALSE(w.configure({0, 1}));
  EXPECT_TRUE(w.configure({8, 3}));
  const float frame[3] = {1, 2, 3};
  SensorWindow<3, 8> unconfigured;
  EXPECT_FALSE(unconfigured.push_frame(frame));
  EXPECT_FALSE(unconfigured.ready());
}

TEST(EdgeSensorWindow, FirstWindowAfterWindowFramesThenEveryHop) {
  SensorWindow<3, 8> w({4, 2});
  std::vector<int> ready_after;
  for (int i = 0; i < 12; ++i) {
    const float frame[3] = {static_cast<float>(i), 0, 0};
    if (w.push_frame(frame)) {
      ready_after.push_back(i + 1);
      w.take();
    }
  }
  EXPECT_EQ(ready_after, (std::vector<int>{4, 6, 8, 10, 12}));
  EXPECT_EQ(w.counters().windows_ready, 5u);
  EXPECT_EQ(w.counters().windows_missed, 0u);
}

TEST(EdgeSensorWindow, CopiesLatestWindowOldestFirstAcrossWraparound) {
  SensorWindow<3, 8> w({6, 3});
  push_frames(w, 0, 5);
  std::vector<float> out(6);
  EXPECT_FALSE(w.copy_axis(0, out.data()));  // fewer than window_frames stored
  push_frames(w, 5, 14);                     // 19 frames: the ring wrapped twice
  EXPECT_EQ(axis(w, 0), (std::vector<float>{13, 14, 15, 16, 17, 18}));
  EXPECT_EQ(axis(w, 1), (std::vector<float>{113, 114, 115, 116, 117, 118}));
  EXPECT_EQ(axis(w, 2), (std::vector<float>{213, 214, 215, 216, 217, 218}));
  std::vector<float> planar(18);
  ASSERT_TRUE(w.copy_window(planar.data()));
  EXPECT_EQ(planar[0], 13);
  EXPECT_EQ(planar[6], 113);
  EXPECT_EQ(planar[17], 218);
  EXPECT_FALSE(w.copy_axis(3, out.data()));
}

TEST(EdgeSensorWindow, WindowEqualToCapacity) {
  SensorWindow<3, 8> w({8, 8});
  push_frames(w, 0, 16);
  EXPECT_EQ(axis(w, 0), (std::vector<float>{8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(w.counters().windows_ready, 2u);
}

TEST(EdgeSensorWindow, BlockPushStopsAtEachWindow) {
  SensorWindow<3, 8> w({4, 2});
  std::vector<float> block;
  for (int i = 0; i < 9; ++i) {
    block.insert(block.end(), {static_cast<float>(i), 100.0f + i, 200.0f + i});
  }
  size_t done = 0;
  std::vector<std::vector<float>> windows;
  while (done < 9) {
    done += w.push_block(block.data() + done * 3, 9 - done);
    if (w.ready()) {
      windows.push_back(axis(w, 0));
      w.take();
    }
  }
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(windows[0], (std::vector<float>{0, 1, 2, 3}));
  EXPECT_EQ(windows[1], (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(windows[2], (std::vector<float>{4, 5, 6, 7}));
  EXPECT_FALSE(w.ready());  // frame 8 is half a hop
}

TEST(EdgeSensorWindow, CountsWindowsNotTaken) {
  SensorWindow<3, 8> w({4, 2});
  push_frames(w, 0, 8);  // boundaries after 4, 6 and 8 frames, none taken
  EXPECT_TRUE(w.ready());
  EXPECT_EQ(w.counters().windows_ready, 3u);
  EXPECT_EQ(w.counters().windows_missed, 2u);
}

TEST(EdgeSensorWindow, HoldLastReplacesInvalidValuesAndCountsEachReason) {
  SensorWindowConfig config{4, 4};
  config.min_value = -10;
  config.max_value = 10;
  SensorWindow<3, 8> w(config);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const float frames[4][3] = {{1, 2, 3}, {nan, 5, -inf}, {7, 11, 8}, {inf, -11, nan}};
  for (const auto& f : frames) w.push_frame(f);
  ASSERT_TRUE(w.ready());
  EXPECT_EQ(axis(w, 0), (std::vector<float>{1, 1, 7, 7}));
  EXPECT_EQ(axis(w, 1), (std::vector<float>{2, 5, 5, 5}));
  EXPECT_EQ(axis(w, 2), (std::vector<float>{3, 3, 8, 8}));
  const SensorWindowCounters& c = w.counters();
  EXPECT_EQ(c.nan_values, 2u);
  EXPECT_EQ(c.inf_values, 2u);
  EXPECT_EQ(c.out_of_range_values, 2u);
  EXPECT_EQ(c.values_replaced, 6u);
  EXPECT_EQ(c.frames_dropped, 0u);
  EXPECT_EQ(c.frames_stored, 4u);
}

TEST(EdgeSensorWindow, HoldLastBeforeAnyGoodValueIsZero) {
  SensorWindow<3, 8> w({1, 1});
  const float frame[3] = {std::numeric_limits<float>::quiet_NaN(), 1, 2};
  EXPECT_TRUE(w.push_frame(frame));
  EXPECT_EQ(axis(w, 0), (std::vector<float>{0}));
}

TEST(EdgeSensorWindow, DropFrameSkipsWholeFrames) {
  SensorWindowConfig config{3, 3};
  config.max_value = 100;
  config.policy = InvalidPolicy::kDropFrame;
  SensorWindow<3, 8> w(config);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float frames[5][3] = {{1, 2, 3}, {4, nan, 6}, {7, 8, 9}, {10, 11, 1000}, {13, 14, 15}};
  int ready = 0;
  for (const auto& f : frames) ready += w.push_frame(f);
  EXPECT_EQ(ready, 1);
  EXPECT_EQ(axis(w, 0), (std::vector<float>{1, 7, 13}));
  EXPECT_EQ(axis(w, 2), (std::vector<float>{3, 9, 15}));
  EXPECT_EQ(w.counters().frames_dropped, 2u);
  EXPECT_EQ(w.counters().frames_stored, 3u);
  EXPECT_EQ(w.counters().frames_pushed, 5u);
  EXPECT_EQ(w.counters().nan_values, 1u);
  EXPECT_EQ(w.counters().out_of_range_values, 1u);
  EXPECT_EQ(w.counters().values_replaced, 0u);
}

TEST(EdgeSensorWindow, DroppedFrameLeavesAFullRingIntact) {
  SensorWindowConfig config{8, 8};
  config.policy = InvalidPolicy::kDropFrame;
  SensorWindow<3, 8> w(config);
  push_frames(w, 0, 8);
  ASSERT_TRUE(w.ready());
  const float bad[3] = {99, std::numeric_limits<float>::infinity(), 99};
  EXPECT_FALSE(w.push_frame(bad));
  EXPECT_EQ(axis(w, 0), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(axis(w, 2), (std::vector<float>{200, 201, 202, 203, 204, 205, 206, 207}));
  EXPECT_EQ(w.counters().inf_values, 1u);
}

TEST(EdgeSensorWindow, HoldLastAcrossTheWrap) {
  SensorWindow<3, 8> w({8, 1});
  push_frames(w, 0, 8);  // the next write goes to slot 0; the previous frame is in slot 7
  const float bad[3] = {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity(), 5};
  EXPECT_TRUE(w.push_frame(bad));
  EXPECT_EQ(axis(w, 0).back(), 7.0f);
  EXPECT_EQ(axis(w, 1).back(), 107.0f);
  EXPECT_EQ(axis(w, 2).back(), 5.0f);
}

TEST(EdgeSensorWindow, ResetForgetsEverything) {
  SensorWindow<3, 8> w({4, 2});
  push_frames(w, 0, 5);
  w.reset();
  EXPECT_FALSE(w.ready());
  EXPECT_EQ(w.counters().frames_pushed, 0u);
  push_frames(w, 50, 3);
  EXPECT_FALSE(w.ready());
  push_frames(w, 53, 1);
  EXPECT_TRUE(w.ready());
  EXPECT_EQ(axis(w, 0), (std::vector<float>{50, 51, 52, 53}));
}

}  // namespace
}  // namespace edgeinfer::edge
