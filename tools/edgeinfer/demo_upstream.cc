#include "tools/edgeinfer/demo_upstream.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "platform/linux/mosquitto_broker.h"
#include "platform/linux/telemetry_client.h"
#include "platform/linux/telemetry_receiver.h"
#include "tools/edgeinfer/commands.h"
#include "tools/edgeinfer/escape.h"

namespace edgeinfer::cli {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / name).string();
}

// The client options that come from the command line (device id, TLS, fast reconnects); where the broker
// and the queue are is decided by the caller.
platform::TelemetryOptions telemetry_options(const UpstreamOptions& o) {
  platform::TelemetryOptions telemetry;
  telemetry.device_id = o.device;
  telemetry.tls_ca_file = o.tls_ca_file;
  telemetry.tls_cert_file = o.tls_cert_file;
  telemetry.tls_key_file = o.tls_key_file;
  telemetry.reconnect_min_ms = 100;  // a demo at high speed: come back quickly after a broker restart
  telemetry.reconnect_max_ms = 2000;
  return telemetry;
}

}  // namespace

void DemoUpstream::validate(const UpstreamOptions& o) {
  if (!(o.flush_timeout_s >= 0 && o.flush_timeout_s <= 3600))
    throw CliError{"--flush-timeout must be in [0, 3600] seconds"};
  if (o.offline && !o.broker.empty()) throw CliError{"--offline and --broker exclude each other"};
  platform::TelemetryOptions telemetry = telemetry_options(o);
  telemetry.queue_dir = "unused";  // the queue is opened later; the checks want one named
  try {
    if (!o.broker.empty()) platform::parse_broker_address(o.broker);
    platform::TelemetryClient::validate(telemetry);
  } catch (const platform::TelemetryError& e) {
    throw CliError{e.what()};
  }
}

DemoUpstream::DemoUpstream(const UpstreamOptions& options) : options_(options) {
  validate(options_);
  if (options_.offline) {
    description_ = "offline (--offline): messages are counted, not sent";
    return;
  }
  platform::TelemetryOptions telemetry = telemetry_options(options_);
  try {
    if (!options_.broker.empty()) {
      const platform::BrokerAddress address = platform::parse_broker_address(options_.broker);
      telemetry.host = address.host;
      telemetry.port = address.port;
      // A queue that outlives the run: what a broker never acknowledged goes out on the next run.
      telemetry.queue_dir =
          options_.queue.empty() ? temp_path("edgeinfer-queue-" + options_.device) : options_.queue;
      broker_address_ = options_.broker;
      description_ = "publishing to " + options_.broker;
    } else {
      if (platform::MosquittoBroker::binary().empty()) {
        description_ =
            "offline: mosquitto is not installed (scripts/setup.sh installs it), so messages are counted, "
            "not sent; --broker HOST:PORT publishes to a broker of yours";
        return;
      }
      temp_dir_ = temp_path("edgeinfer-demo-" + std::to_string(::getpid()));
      fs::remove_all(temp_dir_);
      fs::create_directories(temp_dir_);
      try {
        broker_ = std::make_unique<platform::MosquittoBroker>(temp_dir_);
      } catch (const std::runtime_error& e) {
        description_ = std::string("offline: the private mosquitto did not start (") + e.what() +
                       "), so messages are counted, not sent";
        return;
      }
      telemetry.port = broker_->port();
      // A fresh queue, so that the subscriber sees seq 1, 2, ... of this run.
      telemetry.queue_dir = options_.queue.empty() ? temp_dir_ + "/queue" : options_.queue;
      broker_address_ = "127.0.0.1:" + std::to_string(broker_->port());
      description_ = "publishing to a private mosquitto on " + broker_address_;
      platform::TelemetryReceiver::Options receiver;
      receiver.port = broker_->port();
      receiver.device = options_.device;
      receiver_ = std::make_unique<platform::TelemetryReceiver>(
          receiver, [this](const std::string& device, const std::string& kind, const nlohmann::json& body) {
            show(device, kind, body);
          });
      // Subscribed before the first message, so that the subscriber sees everything.
      if (!receiver_->wait_subscribed(0, 5s))
        throw CliError{"the private broker's subscriber did not connect"};
    }
    client_ = std::make_unique<platform::TelemetryClient>(telemetry);
    description_ += " as device " + options_.device + " (topics edgeinfer/" + options_.device +
                    "/{alert,telemetry,status}; queue " + telemetry.queue_dir + ")";
  } catch (const platform::TelemetryError& e) {
    throw CliError{e.what()};
  }
}

