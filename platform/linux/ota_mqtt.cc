#include "platform/linux/ota_mqtt.h"

#include <sodium.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "edge/ota/package.h"

namespace edgeinfer::ota {
namespace {

// Superseded packages waiting to be reported; past this the oldest go unreported (a flood of pushes).
constexpr size_t kMaxSupersededReports = 16;

// Size, hash and (when the header parses) version of a payload: what every report carries.
OtaOutcome describe(const uint8_t* bytes, size_t size) {
  OtaOutcome outcome;
  outcome.package_bytes = size;
  outcome.package_sha256 = sha256_hex(bytes, size);
  PackageHeader header;
  if (parse_header(bytes, size, &header, nullptr, 0) == Reason::kOk)
    outcome.package_version = header.model_version;
  return outcome;
}

OtaOutcome refused(OtaOutcome outcome, Reason reason, const std::string& message, uint32_t running) {
  outcome.result = "refused";
  outcome.ok = false;
  outcome.reason = reason_name(reason);
  outcome.message = message;
  outcome.version = running;
  return outcome;
}

// The running model's file: its SHA-256 against the package header's, to tell a re-push of the running
// model from another model under the same version.
bool file_has_sha256(const std::string& path, const uint8_t expected[32]) {
  std::string unreadable;  // an unreadable running model is simply not this package's
  const std::optional<std::vector<uint8_t>> bytes = host::read_file(path, &unreadable);
  if (!bytes) return false;
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes->data(), bytes->size());
  return sodium_memcmp(digest, expected, sizeof(digest)) == 0;
}

// A package with the version of the confirmed model running: verified in full like any other (a re-push
// must not be a way around the signature), then "already running" when it carries the same model.
OtaOutcome check_running_version(OtaOutcome outcome, const uint8_t* bytes, size_t size,
                                 const DeviceOptions& options, const DeviceStatus& status) {
  PackageHeader header;
  char message[kMessageBytes] = {};
  const Reason reason =
      verify_package(bytes, size, options.public_key.data(), &header, message, sizeof(message));
  if (reason != Reason::kOk) return refused(std::move(outcome), reason, message, status.version);
  if (options.target != header.target)
    return refused(
        std::move(outcome), Reason::kWrongTarget,
        std::string("package is for target '") + header.target + "', this device is '" + options.target + "'",
        status.version);
  const std::string version = std::to_string(header.model_version);
  if (!file_has_sha256(status.model_path, header.payload_sha256))
    return refused(
        std::move(outcome), Reason::kDowngrade,
        "version " + version + " is running with a different model: a new model needs a new version",
        status.version);
  outcome.result = "already_running";
  outcome.ok = true;
  outcome.reason = reason_name(Reason::kOk);
  outcome.message = "version " + version + " is already running (slot " + status.slot + "): nothing to do";
  outcome.version = status.version;
  return outcome;
}

}  // namespace

nlohmann::json OtaOutcome::to_json() const {
  nlohmann::json j = {{"result", result},
                      {"ok", ok},
                      {"reason", reason},
                      {"message", message},
                      {"version", version},
                      {"package_bytes", package_bytes},
                      {"package_sha256", package_sha256}};
  if (package_version) j["package_version"] = *package_version;
  return j;
}

std::string ota_topic(const std::string& device_id) {
  return "edgeinfer/" + device_id + "/ota";
}

std::string sha256_hex(const uint8_t* bytes, size_t size) {
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes, size);
  char text[2 * sizeof(digest) + 1];
  return sodium_bin2hex(text, sizeof(text), digest, sizeof(digest));
}

OtaOutcome process_package(const uint8_t* bytes, size_t size, const DeviceOptions& options) {
  OtaOutcome outcome = describe(bytes, size);
  try {
    std::string error;
    const std::optional<DeviceStatus> status = device_status(options.dir, &error);
    if (!status) return refused(std::move(outcome), Reason::kStorage, error, 0);
    if (outcome.package_version && status->has_model && !status->pending &&
        *outcome.package_version == status->confirmed_version && status->version == status->confirmed_version)
      return check_running_version(std::move(outcome), bytes, size, options, *status);

    const InstallResult result = install_package(bytes, size, options);
    outcome.ok = result.ok;
    outcome.reason = reason_name(result.reason);
    outcome.message = result.message;
    outcome.version = result.version;
    if (result.ok)
      outcome.result = "installed";
    else if (result.rolled_back())
      outcome.result = "rolled_back";
    else
      outcome.result = "refused";
    return outcome;
  } catch (const std::exception& e) {  // out of memory and the like: refused, the slots untouched
    return refused(std::move(outcome), Reason::kStorage, std::string("install failed: ") + e.what(), 0);
  }
}

