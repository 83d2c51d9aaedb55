// A/B model slots and the OTA state record, over a storage interface (flash on a device, files on Linux:
// platform/linux/ota_storage.h). Freestanding: no heap, no exceptions.
//
// Regions. Each slot s has a model region (the payload alone, so the runtime reads the model in place from
// its start) and a meta region (header, golden input, golden output, signature: the package minus its
// payload). Two state regions hold one copy of the state record each.
//
// State record (kStateRecordBytes = 32, little-endian), written alternately to state copy (seq & 1):
//   0  4  magic "EIST"           12 4  active version        24 4  reserved, 0
//   4  4  seq (higher wins)      16 4  confirmed version     28 4  CRC-32 (IEEE) of bytes 0..27
//   8  1  active slot (0, 1; 0xFF none)      10 1  pending (0, 1)
//   9  1  confirmed slot (0, 1; 0xFF none)   11 1  reserved, 0
//   20 4  healthy runs that confirmed the active model
// A write that is cut leaves that copy with a bad CRC; the other copy, one sequence number older, still
// holds the previous state. Boot takes the valid copy with the higher seq.
//
// Install (SlotManager::install): parse the header and refuse early (format, target, downgrade, size); write
// the inactive slot in chunks; read it back and check hash and signature; write the state "pending, active =
// new slot"; load the new model, run the golden input (self-test) and N healthy runs; write the state
// "confirmed" — or, on any failure, "active = the last confirmed slot" (rollback). A boot that finds a
// pending update (the device was reset before confirming) rolls back too. Only the two state writes change
// what runs, and each is atomic, so a power cut anywhere leaves the old or the new confirmed model.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/ota/package.h"

namespace edgeinfer::ota {

enum class Region : uint8_t { kModelA, kMetaA, kModelB, kMetaB, kState0, kState1 };
inline constexpr int kNoSlot = 0xFF;
inline Region model_region(int slot) {
  return slot == 0 ? Region::kModelA : Region::kModelB;
}
inline Region meta_region(int slot) {
  return slot == 0 ? Region::kMetaA : Region::kMetaB;
}
const char* slot_name(int slot);  // "a", "b", "none"

// Where slots and state live. Every call returns false on failure (and then the caller stops). The test
// storage in tests/ota counts the writing calls (begin_write, write) and can cut the power at any of them.
class OtaStorage {
 public:
  // Bytes a region can hold.
  virtual uint32_t capacity(Region region) = 0;
  // Readies a region for `size` bytes of new content (flash: erase; file: truncate and size).
  virtual bool begin_write(Region region, uint32_t size) = 0;
  virtual bool write(Region region, uint32_t offset, const void* data, uint32_t size) = 0;
  // Makes what was written durable (files: fsync).
  virtual bool sync(Region region) = 0;
  // Reads bytes written before; false past the region's written size.
  virtual bool read(Region region, uint32_t offset, void* data, uint32_t size) = 0;

 protected:
  ~OtaStorage() = default;  // not virtual: freestanding builds must not pull in operator delete
};

// Runs a slot's model for the self-test and the healthy runs (platform/linux/ota_device.h: the host runtime).
class ModelRunner {
 public:
  // Loads and allocates the model in `slot`; false with a one-line `message` when it cannot.
  virtual bool load(OtaStorage& storage, int slot, const PackageHeader& header, char* message,
                    size_t message_size) = 0;
  // Runs the package's golden input through the loaded model; true when the output bytes equal the golden
  // output.
  virtual bool run_golden(char* message, size_t message_size) = 0;

 protected:
  ~ModelRunner() = default;
};

inline constexpr size_t kStateRecordBytes = 32;

struct OtaState {
  uint32_t seq = 0;  // 0: no record yet (a new device)
  uint8_t active_slot = kNoSlot;
  uint8_t confirmed_slot = kNoSlot;
  bool pending = false;
  uint32_t active_version = 0;
  uint32_t confirmed_version = 0;
  uint32_t healthy_runs = 0;
};

void encode_state(const OtaState& state, uint8_t out[kStateRecordBytes]);
// False when the magic, the reserved bytes, the slots or the CRC are wrong.
bool decode_state(const uint8_t in[kStateRecordBytes], OtaState* state);
uint32_t crc32(const void* data, size_t size);

struct InstallConfig {
  const uint8_t* public_key = nullptr;  // 32 bytes
  const char* target = "";              // this device's target name
  uint32_t healthy_runs = 3;            // golden runs after the self-test before the update is confirmed
  uint32_t chunk_bytes = 4096;          // slot writes are at most this long
};

struct InstallResult {
  bool ok = false;
  Reason reason = Reason::kOk;
  char message[kMessageBytes] = {};
  uint32_t version = 0;  // the model version running afterwards (0: none)

  // The new model was installed but failed its self-test or a healthy run: the device went back.
  bool rolled_back() const { return reason == Reason::kSelfTestFailed || reason == Reason::kUnhealthy; }
};

class SlotManager {
 public:
  explicit SlotManager(OtaStorage& storage) : storage_(storage) {}

  // Reads the state record (no valid copy: a new device without a model). A pending update means the device
  // was reset before confirming it: rolled back here. kStorage when that rollback cannot be written.
  Reason boot(char* message, size_t message_size);

  const OtaState& state() const { return state_; }
  bool has_model() const { return state_.active_slot != kNoSlot; }
  int running_slot() const { return state_.active_slot; }
  uint32_t running_version() const { return has_model() ? state_.active_version : 0; }

  // The whole sequence; call boot() first. Refusals leave the state record as it was.
  InstallResult install(const uint8_t* package, size_t size, const InstallConfig& config,
                        ModelRunner& runner);

  // The steps install() takes, for devices that receive a package in pieces or run the healthy checks on
  // live data.
  Reason check_header(const uint8_t* package, size_t size, const InstallConfig& config, PackageHeader* header,
                      char* message, size_t message_size) const;
  Reason write_slot(int slot, const uint8_t* package, const PackageHeader& header, uint32_t chunk_bytes,
                    char* message, size_t message_size);
  // Reads the slot back: header, payload hash, signature.
  Reason verify_slot(int slot, const uint8_t* public_key, PackageHeader* header, char* message,
                     size_t message_size);
  Reason switch_pending(int slot, uint32_t version, char* message, size_t message_size);
  Reason confirm(uint32_t healthy_runs, char* message, size_t message_size);
  Reason rollback(char* message, size_t message_size);

  int inactive_slot() const { return state_.active_slot == 0 ? 1 : 0; }

 private:
  Reason write_state(const OtaState& next, char* message, size_t message_size);

  OtaStorage& storage_;
  OtaState state_;
};

}  // namespace edgeinfer::ota
