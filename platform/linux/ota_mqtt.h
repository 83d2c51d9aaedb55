// OTA over MQTT (host only): a device process receives signed packages on edgeinfer/<device>/ota and reports
// every outcome on its retained edgeinfer/<device>/status, next to its telemetry and over the same
// connection (TelemetryClient::subscribe).
//
//   TelemetryClient telemetry({.port = 1883, .device_id = "pump-7", .queue_dir = "/var/lib/ei/q"});
//   OtaUpdater updater(telemetry, {.device = {.dir = "/var/lib/ei/ota", .public_key = key, .target = "gw"}});
//
// Status payload (retained; "state", "device", "ts" are added by TelemetryClient):
//   {"state":"online","model_version":2,
//    "ota":{"result":"installed","ok":true,"reason":"ok","message":"...","version":2,
//           "package_version":2,"package_bytes":1234,"package_sha256":"<hex of the payload bytes>"}}
// "result" is installed | already_running | refused | rolled_back | superseded; "reason" is a reason_name()
// ("bad_signature", "downgrade", "too_large", ...) or "superseded"; "version" and "model_version" are the
// version running afterwards; "package_version" is there when the bytes had a well-formed header. At start
// the status carries "model_version" alone.
//
// Operators publish packages retained, so a device that was offline gets the latest one when it connects,
// and gets it again after every reconnect. Therefore a package whose version is the confirmed one running,
// with the same signed model, is reported as ok "already_running" (verified, nothing rewritten); the same
// version with a different model is refused as "downgrade" (a new model needs a new version), and so is any
// lower version.
//
// Threading: the message handler runs on the MQTT network thread and only copies the bytes (and hashes
// them for the report) into a one-place inbox; installing (flash writes, fsync, self-test) on that thread
// would stall keepalives. One worker thread installs one package at a time. A package arriving while another
// waits in the inbox replaces it (only the newest push matters; the replaced one is reported "superseded"),
// while the one being installed always finishes: an install cannot be interrupted halfway by design.
//
// Untrusted bytes: payloads over max_package_bytes are refused ("too_large") without being parsed;
// everything else goes through parse_header / verify_package / SlotManager::install (edge/ota/), the same
// parser and verifier tests/fuzz/ota_package_fuzzer.cc covers. No payload changes the running model unless
// it verified, loaded and reproduced its golden output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "platform/linux/ota_device.h"
#include "platform/linux/telemetry_client.h"

namespace edgeinfer::ota {

inline constexpr size_t kDefaultMaxPackageBytes = 4u << 20;

struct OtaOutcome {
  std::string result;  // installed, already_running, refused, rolled_back, superseded
  bool ok = false;
  std::string reason;  // reason_name() or "superseded"
  std::string message;
  uint32_t version = 0;  // running afterwards (0: none)
  std::optional<uint32_t> package_version;
  uint64_t package_bytes = 0;
  std::string package_sha256;  // hex, of the payload bytes as received

  nlohmann::json to_json() const;
};

// The topic a device receives packages on: edgeinfer/<device_id>/ota.
std::string ota_topic(const std::string& device_id);
std::string sha256_hex(const uint8_t* bytes, size_t size);

// What the updater does with one payload, without MQTT: the already-running check, then install_package().
// Never throws; every refusal leaves the running model as it was.
OtaOutcome process_package(const uint8_t* bytes, size_t size, const DeviceOptions& options);

struct UpdaterOptions {
  DeviceOptions device;
  size_t max_package_bytes = kDefaultMaxPackageBytes;
};

class OtaUpdater {
 public:
  // Runs on the worker thread after each outcome was handed to publish_status (for logs, tests).
  using Listener = std::function<void(const OtaOutcome&)>;

  // Reads the device's status (throws std::runtime_error with one line when the directory is unusable),
  // publishes its model version on status, starts the worker and subscribes to ota_topic(). `telemetry`
  // must outlive the updater.
  OtaUpdater(platform::TelemetryClient& telemetry, UpdaterOptions options, Listener listener = nullptr);
  // Drops a package still waiting, lets the install in progress finish, joins the worker. Messages arriving
  // afterwards are ignored (the subscription stays with the client).
  ~OtaUpdater();
  OtaUpdater(const OtaUpdater&) = delete;
  OtaUpdater& operator=(const OtaUpdater&) = delete;

  uint64_t outcomes() const;  // reported so far

 private:
  struct Inbox;
  void run();
  void report(const OtaOutcome& outcome);

  platform::TelemetryClient& telemetry_;
  UpdaterOptions options_;
  Listener listener_;
  std::shared_ptr<Inbox> inbox_;  // shared with the message handler, which may outlive us
  std::thread worker_;
};

}  // namespace edgeinfer::ota
