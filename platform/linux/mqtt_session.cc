#include "platform/linux/mqtt_session.h"

#include <mosquitto.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace edgeinfer::platform {
namespace {

void init_library_once() {
  static const int rc = mosquitto_lib_init();
  (void)rc;
}

void check_readable(const std::string& path, const char* what) {
  if (!path.empty() && ::access(path.c_str(), R_OK) != 0) {
    throw TelemetryError(std::string(what) + " " + path + " is not readable");
  }
}

}  // namespace

void validate_mqtt_config(const MqttConfig& c) {
  if (c.host.empty()) throw TelemetryError("broker host is empty");
  if (c.port < 1 || c.port > 65535) {
    throw TelemetryError("broker port " + std::to_string(c.port) + " out of range 1..65535");
  }
  if (c.keepalive_s < 5 || c.keepalive_s > 65535) {
    throw TelemetryError("keepalive " + std::to_string(c.keepalive_s) + " s out of range 5..65535");
  }
  if (c.client_id.empty() || c.client_id.size() > 65535)
    throw TelemetryError("client id must be 1..65535 bytes");
  if (c.reconnect_min_ms < 1 || c.reconnect_max_ms < c.reconnect_min_ms) {
    throw TelemetryError("reconnect backoff must satisfy 1 <= min <= max (ms)");
  }
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    throw TelemetryError("TLS client certificate and key go together: give both or neither");
  }
  if (!c.tls_cert_file.empty() && c.tls_ca_file.empty()) {
    throw TelemetryError("TLS client certificate given without a CA file");
  }
  check_readable(c.tls_ca_file, "TLS CA file");
  check_readable(c.tls_cert_file, "TLS certificate");
  check_readable(c.tls_key_file, "TLS key");
}

BrokerAddress parse_broker_address(std::string_view text) {
  const std::string quoted = "broker address '" + std::string(text) + "'";
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    throw TelemetryError(quoted + " must be HOST:PORT");
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {  // IPv6 literal
    if (host.size() < 3 || host.back() != ']')
      throw TelemetryError(quoted + ": unbalanced [ ] around the host");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    throw TelemetryError(quoted + ": write an IPv6 host in brackets, [::1]:1883");
  }
  const std::string_view port_text = text.substr(colon + 1);
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) throw TelemetryError(quoted + ": the port must be 1..65535");
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) throw TelemetryError(quoted + ": the port must be 1..65535");
  return {std::string(host), port};
}

MqttSession::MqttSession(MqttConfig config, Callbacks callbacks)
    : config_(std::move(config)), callbacks_(std::move(callbacks)) {
  validate_mqtt_config(config_);
  init_library_once();
  mosq_ = mosquitto_new(config_.client_id.c_str(), /*clean_session=*/true, this);
  if (mosq_ == nullptr) throw TelemetryError("cannot create the MQTT client (out of memory?)");
  mosquitto_threaded_set(mosq_, true);  // publish() from other threads wakes our loop through its socket pair
  mosquitto_connect_callback_set(mosq_, &MqttSession::on_connect_cb);
  mosquitto_disconnect_callback_set(mosq_, &MqttSession::on_disconnect_cb);
  mosquitto_publish_callback_set(mosq_, &MqttSession::on_publish_cb);
  mosquitto_message_callback_set(mosq_, &MqttSession::on_message_cb);
  mosquitto_subscribe_callback_set(mosq_, &MqttSession::on_subscribe_cb);
  if (config_.will) {
    const auto& [topic, payload] = *config_.will;
    if (mosquitto_will_set(mosq_, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, true) !=
        MOSQ_ERR_SUCCESS) {
      mosquitto_destroy(mosq_);
      throw TelemetryError("invalid last-will topic " + topic);
    }
  }
  if (!config_.tls_ca_file.empty()) {
    const char* cert = config_.tls_cert_file.empty() ? nullptr : config_.tls_cert_file.c_str();
    const char* key = config_.tls_key_file.empty() ? nullptr : config_.tls_key_file.c_str();
    int rc = mosquitto_tls_set(mosq_, config_.tls_ca_file.c_str(), nullptr, cert, key, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_destroy(mosq_);
      throw TelemetryError(std::string("TLS setup failed: ") + mosquitto_strerror(rc));
    }
  }
}

