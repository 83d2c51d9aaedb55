// libFuzzer target: what arrives on edgeinfer/<device>/ota, through the device side's handling of one
// payload (platform/linux/ota_mqtt.h: process_package, which the MQTT updater's worker calls): the
// already-running check, then the whole install into a real device directory (file slots, state record,
// self-test on the host runtime). The device runs version 1 of a small signed model.
//
// The input is either a raw payload, or an edit of a validly signed package, so that the fuzzer reaches the
// hash, signature, version and target checks and the install steps behind them:
//   byte 0 % 4 == 0: the rest is the payload as is
//   byte 0 % 4 == 1: version 2 (newer, validly signed) with edits: each 3 bytes (offset hi, offset lo, value)
//   byte 0 % 4 == 2: version 2 truncated to the length in bytes 1-2
//   byte 0 % 4 == 3: version 1 (running) with edits
// Any crash, sanitizer report or hang is a bug; so is an outcome "ok" for bytes that are not exactly one of
// the two signed packages, a refusal that changed the running model, or a message that is not one line.
//
// Replay one input: build/fuzz/bin/edgeinfer_ota_mqtt_payload_fuzzer crash-FILE
#include <sodium.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "platform/linux/ota_device.h"
#include "platform/linux/ota_mqtt.h"
#include "tests/support/fc_model.h"

namespace {

using namespace edgeinfer;
namespace fs = std::filesystem;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "ota_mqtt_payload_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// FULLY_CONNECTED 4 -> 3, float; `scale` makes the versions' bytes differ.
std::vector<uint8_t> fc_model(float scale) {
  return testing::float_fc_model(4, 3, std::vector<float>(12, scale));
}

struct Fixture {
  ota::DeviceOptions options;
  std::vector<uint8_t> v1, v2, v1_model;
  std::string dir;

  Fixture() {
    if (sodium_init() < 0) fail("libsodium", "cannot initialize");
    // A fixed key: the same packages every run, so a finding replays.
    unsigned char seed[crypto_sign_SEEDBYTES];
    for (size_t i = 0; i < sizeof seed; ++i) seed[i] = static_cast<unsigned char>(i * 7 + 1);
    ota::SecretKey secret;
    crypto_sign_seed_keypair(options.public_key.data(), secret.data(), seed);
    v1_model = fc_model(1.0f);
    v1 = package(v1_model, 1, secret);
    v2 = package(fc_model(2.0f), 2, secret);
    // A RAM-backed directory when there is one: every install fsyncs.
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    dir = (base / ("edgeinfer_ota_mqtt_fuzz_" + std::to_string(::getpid()))).string();
    options.target = "fuzz";
    options.healthy_runs = 1;
    options.dir = dir;
    reset();
  }
  ~Fixture() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  static std::vector<uint8_t> package(const std::vector<uint8_t>& model, uint32_t version,
                                      const ota::SecretKey& secret) {
    std::vector<uint8_t> input;
    std::string error;
    const auto output = ota::compute_golden_output(model, {}, 1, &input, &error);
    if (!output) fail("golden output", error);
    return ota::make_package(model, input, *output, version, "fuzz", secret);
  }

  // The device back at version 1, confirmed.
  void reset() {
    fs::remove_all(dir);
    const ota::OtaOutcome first = ota::process_package(v1.data(), v1.size(), options);
    if (!first.ok) fail("installing version 1", first.message);
  }
};

std::vector<uint8_t> edited(std::vector<uint8_t> bytes, const uint8_t* edits, size_t size) {
  for (size_t i = 0; i + 3 <= size; i += 3)
    bytes[((edits[i] << 8) | edits[i + 1]) % bytes.size()] = edits[i + 2];
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  if (size == 0) return 0;
  std::vector<uint8_t> payload;
  switch (data[0] % 4) {
    case 0: payload.assign(data + 1, data + size); break;
    case 1: payload = edited(fixture.v2, data + 1, size - 1); break;
    case 2:
      payload = fixture.v2;
      if (size >= 3) payload.resize(((data[1] << 8) | data[2]) % (payload.size() + 1));
      break;
    default: payload = edited(fixture.v1, data + 1, size - 1); break;
  }
  const ota::OtaOutcome outcome = ota::process_package(payload.data(), payload.size(), fixture.options);
  if (outcome.message.find('\n') != std::string::npos) fail("message not one line", outcome.message);
  if (!outcome.ok && outcome.message.empty()) fail("refusal without a message", outcome.reason);
  if (outcome.ok) {
    if (payload != fixture.v1 && payload != fixture.v2) fail("accepted bytes nobody signed", outcome.result);
    if (payload == fixture.v2) fixture.reset();  // back to version 1 for the next input
    return 0;
  }
  std::string error;
  const auto status = ota::device_status(fixture.dir, &error);
  if (!status || status->version != 1 || status->pending) fail("a refusal changed the device", error);
  if (read_all(status->model_path) != fixture.v1_model) fail("a refusal changed the running model", "");
  return 0;
}
