// OTA on a Linux device (host only): the self-test runner on the EdgeInfer runtime, the whole install of a
// package into a device directory (what `edgeinfer ota install` and the MQTT OTA topic call), the device's
// status, and the signing side (libsodium) that `edgeinfer ota keygen/pack` use.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/host_runner.h"
#include "edge/ota/slots.h"

namespace edgeinfer::ota {

using PublicKey = std::array<uint8_t, kEd25519PublicKeyBytes>;
using SecretKey = std::array<uint8_t, 64>;  // libsodium's: seed, then the public key

// The self-test on the host runtime: loads the slot's model, allocates exactly the arena it needs, runs the
// golden input (model state reset first) and compares every output byte with the golden output.
class HostModelRunner final : public ModelRunner {
 public:
  bool load(OtaStorage& storage, int slot, const PackageHeader& header, char* message,
            size_t message_size) override;
  bool run_golden(char* message, size_t message_size) override;
  int golden_runs() const { return golden_runs_; }

 private:
  host::LoadedModel model_;
  host::HostInterpreter runner_;
  std::vector<uint8_t> golden_input_, golden_output_;
  bool loaded_ = false;
  int golden_runs_ = 0;
};

struct DeviceOptions {
  std::string dir;            // the device's slots and state (platform/linux/ota_storage.h)
  PublicKey public_key{};     // packages must be signed with its secret key
  std::string target;         // the device's target name; packages for another are refused
  uint32_t healthy_runs = 3;  // golden runs after the self-test before confirming
};

// Boots the device directory (rolling back an unconfirmed update left by a reset), then installs `bytes`:
// write, verify, switch, self-test, healthy runs, confirm or roll back. Serialized per directory (flock).
InstallResult install_package(const uint8_t* bytes, size_t size, const DeviceOptions& options);
inline InstallResult install_package(const std::vector<uint8_t>& bytes, const DeviceOptions& options) {
  return install_package(bytes.data(), bytes.size(), options);
}

struct DeviceStatus {
  bool has_model = false;
  uint32_t version = 0;    // running now (0: none)
  std::string model_path;  // the running slot's model file ("" when none)
  std::string slot;        // "a", "b" or "none"
  bool pending = false;
  uint32_t confirmed_version = 0;
  uint32_t healthy_runs = 0;
  uint32_t seq = 0;
};

// Boots the directory (a pending update is rolled back, as at a device reset) and reports.
std::optional<DeviceStatus> device_status(const std::string& dir, std::string* error);

// ---- Signing side -----------------------------------------------------------------------------------------

void generate_keypair(PublicKey* public_key, SecretKey* secret_key);

// All output bytes (in output order) the runtime computes for `golden_input` (all inputs' bytes in input
// order); an empty `golden_input` means the `--fill lcg:SEED` input. The input used is returned in
// `used_input`. nullopt with `error` when the model does not load or run, or the input size is wrong.
std::optional<std::vector<uint8_t>> compute_golden_output(const std::vector<uint8_t>& model,
                                                          const std::vector<uint8_t>& golden_input,
                                                          uint32_t lcg_seed, std::vector<uint8_t>* used_input,
                                                          std::string* error);

// The signed package (layout: edge/ota/package.h).
std::vector<uint8_t> make_package(const std::vector<uint8_t>& model, const std::vector<uint8_t>& golden_input,
                                  const std::vector<uint8_t>& golden_output, uint32_t version,
                                  const std::string& target, const SecretKey& secret_key);

}  // namespace edgeinfer::ota
