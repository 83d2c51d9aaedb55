// One MQTT connection over libmosquitto with its own network thread (internal to platform/linux/).
//
// Why our own thread rather than mosquitto_loop_start(): libmosquitto's threaded loop gives up for good on
// some errors (protocol, TLS, DNS), and a device must keep trying. Here the thread runs mosquitto_loop()
// with a 100 ms timeout and, whenever the connection is down, reconnects with exponential backoff
// (reconnect_min_ms doubling up to reconnect_max_ms, back to the minimum after a successful CONNACK).
// Callbacks run on that thread. libmosquitto keeps QoS 1 messages it was given until their PUBACK and
// sends them again after a reconnect (same mid), so a mid handed out stays valid across reconnects.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

struct mosquitto;
struct mosquitto_message;

namespace edgeinfer::platform {

// Bad options and setup failures; what() is one line.
class TelemetryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MqttConfig {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;
  int keepalive_s = 30;
  std::string tls_ca_file;  // TLS on when set
  std::string tls_cert_file;
  std::string tls_key_file;
  int reconnect_min_ms = 500;
  int reconnect_max_ms = 30000;
  std::optional<std::pair<std::string, std::string>> will;  // topic, payload (QoS 1, retained)
};

// Checks host, port, keepalive, TLS files and backoff; throws TelemetryError with a one-line reason.
void validate_mqtt_config(const MqttConfig& config);

// "HOST:PORT" (IPv6 as "[::1]:PORT") as the CLI takes a broker; throws TelemetryError naming what is wrong.
struct BrokerAddress {
  std::string host;
  int port = 1883;
};
BrokerAddress parse_broker_address(std::string_view text);

class MqttSession {
 public:
  struct Callbacks {
    std::function<void()> on_connect;
    std::function<void()> on_disconnect;
    std::function<void(int mid)> on_publish;  // PUBACK
    // `retained`: the broker sent a stored retained message because we just subscribed (MQTT 3.1.1: live
    // messages arrive with the flag clear, even when they were published retained).
    std::function<void(std::string_view topic, std::string_view payload, bool retained)> on_message;
    std::function<void()> on_subscribe;  // SUBACK
  };

  MqttSession(MqttConfig config, Callbacks callbacks);  // throws TelemetryError
  ~MqttSession();
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  void start();  // starts the network thread (connects in the background)
  // Sends DISCONNECT when connected (waits up to 500 ms for it) and joins the thread.
  void stop();

  // QoS 0/1 publish: returns the message id (> 0), or 0 when libmosquitto refused (last_error() says why).
  // Never blocks on the network.
  int publish(const std::string& topic, std::string_view payload, int qos, bool retain);
  bool subscribe(const std::string& pattern, int qos);
  bool connected() const { return connected_; }
  std::string last_error() const;

 private:
  static void on_connect_cb(mosquitto*, void* self, int rc);
  static void on_disconnect_cb(mosquitto*, void* self, int rc);
  static void on_publish_cb(mosquitto*, void* self, int mid);
  static void on_message_cb(mosquitto*, void* self, const mosquitto_message* message);
  static void on_subscribe_cb(mosquitto*, void* self, int mid, int count, const int* granted);
  void run();
  void set_error(std::string text);

  MqttConfig config_;
  Callbacks callbacks_;
  mosquitto* mosq_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> socket_up_{false};
  mutable std::mutex mutex_;  // error text, waiting
  std::condition_variable cv_;
  std::string last_error_;
};

}  // namespace edgeinfer::platform