DemoUpstream::~DemoUpstream() {
  client_.reset();
  receiver_.reset();
  broker_.reset();
  if (!temp_dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(temp_dir_, ignored);
  }
}

void DemoUpstream::publish(const char* kind, const nlohmann::json& fields) {
  if (!client_) {
    ++published_;  // counted: what would have gone upstream
    return;
  }
  try {
    if (std::string_view(kind) == "alert") {
      client_->publish_alert(fields);
    } else {
      client_->publish_telemetry(fields);
    }
    ++published_;
  } catch (const platform::TelemetryError& e) {
    // The queue could not store it (disk full): the device keeps monitoring; the report says so.
    if (failed_++ == 0) first_failure_ = e.what();
  }
}

void DemoUpstream::alert(const nlohmann::json& fields) {
  publish("alert", fields);
}
void DemoUpstream::telemetry(const nlohmann::json& fields) {
  publish("telemetry", fields);
}
void DemoUpstream::status(const nlohmann::json& fields) {
  if (client_) client_->publish_status(fields);
}

void DemoUpstream::show(const std::string& device, const std::string& kind, const nlohmann::json& body) {
  if (!options_.show_subscriber) return;
  // Statistics reports are many: about one an hour is shown (all are counted at the end).
  if (kind == "telemetry") {
    const double t = body.value("time_s", 0.0);
    if (std::fmod(t, 3600.0) >= options_.report_every_s) return;
  }
  nlohmann::json shown = body;
  shown.erase("device");
  shown.erase("ts");
  std::string text = json_text(shown);
  if (text.size() > 150) text = text.substr(0, 147) + "...";
  std::lock_guard lock(print_mutex_);
  std::printf("          [subscriber] edgeinfer/%s/%s %s\n", device.c_str(), kind.c_str(), text.c_str());
  std::fflush(stdout);
}

nlohmann::json DemoUpstream::finish() {
  nlohmann::json report;
  report["broker"] = broker_address_.empty() ? nlohmann::json(nullptr) : nlohmann::json(broker_address_);
  report["private_broker"] = broker_ != nullptr;
  report["device"] = options_.device;
  report["published"] = published_;
  if (failed_ > 0) {
    report["not_stored"] = failed_;
    report["first_error"] = first_failure_;
  }
  if (!client_) return report;
  const bool flushed =
      client_->flush(std::chrono::milliseconds(static_cast<int64_t>(options_.flush_timeout_s * 1000)));
  const platform::TelemetryStats stats = client_->stats();
  report["acknowledged"] = stats.acknowledged;
  report["still_queued"] = stats.queued_now;
  report["dropped"] = stats.dropped;
  report["resent"] = stats.resent;
  report["connects"] = stats.connects;
  report["queue"] = client_->options().queue_dir;
  if (!flushed) {
    report["flush_timed_out"] = true;
    if (!stats.last_error.empty()) report["last_error"] = stats.last_error;
  }
  if (receiver_) {
    receiver_->wait_received(options_.device, published_, 5s);
    client_.reset();  // the retained "offline" status, as a device leaving
    const platform::DeviceSeqStats seen = receiver_->stats(options_.device);
    report["subscriber"] = {{"received", seen.received},
                            {"lost", seen.lost},
                            {"duplicates", seen.duplicates},
                            {"max_seq", seen.max_seq}};
    receiver_.reset();
  }
  return report;
}

}  // namespace edgeinfer::cli