MqttSession::~MqttSession() {
  stop();
  mosquitto_destroy(mosq_);
}

void MqttSession::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void MqttSession::stop() {
  if (!thread_.joinable()) return;
  if (connected_) {
    mosquitto_disconnect(mosq_);
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return !connected_.load(); });
  }
  stop_ = true;
  cv_.notify_all();
  thread_.join();
}

void MqttSession::run() {
  int backoff_ms = config_.reconnect_min_ms;
  bool ever_tried = false;
  while (!stop_) {
    if (!socket_up_) {
      // Non-blocking connect (only name resolution blocks): stop() never waits for a TCP timeout; the
      // handshake completes in mosquitto_loop().
      int rc = ever_tried
                   ? mosquitto_reconnect_async(mosq_)
                   : mosquitto_connect_async(mosq_, config_.host.c_str(), config_.port, config_.keepalive_s);
      ever_tried = true;
      if (rc == MOSQ_ERR_SUCCESS) {
        socket_up_ = true;
      } else {
        set_error(std::string("connect to ") + config_.host + ":" + std::to_string(config_.port) +
                  " failed: " +
                  (rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : mosquitto_strerror(rc)));
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stop_.load(); });
        backoff_ms = std::min(backoff_ms * 2, config_.reconnect_max_ms);
        continue;
      }
    }
    int rc = mosquitto_loop(mosq_, 100, 1);
    if (connected_) backoff_ms = config_.reconnect_min_ms;
    if (rc != MOSQ_ERR_SUCCESS) {
      socket_up_ = false;
      if (connected_) {
        connected_ = false;
        if (callbacks_.on_disconnect) callbacks_.on_disconnect();
      }
      if (stop_) break;
      set_error(std::string("connection lost: ") + mosquitto_strerror(rc));
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stop_.load(); });
      backoff_ms = std::min(backoff_ms * 2, config_.reconnect_max_ms);
    }
  }
}

int MqttSession::publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
  int mid = 0;
  int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(),
                             qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) {
    set_error(std::string("publish on ") + topic + " failed: " + mosquitto_strerror(rc));
    return 0;
  }
  return mid;
}

bool MqttSession::subscribe(const std::string& pattern, int qos) {
  int rc = mosquitto_subscribe(mosq_, nullptr, pattern.c_str(), qos);
  if (rc != MOSQ_ERR_SUCCESS) set_error(std::string("subscribe failed: ") + mosquitto_strerror(rc));
  return rc == MOSQ_ERR_SUCCESS;
}

std::string MqttSession::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void MqttSession::set_error(std::string text) {
  std::lock_guard lock(mutex_);
  last_error_ = std::move(text);
}

void MqttSession::on_connect_cb(mosquitto*, void* self, int rc) {
  auto* s = static_cast<MqttSession*>(self);
  if (rc != 0) {  // refused by the broker: the connection closes and we back off
    s->set_error(std::string("broker refused the connection: ") + mosquitto_connack_string(rc));
    return;
  }
  s->connected_ = true;
  if (s->callbacks_.on_connect) s->callbacks_.on_connect();
}

void MqttSession::on_disconnect_cb(mosquitto*, void* self, int) {
  auto* s = static_cast<MqttSession*>(self);
  const bool was = s->connected_.exchange(false);
  if (was && s->callbacks_.on_disconnect) s->callbacks_.on_disconnect();
  s->cv_.notify_all();
}

void MqttSession::on_publish_cb(mosquitto*, void* self, int mid) {
  auto* s = static_cast<MqttSession*>(self);
  if (s->callbacks_.on_publish) s->callbacks_.on_publish(mid);
}

void MqttSession::on_message_cb(mosquitto*, void* self, const mosquitto_message* m) {
  auto* s = static_cast<MqttSession*>(self);
  if (s->callbacks_.on_message && m->topic != nullptr) {
    s->callbacks_.on_message(m->topic,
                             std::string_view(static_cast<const char*>(m->payload),
                                              static_cast<size_t>(std::max(m->payloadlen, 0))),
                             m->retain);
  }
}

void MqttSession::on_subscribe_cb(mosquitto*, void* self, int, int, const int*) {
  auto* s = static_cast<MqttSession*>(self);
  if (s->callbacks_.on_subscribe) s->callbacks_.on_subscribe();
}

}  // namespace edgeinfer::platform
