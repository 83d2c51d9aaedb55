#include "platform/linux/telemetry_client.h"

#include <mosquitto.h>

#include <chrono>

namespace edgeinfer::platform {
namespace {

MqttConfig mqtt_config(const TelemetryOptions& o) {
  MqttConfig c;
  c.host = o.host;
  c.port = o.port;
  c.client_id = o.client_id.empty() ? "edgeinfer-" + o.device_id : o.client_id;
  c.keepalive_s = o.keepalive_s;
  c.tls_ca_file = o.tls_ca_file;
  c.tls_cert_file = o.tls_cert_file;
  c.tls_key_file = o.tls_key_file;
  c.reconnect_min_ms = o.reconnect_min_ms;
  c.reconnect_max_ms = o.reconnect_max_ms;
  c.will = std::make_pair("edgeinfer/" + o.device_id + "/status",
                          to_wire({{"state", "offline"}, {"device", o.device_id}}));
  return c;
}

}  // namespace

std::string to_wire(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int64_t unix_time_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void TelemetryClient::validate(const TelemetryOptions& o) {
  if (o.device_id.empty() || o.device_id.size() > 64 ||
      o.device_id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos) {
    throw TelemetryError("device id '" + o.device_id + "' must be 1..64 characters of A-Z a-z 0-9 _ . -");
  }
  if (o.queue_dir.empty()) throw TelemetryError("queue dir is required");
  if (o.max_inflight < 1 || o.max_inflight > 65535) {
    throw TelemetryError("max_inflight " + std::to_string(o.max_inflight) + " out of range 1..65535");
  }
  validate_mqtt_config(mqtt_config(o));
}

TelemetryClient::TelemetryClient(TelemetryOptions options) : options_(std::move(options)) {
  validate(options_);
  try {
    queue_ = std::make_unique<MessageQueue>(options_.queue_dir, options_.queue_limits);
  } catch (const QueueError& e) {
    throw TelemetryError(std::string("telemetry queue: ") + e.what());
  }
  // Whatever a previous run left in the queue may have reached the broker already: it goes out again.
  stats_.resent = queue_->size();
  MqttSession::Callbacks callbacks;
  callbacks.on_connect = [this] { on_connect(); };
  callbacks.on_publish = [this](int mid) { on_publish(mid); };
  callbacks.on_disconnect = [this] {
    std::lock_guard lock(mutex_);
    subscribed_session_ = false;
  };
  callbacks.on_message = [this](std::string_view topic, std::string_view payload, bool) {
    on_message(topic, payload);
  };
  session_ = std::make_unique<MqttSession>(mqtt_config(options_), std::move(callbacks));
  session_->start();
}

TelemetryClient::~TelemetryClient() {
  {
    std::unique_lock lock(mutex_);
    if (session_->connected()) {
      offline_mid_ = session_->publish(
          topic("status"),
          to_wire({{"state", "offline"}, {"device", options_.device_id}, {"ts", unix_time_ms()}}), 1, true);
      if (offline_mid_ > 0)
        changed_.wait_for(lock, std::chrono::seconds(1), [this] { return offline_acked_; });
    }
  }
  session_->stop();  // no callback runs after this
}

uint64_t TelemetryClient::enqueue(const char* kind, const nlohmann::json& fields, bool with_dropped) {
  if (!fields.is_object()) throw TelemetryError(std::string(kind) + " fields must be a JSON object");
  std::lock_guard lock(mutex_);
  uint64_t seq = 0;
  try {
    seq = queue_->append(topic(kind), [&](uint64_t id, uint64_t dropped) {
      nlohmann::json body = fields;
      body["device"] = options_.device_id;
      body["seq"] = id;
      body["ts"] = unix_time_ms();
      if (with_dropped) body["dropped"] = dropped;
      return to_wire(body);
    });
  } catch (const QueueError& e) {
    throw TelemetryError(std::string("telemetry queue: ") + e.what());
  }
  ++stats_.enqueued;
  pump_locked();
  return seq;
}

uint64_t TelemetryClient::publish_telemetry(const nlohmann::json& fields) {
  return enqueue("telemetry", fields, true);
}
uint64_t TelemetryClient::publish_alert(const nlohmann::json& fields) {
  return enqueue("alert", fields, false);
}

void TelemetryClient::publish_status(const nlohmann::json& fields) {
  if (!fields.is_object()) throw TelemetryError("status fields must be a JSON object");
  std::lock_guard lock(mutex_);
  status_ = fields;
  send_status_locked();
}

void TelemetryClient::send_status_locked() {
  if (!session_->connected()) return;  // sent on the next connect
  nlohmann::json body = status_;
  if (!body.contains("state")) body["state"] = "online";
  body["device"] = options_.device_id;
  body["ts"] = unix_time_ms();
  session_->publish(topic("status"), to_wire(body), 1, true);
}

void TelemetryClient::pump_locked() {
  if (!session_->connected()) return;
  const size_t window = static_cast<size_t>(options_.max_inflight);
  if (inflight_.size() >= window) return;
  for (QueuedMessage& m : queue_->peek(window - inflight_.size(), last_handed_)) {
    const int mid = session_->publish(m.topic, m.payload, 1, false);
    if (mid == 0) break;  // connection just went away: the rest waits for the next connect
    inflight_[mid] = m.id;
    last_handed_ = m.id;
  }
}

void TelemetryClient::poll() {
  std::lock_guard lock(mutex_);
  pump_locked();
}

void TelemetryClient::on_connect() {
  std::lock_guard lock(mutex_);
  // libmosquitto sends what it holds unacknowledged again, in order, after CONNACK.
  if (++stats_.connects > 1) stats_.resent += inflight_.size();
  for (const Subscription& s : subscriptions_) session_->subscribe(s.pattern, 1);
  subscribed_session_ = true;
  send_status_locked();
  pump_locked();
  changed_.notify_all();
}

void TelemetryClient::on_publish(int mid) {
  std::lock_guard lock(mutex_);
  if (mid == offline_mid_) offline_acked_ = true;
  auto it = inflight_.find(mid);
  if (it != inflight_.end()) {
    const uint64_t seq = it->second;
    inflight_.erase(it);
    try {
      if (queue_->remove(seq)) ++stats_.acknowledged;
    } catch (const QueueError& e) {
      stats_.last_error = e.what();  // the message stays queued and goes out again after a restart
    }
    pump_locked();
  }
  changed_.notify_all();
}

void TelemetryClient::subscribe(const std::string& pattern, MessageHandler handler) {
  if (mosquitto_sub_topic_check(pattern.c_str()) != MOSQ_ERR_SUCCESS)
    throw TelemetryError("invalid MQTT subscription '" + pattern + "'");
  std::lock_guard lock(mutex_);
  subscriptions_.push_back({pattern, std::make_shared<const MessageHandler>(std::move(handler))});
  // Not connected() here: it turns true before on_connect() runs, which would subscribe twice (and the
  // broker would send its retained messages twice).
  if (subscribed_session_) session_->subscribe(pattern, 1);  // else on the next connect
}

void TelemetryClient::on_message(std::string_view topic, std::string_view payload) {
  std::vector<std::shared_ptr<const MessageHandler>> handlers;
  {
    std::lock_guard lock(mutex_);
    const std::string topic_text(topic);
    for (const Subscription& s : subscriptions_) {
      bool matches = false;
      if (mosquitto_topic_matches_sub(s.pattern.c_str(), topic_text.c_str(), &matches) == MOSQ_ERR_SUCCESS &&
          matches)
        handlers.push_back(s.handler);
    }
  }
  for (const auto& handler : handlers) (*handler)(topic, payload);
}

bool TelemetryClient::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  pump_locked();
  return changed_.wait_for(lock, timeout, [this] { return queue_->empty(); });
}

TelemetryStats TelemetryClient::stats() const {
  std::lock_guard lock(mutex_);
  TelemetryStats s = stats_;
  s.dropped = queue_->dropped_total();
  s.queued_now = queue_->size();
  s.queue_bytes = queue_->bytes();
  s.connected = session_->connected();
  if (s.last_error.empty()) s.last_error = session_->last_error();
  return s;
}

}  // namespace edgeinfer::platform
