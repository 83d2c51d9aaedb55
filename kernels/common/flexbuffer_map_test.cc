#include "kernels/common/flexbuffer_map.h"

#include <flatbuffers/flexbuffers.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <vector>

namespace edgeinfer {
namespace {

std::vector<uint8_t> build(const std::function<void(flexbuffers::Builder&)>& fill) {
  flexbuffers::Builder fbb;
  fbb.Map([&] { fill(fbb); });
  fbb.Finish();
  return fbb.GetBuffer();
}

TEST(FlexbufferMap, ReadsTheValueTypesCustomOpsUse) {
  const std::vector<uint8_t> bytes = build([](flexbuffers::Builder& fbb) {
    fbb.Int("fft_length", 512);
    fbb.Bool("prefill", true);
    fbb.Int("negative", -70000);
    fbb.UInt("big", 4000000000u);
    fbb.Float("gain", 0.25f);
    fbb.Double("ratio", 1.5);
  });
  FlexbufferMap map;
  ASSERT_TRUE(FlexbufferMap::parse(bytes.data(), bytes.size(), &map).is_ok());
  EXPECT_EQ(map.size(), 6);
  int32_t i32 = 0;
  ASSERT_TRUE(map.get_int32("fft_length", &i32).is_ok());
  EXPECT_EQ(i32, 512);
  ASSERT_TRUE(map.get_int32("negative", &i32).is_ok());
  EXPECT_EQ(i32, -70000);
  bool b = false;
  ASSERT_TRUE(map.get_bool("prefill", &b).is_ok());
  EXPECT_TRUE(b);
  int64_t i64 = 0;
  ASSERT_TRUE(map.get_int64("big", &i64).is_ok());
  EXPECT_EQ(i64, 4000000000);
  Status too_big = map.get_int32("big", &i32);
  EXPECT_FALSE(too_big.is_ok());
  EXPECT_NE(std::strstr(too_big.message(), "\"big\""), nullptr) << too_big.message();
  float f = 0;
  ASSERT_TRUE(map.get_float("gain", &f).is_ok());
  EXPECT_EQ(f, 0.25f);
  ASSERT_TRUE(map.get_float("ratio", &f).is_ok());
  EXPECT_EQ(f, 1.5f);
  EXPECT_FALSE(map.get_int32("gain", &i32).is_ok());  // a float is not an integer
  Status missing = map.get_int32("frame_step", &i32);
  EXPECT_FALSE(missing.is_ok());
  EXPECT_NE(std::strstr(missing.message(), "frame_step"), nullptr) << missing.message();
  EXPECT_FALSE(map.has("frame_step"));
  EXPECT_TRUE(map.has("prefill"));
}

TEST(FlexbufferMap, WideValuesUseTheMapsByteWidth) {
  const std::vector<uint8_t> bytes = build([](flexbuffers::Builder& fbb) {
    fbb.Int("a", 1);
    fbb.Int("z", int64_t{1} << 40);
  });
  FlexbufferMap map;
  ASSERT_TRUE(FlexbufferMap::parse(bytes.data(), bytes.size(), &map).is_ok());
  int64_t v = 0;
  ASSERT_TRUE(map.get_int64("a", &v).is_ok());
  EXPECT_EQ(v, 1);
  ASSERT_TRUE(map.get_int64("z", &v).is_ok());
  EXPECT_EQ(v, int64_t{1} << 40);
}

TEST(FlexbufferMap, RejectsNonMapRoots) {
  flexbuffers::Builder fbb;
  fbb.Int(7);
  fbb.Finish();
  FlexbufferMap map;
  EXPECT_FALSE(FlexbufferMap::parse(fbb.GetBuffer().data(), fbb.GetBuffer().size(), &map).is_ok());
  const uint8_t tiny[2] = {0, 1};
  EXPECT_FALSE(FlexbufferMap::parse(tiny, sizeof(tiny), &map).is_ok());
  EXPECT_FALSE(FlexbufferMap::parse(nullptr, 0, &map).is_ok());
}

// Every truncation and every single-byte corruption either parses or fails cleanly; reads of whatever parsed
// stay inside the buffer (ASan checks the bounds in the sanitizer build).
TEST(FlexbufferMap, SurvivesTruncationAndCorruption) {
  const std::vector<uint8_t> bytes = build([](flexbuffers::Builder& fbb) {
    fbb.Int("frame_size", 480);
    fbb.Int("frame_step", 320);
    fbb.Bool("prefill", false);
  });
  auto probe = [](const std::vector<uint8_t>& data) {
    // Exactly-sized heap copy so ASan sees any read past the end.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[data.size() ? data.size() : 1]);
    if (!data.empty()) std::memcpy(copy.get(), data.data(), data.size());
    FlexbufferMap map;
    if (!FlexbufferMap::parse(copy.get(), data.size(), &map).is_ok()) return;
    int64_t v;
    float f;
    for (const char* key : {"frame_size", "frame_step", "prefill", "other"}) {
      (void)map.get_int64(key, &v);
      (void)map.get_float(key, &f);
    }
  };
  for (size_t n = 0; n <= bytes.size(); ++n) {
    probe(std::vector<uint8_t>(bytes.end() - static_cast<ptrdiff_t>(n), bytes.end()));
    probe(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n)));
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int value : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      std::vector<uint8_t> corrupt = bytes;
      corrupt[i] = static_cast<uint8_t>(value);
      probe(corrupt);
    }
  }
}

}  // namespace
}  // namespace edgeinfer
