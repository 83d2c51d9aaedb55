// Ed25519 signature verification (RFC 8032, section 5.1.7), freestanding: no heap, no tables, streaming
// message input so a device can check a package straight out of its flash slot. Verification only; signing
// happens on the host (libsodium, tools/edgeinfer/ota.cc).
//
// Accepts exactly what libsodium's crypto_sign_verify_detached accepts for the signatures we make: S must be
// below the group order L, A must be a canonical encoding of a curve point of more than small order, R must
// not be of small order, and the check is the cofactorless encode([S]B - [k]A) == R with
// k = SHA-512(R || A || M) mod L. Not constant time: everything it handles is public.
//
// Cost: field elements are 16 limbs of 16 bits (int32, products summed in int64: Cortex-M has no 128-bit
// products), one joint double-scalar multiplication (Straus). Measured: about 1.1-1.4 ms per verification on
// the x86 build host (tests/ota/ota_crypto_test.cc), 15.7 M instructions on a Cortex-M4 under QEMU
// (tests/firmware/ota_verify_main.cc), about 3 KB of stack.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edge/ota/sha2.h"

namespace edgeinfer::ota {

inline constexpr size_t kEd25519PublicKeyBytes = 32;
inline constexpr size_t kEd25519SignatureBytes = 64;

class Ed25519Verifier {
 public:
  // Starts a verification of `signature` under `public_key`; the message follows through update().
  void begin(const uint8_t signature[kEd25519SignatureBytes],
             const uint8_t public_key[kEd25519PublicKeyBytes]);
  void update(const void* data, size_t size);
  // True when the signature is valid for everything passed to update().
  bool finish();

 private:
  Sha512 hash_;
  uint8_t signature_[kEd25519SignatureBytes] = {};
  uint8_t public_key_[kEd25519PublicKeyBytes] = {};
};

bool ed25519_verify(const uint8_t signature[kEd25519SignatureBytes], const void* message, size_t size,
                    const uint8_t public_key[kEd25519PublicKeyBytes]);

}  // namespace edgeinfer::ota
