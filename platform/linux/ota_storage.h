// OTA slot storage on Linux: one file per region in a device directory (host only).
//   DIR/slot_a/model.tflite  DIR/slot_a/package.meta  (header, goldens, signature)
//   DIR/slot_b/model.tflite  DIR/slot_b/package.meta
//   DIR/state.0  DIR/state.1                           (the two copies of the state record)
// Every sync() is an fsync of the file and of its directory, so a state write is durable before the next
// step starts.
#pragma once

#include <cstdint>
#include <string>

#include "edge/ota/slots.h"

namespace edgeinfer::ota {

class FileStorage final : public OtaStorage {
 public:
  // Creates DIR and the slot directories when missing (check ok()).
  explicit FileStorage(std::string dir, uint32_t model_capacity = 256u << 20);
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  // The file that holds `region`.
  std::string path(Region region) const;

  uint32_t capacity(Region region) override;
  bool begin_write(Region region, uint32_t size) override;
  bool write(Region region, uint32_t offset, const void* data, uint32_t size) override;
  bool sync(Region region) override;
  bool read(Region region, uint32_t offset, void* data, uint32_t size) override;

 private:
  bool fail(const std::string& what);
  std::string dir_;
  uint32_t model_capacity_;
  bool ok_ = true;
  std::string error_;
};

}  // namespace edgeinfer::ota
