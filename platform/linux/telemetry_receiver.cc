#include "platform/linux/telemetry_receiver.h"

#include <algorithm>

namespace edgeinfer::platform {

TelemetryReceiver::TelemetryReceiver(Options options, Listener listener)
    : options_(std::move(options)), listener_(std::move(listener)) {
  MqttConfig config;
  config.host = options_.host;
  config.port = options_.port;
  config.client_id = options_.client_id;
  config.reconnect_min_ms = options_.reconnect_min_ms;
  config.reconnect_max_ms = options_.reconnect_max_ms;
  MqttSession::Callbacks callbacks;
  const std::string pattern = "edgeinfer/" + options_.device + "/#";
  callbacks.on_connect = [this, pattern] { session_->subscribe(pattern, 1); };
  callbacks.on_subscribe = [this] {
    std::lock_guard lock(mutex_);
    ++subscriptions_;
    changed_.notify_all();
  };
  callbacks.on_message = [this](std::string_view topic, std::string_view payload, bool) {
    on_message(topic, payload);
  };
  session_ = std::make_unique<MqttSession>(config, std::move(callbacks));
  session_->start();
}

TelemetryReceiver::~TelemetryReceiver() {
  session_->stop();
}

void TelemetryReceiver::on_message(std::string_view topic, std::string_view payload) {
  // edgeinfer/<device>/<kind>
  const size_t a = topic.find('/');
  const size_t b = a == std::string_view::npos ? a : topic.find('/', a + 1);
  if (b == std::string_view::npos) return;
  const std::string device(topic.substr(a + 1, b - a - 1));
  const std::string kind(topic.substr(b + 1));
  nlohmann::json body = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  {
    std::lock_guard lock(mutex_);
    Device& d = devices_[device];
    if (kind == "status") {
      ++d.stats.status_messages;
      d.stats.last_status = body;
    } else if (!body.is_object() || !body.contains("seq") || !body["seq"].is_number_unsigned() ||
               body["seq"].get<uint64_t>() == 0) {
      ++d.stats.invalid;
    } else {
      const uint64_t seq = body["seq"].get<uint64_t>();
      nlohmann::json key = body;
      key.erase("ts");
      key["topic"] = kind;
      auto [it, fresh] = d.by_seq.emplace(seq, key);
      if (fresh) {
        ++d.stats.received;
        d.stats.max_seq = std::max(d.stats.max_seq, seq);
        if (kind == "telemetry" && seq > d.last_telemetry_seq) {
          d.last_telemetry_seq = seq;
          d.stats.last_telemetry = body;
        }
      } else {
        ++d.stats.duplicates;
        if (it->second != key) ++d.stats.conflicts;
      }
      d.stats.lost = d.stats.max_seq - d.stats.received;
    }
    changed_.notify_all();
  }
  if (listener_) listener_(device, kind, body);
}

uint64_t TelemetryReceiver::subscriptions() const {
  std::lock_guard lock(mutex_);
  return subscriptions_;
}

bool TelemetryReceiver::wait_subscribed(uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return subscriptions_ > after; });
}

bool TelemetryReceiver::wait_received(const std::string& device, uint64_t seqs,
                                      std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    auto it = devices_.find(device);
    return it != devices_.end() && it->second.stats.received >= seqs;
  });
}

DeviceSeqStats TelemetryReceiver::stats(const std::string& device) const {
  std::lock_guard lock(mutex_);
  auto it = devices_.find(device);
  return it == devices_.end() ? DeviceSeqStats{} : it->second.stats;
}

nlohmann::json TelemetryReceiver::message(const std::string& device, uint64_t seq) const {
  std::lock_guard lock(mutex_);
  auto it = devices_.find(device);
  if (it == devices_.end()) return {};
  auto m = it->second.by_seq.find(seq);
  return m == it->second.by_seq.end() ? nlohmann::json() : m->second;
}

}  // namespace edgeinfer::platform
