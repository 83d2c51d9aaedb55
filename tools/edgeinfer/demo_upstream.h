// The flagship demo's link upstream: its alerts and statistics go out as MQTT telemetry
// (platform/linux/telemetry_client.h: store and forward, one seq per device). With --broker HOST:PORT they go
// to that broker. Without it the demo starts a private mosquitto on a free loopback port when the package is
// installed (else it says so and runs offline) and subscribes to it, so the user sees what an operator would
// receive and that nothing was lost.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace edgeinfer::platform {
class MosquittoBroker;
class TelemetryClient;
class TelemetryReceiver;
}  // namespace edgeinfer::platform

namespace edgeinfer::cli {

struct UpstreamOptions {
  std::string broker;  // HOST:PORT; empty: a private mosquitto when installed
  bool offline = false;
  std::string device = "pump-1";
  std::string queue;  // empty: a fresh directory (private broker) or $TMPDIR/edgeinfer-queue-<device>
  double flush_timeout_s = 30;
  std::string tls_ca_file, tls_cert_file, tls_key_file;
  bool show_subscriber = true;  // print the private broker's subscriber view (text mode)
  double report_every_s = 600;  // the subscriber view shows statistics reports about once an hour
};

class DemoUpstream {
 public:
  // Checks the options and connects in the background; throws CliError with a one-line reason.
  explicit DemoUpstream(const UpstreamOptions& options);
  // The option checks alone (nothing starts): throws CliError.
  static void validate(const UpstreamOptions& options);
  ~DemoUpstream();
  DemoUpstream(const DemoUpstream&) = delete;
  DemoUpstream& operator=(const DemoUpstream&) = delete;

  bool publishing() const { return client_ != nullptr; }
  // One line: where the messages go (or why nowhere).
  const std::string& description() const { return description_; }

  void alert(const nlohmann::json& fields);
  void telemetry(const nlohmann::json& fields);
  void status(const nlohmann::json& fields);
  uint64_t published() const { return published_; }

  // Waits for the broker to acknowledge everything (up to flush_timeout_s) and, with a private broker, for
  // the subscriber to receive it; then disconnects. The report: published, acknowledged, still_queued,
  // dropped, resent, connects, and the subscriber's received / lost / duplicates.
  nlohmann::json finish();

 private:
  void publish(const char* kind, const nlohmann::json& fields);
  void show(const std::string& device, const std::string& kind, const nlohmann::json& body);

  UpstreamOptions options_;
  std::string description_;
  std::string temp_dir_;  // the private broker's files and default queue; removed at the end
  std::string broker_address_;
  std::unique_ptr<platform::MosquittoBroker> broker_;
  std::unique_ptr<platform::TelemetryReceiver> receiver_;
  std::unique_ptr<platform::TelemetryClient> client_;
  uint64_t published_ = 0, failed_ = 0;
  std::string first_failure_;
  std::mutex print_mutex_;
};

}  // namespace edgeinfer::cli
