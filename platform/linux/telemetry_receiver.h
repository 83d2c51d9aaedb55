// The other end of the telemetry, for tests and the demo's subscriber view: subscribes to
// edgeinfer/<device>/# (QoS 1; "+" for every device), parses each JSON payload and keeps, per device, the
// seqs seen, so it can prove nothing was lost: received (distinct seqs), duplicates, lost (gaps below the
// highest seq), and conflicts (one seq with two different payloads: a reused seq).
//
// MQTT's QoS 1 ends at the broker: a message reaches this receiver only if it is subscribed when the broker
// routes it. A broker restarted without persistence forgets the subscription until we resubscribe (done on
// every connect); fleets that must not lose data use a persistent session on a persistent or clustered
// broker. wait_subscribed() lets a test order things.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "platform/linux/mqtt_session.h"

namespace edgeinfer::platform {

struct DeviceSeqStats {
  uint64_t received = 0;    // distinct seqs
  uint64_t duplicates = 0;  // messages whose seq was already seen
  uint64_t conflicts = 0;   // duplicates whose payload differed (minus "ts"): a seq was reused
  uint64_t max_seq = 0;
  uint64_t lost = 0;     // seqs in 1..max_seq never seen
  uint64_t invalid = 0;  // payloads that are not JSON objects with an unsigned "seq"
  uint64_t status_messages = 0;
  nlohmann::json last_telemetry;  // the telemetry message with the highest seq so far
  nlohmann::json last_status;
};

class TelemetryReceiver {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string device = "+";  // one device id or "+"
    std::string client_id = "edgeinfer-receiver";
    int reconnect_min_ms = 100;
    int reconnect_max_ms = 1000;
  };
  // Every parsed message, on the network thread (for a live view): topic kind ("telemetry", ...), device,
  // body.
  using Listener =
      std::function<void(const std::string& device, const std::string& kind, const nlohmann::json&)>;

  explicit TelemetryReceiver(Options options, Listener listener = nullptr);  // throws TelemetryError
  ~TelemetryReceiver();

  // Number of SUBACKs so far (one per connect); waits until it exceeds `after`.
  uint64_t subscriptions() const;
  bool wait_subscribed(uint64_t after, std::chrono::milliseconds timeout) const;
  // Waits until `device` has `seqs` distinct seqs.
  bool wait_received(const std::string& device, uint64_t seqs, std::chrono::milliseconds timeout) const;
  DeviceSeqStats stats(const std::string& device) const;
  // payload of a seq (without "ts"), for checks; empty when unseen.
  nlohmann::json message(const std::string& device, uint64_t seq) const;

 private:
  struct Device {
    std::map<uint64_t, nlohmann::json> by_seq;  // body without "ts"
    uint64_t last_telemetry_seq = 0;
    DeviceSeqStats stats;
  };
  void on_message(std::string_view topic, std::string_view payload);

  Options options_;
  Listener listener_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, Device> devices_;
  uint64_t subscriptions_ = 0;
  std::unique_ptr<MqttSession> session_;
};

}  // namespace edgeinfer::platform
