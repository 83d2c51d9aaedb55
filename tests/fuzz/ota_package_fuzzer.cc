// libFuzzer target: untrusted bytes -> the OTA package parser and verifier (edge/ota/package.h) and a whole
// install into in-memory slots (edge/ota/slots.h), as a package arriving on edgeinfer/<device>/ota would
// go (platform/linux/ota_mqtt.cc hands MQTT payloads to exactly these functions). Any crash, sanitizer report
// or hang is a bug; so is a refusal without a one-line message, a parse that disagrees with the input size,
// an accepted package (nothing here is signed with the key), or a refused install that changed the state
// record or the running slot. Run it with scripts/fuzz.sh SECONDS.
//
// Replay one input: build/fuzz/bin/edgeinfer_ota_package_fuzzer crash-FILE
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "edge/ota/package.h"
#include "edge/ota/sha2.h"
#include "edge/ota/slots.h"
#include "tests/ota/memory_storage.h"

namespace {

using namespace edgeinfer::ota;
using edgeinfer::ota::testing::MemoryStorage;

[[noreturn]] void fail(const char* what, const char* detail) {
  std::fprintf(stderr, "ota_package_fuzzer: %s: %s\n", what, detail);
  std::abort();
}

// Never reached for unsigned input: a package must pass the signature before anything runs.
class NoRunner final : public ModelRunner {
 public:
  bool load(OtaStorage&, int, const PackageHeader&, char*, size_t) override { fail("runner reached", ""); }
  bool run_golden(char*, size_t) override { fail("runner reached", ""); }
};

void check_message(Reason reason, const char* message) {
  if (reason == Reason::kOk) return;
  if (message[0] == '\0') fail("refusal without a message", reason_name(reason));
  if (std::strchr(message, '\n') != nullptr) fail("message not one line", message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A fixed key nobody holds the secret of (the RFC 8032 TEST 1 public key).
  static const uint8_t kPublicKey[32] = {0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe,
                                         0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6,
                                         0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a};
  PackageHeader header;
  char message[kMessageBytes] = {};
  Reason reason = parse_package(data, size, &header, message, sizeof(message));
  check_message(reason, message);
  if (reason == Reason::kOk && header.total_bytes() != size) fail("parsed size differs from the input", "");
  message[0] = '\0';
  reason = verify_package(data, size, kPublicKey, &header, message, sizeof(message));
  check_message(reason, message);
  if (reason == Reason::kOk) fail("an unsigned package verified", "");

  // Well-formed input again with its payload hash made right, so the Ed25519 verifier sees arbitrary
  // signatures: under the fixed key they are refused; under a key taken from the input (point decoding on
  // arbitrary bytes) the check only has to survive.
  if (parse_package(data, size, &header, nullptr, 0) == Reason::kOk) {
    std::vector<uint8_t> fixed(data, data + size);
    sha256(fixed.data() + kHeaderBytes, header.payload_bytes, fixed.data() + 64);
    const uint8_t* signature = fixed.data() + header.signature_offset();
    if (ed25519_verify(signature, fixed.data(), header.signature_offset(), kPublicKey))
      fail("an unsigned package verified after its hash was fixed", "");
    ed25519_verify(signature, fixed.data(), header.signature_offset(), fixed.data() + 16 + (size % 32));
  }

  // The device side: a device running nothing and one in a confirmed state both refuse it untouched.
  MemoryStorage storage;
  SlotManager slots(storage);
  if (slots.boot(nullptr, 0) != Reason::kOk) fail("boot of an empty device failed", "");
  InstallConfig config;
  config.public_key = kPublicKey;
  config.target = "fuzz";
  config.chunk_bytes = 1 + (size % 97);
  NoRunner runner;
  const InstallResult result = slots.install(data, size, config, runner);
  check_message(result.reason, result.message);
  if (result.ok || result.version != 0 || slots.state().seq != 0)
    fail("refused install changed the state", "");
  return 0;
}
