// SHA-256 (the OTA payload hash) and SHA-512 (inside Ed25519), FIPS 180-4. Freestanding: no heap, streaming,
// so a device can hash a model straight out of its flash slot in small reads. The two differ only in word
// size, round count and constants, so one template (sha2.cc) is both.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer::ota {

struct Sha256Params {
  using Word = uint32_t;
  static constexpr size_t kBlockBytes = 64;
  static constexpr size_t kDigestBytes = 32;
  static constexpr int kRounds = 64;
};
struct Sha512Params {
  using Word = uint64_t;
  static constexpr size_t kBlockBytes = 128;
  static constexpr size_t kDigestBytes = 64;
  static constexpr int kRounds = 80;
};

template <typename Params>
class Sha2 {
 public:
  static constexpr size_t kDigestBytes = Params::kDigestBytes;
  Sha2() { reset(); }
  void reset();
  void update(const void* data, size_t size);
  void finish(uint8_t digest[kDigestBytes]);

 private:
  using Word = typename Params::Word;
  void compress(const uint8_t* block);
  Word state_[8];
  uint8_t block_[Params::kBlockBytes];
  size_t block_used_;
  uint64_t total_bytes_;  // messages past 2^61 bytes do not occur here; SHA-512's length high word is 0
};

using Sha256 = Sha2<Sha256Params>;
using Sha512 = Sha2<Sha512Params>;
extern template class Sha2<Sha256Params>;
extern template class Sha2<Sha512Params>;

void sha256(const void* data, size_t size, uint8_t digest[Sha256::kDigestBytes]);
void sha512(const void* data, size_t size, uint8_t digest[Sha512::kDigestBytes]);

}  // namespace edgeinfer::ota
