// OTA slot storage in memory, for the OTA tests and the package fuzzer (no test framework here, so the
// fuzzer can include it).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "edge/ota/slots.h"

namespace edgeinfer::ota::testing {

// Regions in memory; `writes` counts the writing calls.
class MemoryStorage final : public OtaStorage {
 public:
  explicit MemoryStorage(uint32_t model_capacity = 1u << 20) : model_capacity_(model_capacity) {}
  int writes = 0;
  std::vector<uint8_t> regions[6];

  uint32_t capacity(Region region) override {
    return region >= Region::kState0 ? kStateRecordBytes : model_capacity_;
  }
  bool begin_write(Region region, uint32_t size) override {
    ++writes;
    if (size > capacity(region)) return false;
    regions[static_cast<int>(region)].clear();
    return true;
  }
  bool write(Region region, uint32_t offset, const void* data, uint32_t size) override {
    ++writes;
    auto& r = regions[static_cast<int>(region)];
    if (uint64_t{offset} + size > capacity(region)) return false;
    if (r.size() < offset + size) r.resize(offset + size);
    std::memcpy(r.data() + offset, data, size);
    return true;
  }
  bool sync(Region) override { return true; }
  bool read(Region region, uint32_t offset, void* data, uint32_t size) override {
    const auto& r = regions[static_cast<int>(region)];
    if (uint64_t{offset} + size > r.size()) return false;
    std::memcpy(data, r.data() + offset, size);
    return true;
  }

 private:
  uint32_t model_capacity_;
};

}  // namespace edgeinfer::ota::testing
