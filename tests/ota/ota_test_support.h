// Shared by the OTA tests: keys, small models, packages, and a storage that cuts the power at write k.
#pragma once

#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/model_builder.h"
#include "edge/ota/slots.h"
#include "gtest/gtest.h"
#include "platform/linux/ota_device.h"
#include "tests/ota/memory_storage.h"
#include "tests/support/fc_model.h"

namespace edgeinfer::ota::testing {

struct Keys {
  PublicKey pub{};
  SecretKey secret{};
};

inline Keys make_keys() {
  Keys keys;
  generate_keypair(&keys.pub, &keys.secret);
  return keys;
}

// FULLY_CONNECTED 4 -> 3, float; `scale` changes the weights so versions differ in their bytes and outputs.
inline std::vector<uint8_t> fc_model(float scale) {
  std::vector<float> weights;
  for (int i = 0; i < 12; ++i) weights.push_back(scale * static_cast<float>(i - 5));
  return edgeinfer::testing::float_fc_model(4, 3, weights, {0.5f, -0.5f, scale});
}

// A signed package whose golden output our runtime computed (flipped when `break_golden`: the self-test
// then fails on the device).
inline std::vector<uint8_t> make_test_package(const std::vector<uint8_t>& model, uint32_t version,
                                              const std::string& target, const Keys& keys,
                                              bool break_golden = false) {
  std::vector<uint8_t> input;
  std::string error;
  auto output = compute_golden_output(model, {}, 1, &input, &error);
  EXPECT_TRUE(output.has_value()) << error;
  if (!output) return {};
  if (break_golden) (*output)[0] ^= 0x01;
  return make_package(model, input, *output, version, target, keys.secret);
}

inline std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A fresh directory under the test temp dir.
inline std::string fresh_dir(const std::string& name) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("edgeinfer_ota_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// Passes everything to `inner` until the writing call number `cut_at` (0-based; begin_write and write
// count): that call half happens (begin_write erases, write stores the first half of its bytes: a torn
// write) and from then on every call fails, as after a power cut. cut_at < 0: never.
class PowerCutStorage final : public OtaStorage {
 public:
  PowerCutStorage(OtaStorage& inner, int cut_at) : inner_(inner), cut_at_(cut_at) {}
  int writes() const { return writes_; }
  bool cut() const { return dead_; }

  uint32_t capacity(Region region) override { return inner_.capacity(region); }
  bool begin_write(Region region, uint32_t size) override {
    if (dead_) return false;
    if (writes_++ == cut_at_) {
      inner_.begin_write(region, size);
      dead_ = true;
      return false;
    }
    return inner_.begin_write(region, size);
  }
  bool write(Region region, uint32_t offset, const void* data, uint32_t size) override {
    if (dead_) return false;
    if (writes_++ == cut_at_) {
      inner_.write(region, offset, data, size / 2);
      dead_ = true;
      return false;
    }
    return inner_.write(region, offset, data, size);
  }
  bool sync(Region region) override { return !dead_ && inner_.sync(region); }
  bool read(Region region, uint32_t offset, void* data, uint32_t size) override {
    return !dead_ && inner_.read(region, offset, data, size);
  }

 private:
  OtaStorage& inner_;
  int cut_at_;
  int writes_ = 0;
  bool dead_ = false;
};

// A runner that loads anything and fails the golden run number `fail_at` (0 = the self-test; < 0 never).
class ScriptedRunner final : public ModelRunner {
 public:
  explicit ScriptedRunner(int fail_at = -1) : fail_at_(fail_at) {}
  int loads = 0, runs = 0;
  bool load(OtaStorage&, int, const PackageHeader&, char*, size_t) override {
    ++loads;
    return true;
  }
  bool run_golden(char* message, size_t message_size) override {
    if (runs++ == fail_at_) {
      std::snprintf(message, message_size, "scripted failure at run %d", fail_at_);
      return false;
    }
    return true;
  }

 private:
  int fail_at_;
};

}  // namespace edgeinfer::ota::testing