// ---- The updater --------------------------------------------------------------------------------------

struct OtaUpdater::Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  size_t max_package_bytes = 0;
  bool closed = false;
  uint64_t outcomes = 0;
  // The package to install next: bytes (empty when oversize: not copied) and its description.
  struct Job {
    std::vector<uint8_t> bytes;
    OtaOutcome description;
    bool oversize = false;
  };
  std::optional<Job> waiting;
  std::deque<OtaOutcome> superseded;

  // On the network thread: copy, hash, and queue; nothing slow.
  void receive(std::string_view payload) {
    // An empty message is how MQTT clears a retained one (the operator withdrawing a package): not a package.
    if (payload.empty()) return;
    Job job;
    const auto* data = reinterpret_cast<const uint8_t*>(payload.data());
    job.oversize = payload.size() > max_package_bytes;
    if (job.oversize) {
      job.description.package_bytes = payload.size();
      job.description.package_sha256 = sha256_hex(data, payload.size());  // lets the pusher match the refusal
    } else {
      job.bytes.assign(data, data + payload.size());
      job.description = describe(job.bytes.data(), job.bytes.size());
    }
    std::lock_guard lock(mutex);
    if (closed) return;
    if (waiting) {
      superseded.push_back(std::move(waiting->description));
      if (superseded.size() > kMaxSupersededReports) superseded.pop_front();
    }
    waiting = std::move(job);
    changed.notify_all();
  }
};

OtaUpdater::OtaUpdater(platform::TelemetryClient& telemetry, UpdaterOptions options, Listener listener)
    : telemetry_(telemetry),
      options_(std::move(options)),
      listener_(std::move(listener)),
      inbox_(std::make_shared<Inbox>()) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot initialize");
  if (options_.max_package_bytes < 1)
    throw std::runtime_error("the OTA package size bound must be at least 1");
  std::string error;
  const auto status = device_status(options_.device.dir, &error);
  if (!status) throw std::runtime_error("OTA device " + options_.device.dir + ": " + error);
  telemetry_.publish_status({{"model_version", status->version}});
  inbox_->max_package_bytes = options_.max_package_bytes;
  // The handler holds the inbox, not `this`: a message arriving after our destructor finds it closed. A
  // message arriving before the worker starts waits in the inbox. Subscribing first: if it throws, no thread
  // is left running.
  telemetry_.subscribe(
      ota_topic(telemetry_.options().device_id),
      [inbox = inbox_](std::string_view, std::string_view payload) { inbox->receive(payload); });
  worker_ = std::thread([this] { run(); });
}

OtaUpdater::~OtaUpdater() {
  {
    std::lock_guard lock(inbox_->mutex);
    inbox_->closed = true;
    inbox_->waiting.reset();
    inbox_->superseded.clear();
  }
  inbox_->changed.notify_all();
  worker_.join();
}

uint64_t OtaUpdater::outcomes() const {
  std::lock_guard lock(inbox_->mutex);
  return inbox_->outcomes;
}

void OtaUpdater::run() {
  for (;;) {
    std::optional<Inbox::Job> job;
    std::deque<OtaOutcome> superseded;
    {
      std::unique_lock lock(inbox_->mutex);
      inbox_->changed.wait(
          lock, [&] { return inbox_->closed || inbox_->waiting.has_value() || !inbox_->superseded.empty(); });
      if (inbox_->closed) return;
      superseded.swap(inbox_->superseded);
      job.swap(inbox_->waiting);
    }
    std::string error;
    const auto status = device_status(options_.device.dir, &error);
    const uint32_t running = status ? status->version : 0;
    for (OtaOutcome& outcome : superseded) {
      outcome.result = "superseded";
      outcome.reason = "superseded";
      outcome.message = "a newer package arrived before this one was installed";
      outcome.version = running;
      report(outcome);
    }
    if (!job) continue;
    if (job->oversize) {
      const std::string message = "package of " + std::to_string(job->description.package_bytes) +
                                  " bytes exceeds this device's OTA bound of " +
                                  std::to_string(options_.max_package_bytes);
      report(refused(std::move(job->description), Reason::kTooLarge, message, running));
    } else {
      report(process_package(job->bytes.data(), job->bytes.size(), options_.device));
    }
  }
}

void OtaUpdater::report(const OtaOutcome& outcome) {
  try {
    telemetry_.publish_status({{"model_version", outcome.version}, {"ota", outcome.to_json()}});
  } catch (const std::exception&) {
    // publish_status throws only for a non-object; nothing to do but keep serving.
  }
  {
    std::lock_guard lock(inbox_->mutex);
    ++inbox_->outcomes;
  }
  if (listener_) listener_(outcome);
}

}  // namespace edgeinfer::ota
