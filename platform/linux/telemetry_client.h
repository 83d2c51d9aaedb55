// MQTT telemetry that loses nothing: store and forward over an on-disk queue (host code, Linux).
//
//   TelemetryClient client({.host = "127.0.0.1", .port = 1883, .device_id = "pump-7", .queue_dir =
//   "/var/lib/ei/q"}); client.publish_telemetry({{"windows", 120}, {"p95_us", 830}});   // returns the
//   message's seq client.publish_alert({{"score", 0.97}});
//
// Topics: edgeinfer/<device>/telemetry and /alert (QoS 1), /status (QoS 1, retained: {"state":"online",...}
// on every connect, last will {"state":"offline"}). Every telemetry and alert message is a JSON object
// carrying the caller's fields plus "device", "seq" (one counter over both topics, from 1, persisted: the
// queue's message id) and "ts" (Unix time in ms); telemetry also carries "dropped", the cumulative number
// of messages the queue dropped at its bound, so the receiver can tell drops from losses.
//
// Each message is appended to the queue (fsync'd) before publish_*() returns, handed to libmosquitto when
// connected (up to max_inflight at a time, oldest first) and removed from the queue only when its PUBACK
// arrives. libmosquitto sends unacknowledged messages again after a reconnect; a restarted process sends
// everything still in the queue. Duplicates are possible (the receiver drops them by seq), losses are not.
//
// Threading: a network thread of our own (see mqtt_session.h) connects, reconnects with exponential backoff
// and handles acknowledgements; publish_*() only appends to the queue (a few ms of fsync) and hands over
// without waiting for the network, so a sensor loop is never blocked by an outage. poll() is optional.
// All public calls are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "platform/linux/message_queue.h"
#include "platform/linux/mqtt_session.h"

namespace edgeinfer::platform {

struct TelemetryOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string device_id;  // required: 1..64 of A-Z a-z 0-9 _ . -
  std::string client_id;  // default "edgeinfer-<device_id>"
  std::string queue_dir;  // required; created when missing
  int keepalive_s = 30;
  std::string tls_ca_file;  // TLS when set; cert and key for client authentication, optional
  std::string tls_cert_file;
  std::string tls_key_file;
  QueueLimits queue_limits;  // past it the oldest are dropped and counted
  int max_inflight = 32;     // messages handed to the network and not yet acknowledged
  int reconnect_min_ms = 500;
  int reconnect_max_ms = 30000;
};

struct TelemetryStats {
  uint64_t enqueued = 0;      // messages appended by this process
  uint64_t acknowledged = 0;  // PUBACKs that removed a message
  uint64_t resent = 0;   // messages sent again: unacknowledged at a reconnect, or found in the queue at start
  uint64_t dropped = 0;  // cumulative, persisted: oldest dropped at the bound
  uint64_t queued_now = 0;
  uint64_t queue_bytes = 0;
  uint64_t connects = 0;
  bool connected = false;
  std::string last_error;  // the latest connection or publish error, for logs
};

class TelemetryClient {
 public:
  // Validates the options and opens the queue (throws TelemetryError with a one-line reason), then starts
  // connecting in the background.
  explicit TelemetryClient(TelemetryOptions options);
  // Publishes {"state":"offline"} (waits up to 1 s for its acknowledgement) and disconnects; whatever is
  // still queued stays on disk for the next start.
  ~TelemetryClient();
  TelemetryClient(const TelemetryClient&) = delete;
  TelemetryClient& operator=(const TelemetryClient&) = delete;

  // `fields` must be a JSON object. Returns the seq. Throws TelemetryError when the queue cannot store the
  // message (disk full, message larger than the bound): then nothing was stored and no seq was used.
  uint64_t publish_telemetry(const nlohmann::json& fields);
  uint64_t publish_alert(const nlohmann::json& fields);
  // Retained status; not queued (only the latest matters): sent now when connected, and on every connect
  // the latest status is sent again with "state" defaulting to "online".
  void publish_status(const nlohmann::json& fields);

  // Incoming messages on a topic of the caller's (e.g. edgeinfer/<device>/ota), over the same connection.
  // Subscribed (QoS 1) now when connected and again on every connect (sessions are clean, so the broker
  // forgets subscriptions with the connection). `handler` runs on the network thread, never under the
  // client's lock (it may call publish_status), for every message whose topic matches `pattern`: keep it
  // short and hand real work to another thread, or keepalives stall. Throws TelemetryError on an invalid
  // pattern.
  using MessageHandler = std::function<void(std::string_view topic, std::string_view payload)>;
  void subscribe(const std::string& pattern, MessageHandler handler);

  // Hands queued messages to the network now (the network thread also does it on every ack and connect).
  void poll();
  // Waits until the queue is empty (everything acknowledged); false on timeout.
  bool flush(std::chrono::milliseconds timeout);
  TelemetryStats stats() const;

  std::string topic(const char* kind) const { return "edgeinfer/" + options_.device_id + "/" + kind; }
  const TelemetryOptions& options() const { return options_; }

  // The option checks of the constructor, alone.
  static void validate(const TelemetryOptions& options);

 private:
  uint64_t enqueue(const char* kind, const nlohmann::json& fields, bool with_dropped);
  void pump_locked();
  void send_status_locked();
  void on_connect();
  void on_publish(int mid);
  void on_message(std::string_view topic, std::string_view payload);

  struct Subscription {
    std::string pattern;
    std::shared_ptr<const MessageHandler> handler;
  };

  TelemetryOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::unique_ptr<MessageQueue> queue_;
  std::unique_ptr<MqttSession> session_;
  std::map<int, uint64_t> inflight_;  // mid -> seq, handed to libmosquitto, no PUBACK yet
  uint64_t last_handed_ = 0;          // highest seq handed to libmosquitto by this process
  std::vector<Subscription> subscriptions_;
  bool subscribed_session_ = false;  // on_connect() has subscribed them on the current connection
  nlohmann::json status_ = nlohmann::json::object();
  int offline_mid_ = -1;
  bool offline_acked_ = false;
  TelemetryStats stats_;
};

// Serializes for the wire: compact, invalid UTF-8 replaced rather than thrown on.
std::string to_wire(const nlohmann::json& value);
int64_t unix_time_ms();

}  // namespace edgeinfer::platform
