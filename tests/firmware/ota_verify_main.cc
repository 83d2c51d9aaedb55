// The OTA verifier's cost on a Cortex-M (edge/ota/): instructions for one Ed25519 verification (RFC 8032's
// TEST SHA(abc) vector) and for SHA-256 and SHA-512 over 16 KiB (a package costs both per byte), under QEMU's
// instruction counting. Also checks the results: the vector verifies, a flipped bit does not, SHA-256("abc")
// is right. Exit 0 when all hold.
//   EI ota verify_instructions=N tampered_instructions=N sha256_16k_instructions=N sha512_16k_instructions=N
//   result=ok
#include <cstdint>
#include <cstring>

#include "edge/ota/ed25519.h"
#include "edge/ota/sha2.h"
#include "platform/cortex_m/icount.h"
#include "platform/cortex_m/semihosting.h"

namespace cm = edgeinfer::cortex_m;
namespace ota = edgeinfer::ota;

namespace {

// RFC 8032 section 7.1, TEST SHA(abc): the message is SHA-512("abc").
const uint8_t kPublicKey[32] = {0xec, 0x17, 0x2b, 0x93, 0xad, 0x5e, 0x56, 0x3b, 0xf4, 0x93, 0x2c,
                                0x70, 0xe1, 0x24, 0x50, 0x34, 0xc3, 0x54, 0x67, 0xef, 0x2e, 0xfd,
                                0x4d, 0x64, 0xeb, 0xf8, 0x19, 0x68, 0x34, 0x67, 0xe2, 0xbf};
const uint8_t kSignature[64] = {0xdc, 0x2a, 0x44, 0x59, 0xe7, 0x36, 0x96, 0x33, 0xa5, 0x2b, 0x1b, 0xf2, 0x77,
                                0x83, 0x9a, 0x00, 0x20, 0x10, 0x09, 0xa3, 0xef, 0xbf, 0x3e, 0xcb, 0x69, 0xbe,
                                0xa2, 0x18, 0x6c, 0x26, 0xb5, 0x89, 0x09, 0x35, 0x1f, 0xc9, 0xac, 0x90, 0xb3,
                                0xec, 0xfd, 0xfb, 0xc7, 0xc6, 0x64, 0x31, 0xe0, 0x30, 0x3d, 0xca, 0x17, 0x9c,
                                0x13, 0x8a, 0xc1, 0x7a, 0xd9, 0xbe, 0xf1, 0x17, 0x73, 0x31, 0xa7, 0x04};
const uint8_t kSha256Abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};

uint8_t g_buffer[16384];

uint64_t instructions_since(uint64_t t0) {
  return cm::ticks_to_instructions(cm::icount_ticks() - t0) - cm::icount_overhead_instructions();
}

}  // namespace

int main() {
  cm::icount_start();
  bool ok = true;
  uint8_t message[64];
  ota::sha512("abc", 3, message);

  uint64_t t0 = cm::icount_ticks();
  ok &= ota::ed25519_verify(kSignature, message, sizeof(message), kPublicKey);
  const uint64_t verify = instructions_since(t0);

  uint8_t tampered[64];
  std::memcpy(tampered, kSignature, sizeof(tampered));
  tampered[3] ^= 0x01;
  t0 = cm::icount_ticks();
  ok &= !ota::ed25519_verify(tampered, message, sizeof(message), kPublicKey);
  const uint64_t refused = instructions_since(t0);

  for (size_t i = 0; i < sizeof(g_buffer); ++i) g_buffer[i] = static_cast<uint8_t>(i * 7);
  uint8_t digest[32];
  t0 = cm::icount_ticks();
  ota::sha256(g_buffer, sizeof(g_buffer), digest);
  const uint64_t sha = instructions_since(t0);
  uint8_t digest512[64];
  t0 = cm::icount_ticks();
  ota::sha512(g_buffer, sizeof(g_buffer), digest512);  // Ed25519 hashes the whole package with SHA-512
  const uint64_t sha512 = instructions_since(t0);
  ota::sha256("abc", 3, digest);
  ok &= std::memcmp(digest, kSha256Abc, 32) == 0;

  cm::write("EI ota verify_instructions=");
  cm::write_u64(verify);
  cm::write(" tampered_instructions=");
  cm::write_u64(refused);
  cm::write(" sha256_16k_instructions=");
  cm::write_u64(sha);
  cm::write(" sha512_16k_instructions=");
  cm::write_u64(sha512);
  cm::write(ok ? " result=ok\n" : " result=FAIL\n");
  cm::exit(ok ? 0 : 1);
}
