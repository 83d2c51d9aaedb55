// SHA-256 (the OTA payload hash) and SHA-512 (inside Ed25519), FIPS 180-4. Freestanding: no heap, streaming,
// so a device can hash a model straight out of its flash slot in small reads.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer::ota {

class Sha256 {
 public:
  static constexpr size_t kDigestBytes = 32;
  Sha256() { reset(); }
  void reset();
  void update(const void* data, size_t size);
  void finish(uint8_t digest[kDigestBytes]);

 private:
  void compress(const uint8_t block[64]);
  uint32_t state_[8];
  uint8_t block_[64];
  size_t block_used_;
  uint64_t total_bytes_;
};

class Sha512 {
 public:
  static constexpr size_t kDigestBytes = 64;
  Sha512() { reset(); }
  void reset();
  void update(const void* data, size_t size);
  void finish(uint8_t digest[kDigestBytes]);

 private:
  void compress(const uint8_t block[128]);
  uint64_t state_[8];
  uint8_t block_[128];
  size_t block_used_;
  uint64_t total_bytes_;  // messages past 2^64 bytes do not occur here; the length's high word is 0
};

void sha256(const void* data, size_t size, uint8_t digest[Sha256::kDigestBytes]);
void sha512(const void* data, size_t size, uint8_t digest[Sha512::kDigestBytes]);

}  // namespace edgeinfer::ota
