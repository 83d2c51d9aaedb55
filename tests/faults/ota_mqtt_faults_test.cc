// OTA over MQTT against a real mosquitto on a free loopback port (label `faults`): packages pushed on
// edgeinfer/<device>/ota are installed by an OtaUpdater sharing its TelemetryClient's connection, every
// malformed payload is refused with its reason on the retained status while the running model stays, a
// retained package reaches a device that was offline, and `edgeinfer ota listen` / `ota push` end to end.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "platform/linux/mosquitto_broker.h"
#include "platform/linux/mqtt_session.h"
#include "platform/linux/ota_mqtt.h"
#include "platform/linux/telemetry_client.h"
#include "platform/linux/telemetry_receiver.h"
#include "platform/linux/test_dir.h"
#include "tests/faults/broker_test_support.h"
#include "tests/ota/ota_test_support.h"
#include "tests/support/shared_data.h"

namespace edgeinfer::ota {
namespace {

using namespace std::chrono_literals;
using edgeinfer::testing::eventually;
using platform::MosquittoBroker;
using platform::TelemetryClient;
using platform::TelemetryReceiver;
using platform::TestDir;

constexpr const char* kTarget = "gw-x86";
constexpr const char* kDeviceId = "dev-1";

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// The operator's side in-process: publishes raw bytes (QoS 1) and waits for the PUBACK.
class Pusher {
 public:
  explicit Pusher(int port) {
    platform::MqttConfig config;
    config.port = port;
    config.client_id = "ota-test-pusher";
    platform::MqttSession::Callbacks callbacks;
    callbacks.on_connect = [this] { notify([&] { connected_ = true; }); };
    callbacks.on_publish = [this](int mid) { notify([&] { acked_.push_back(mid); }); };
    session_ = std::make_unique<platform::MqttSession>(config, std::move(callbacks));
    session_->start();
  }
  bool push(const std::vector<uint8_t>& bytes, bool retain) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, 5s, [&] { return connected_; })) return false;
    lock.unlock();
    const int mid = session_->publish(
        ota_topic(kDeviceId), std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), 1,
        retain);
    lock.lock();
    return mid > 0 && changed_.wait_for(lock, 5s, [&] {
      return std::find(acked_.begin(), acked_.end(), mid) != acked_.end();
    });
  }

 private:
  template <typename F>
  void notify(F f) {
    std::lock_guard lock(mutex_);
    f();
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  bool connected_ = false;
  std::vector<int> acked_;
  std::unique_ptr<platform::MqttSession> session_;
};

// A device process in-process: telemetry client, then the updater on its connection; outcomes recorded.
class Device {
 public:
  Device(int port, const TestDir& dir, const DeviceOptions& device,
         size_t max_package = kDefaultMaxPackageBytes)
      : client_({.port = port,
                 .device_id = kDeviceId,
                 .queue_dir = dir / "queue",
                 .reconnect_min_ms = 100,
                 .reconnect_max_ms = 500}),
        updater_(client_, {.device = device, .max_package_bytes = max_package}, [this](const OtaOutcome& o) {
          std::lock_guard lock(mutex_);
          outcomes_.push_back(o);
          changed_.notify_all();
        }) {}
  // Waits for outcome number `n` (1-based).
  std::optional<OtaOutcome> outcome(size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return outcomes_.size() >= n; })) return std::nullopt;
    return outcomes_[n - 1];
  }
  bool connected() const { return client_.stats().connected; }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<OtaOutcome> outcomes_;
  TelemetryClient client_;
  OtaUpdater updater_;
};

class OtaMqtt : public ::testing::Test {
 protected:
  void SetUp() override {
    if (MosquittoBroker::binary().empty()) return;
    broker_ = std::make_unique<MosquittoBroker>(dir_.path());
    keys_ = testing::make_keys();
    options_.dir = dir_ / "device";
    options_.public_key = keys_.pub;
    options_.target = kTarget;
    options_.healthy_runs = 2;
    receiver_ = std::make_unique<TelemetryReceiver>(TelemetryReceiver::Options{
        .port = broker_->port(), .device = kDeviceId, .client_id = "ota-test-receiver"});
    ASSERT_TRUE(receiver_->wait_subscribed(0, 5s));
  }
  std::vector<uint8_t> package(uint32_t version, float scale = 0.25f, const std::string& target = kTarget) {
    return testing::make_test_package(testing::fc_model(scale), version, target, keys_);
  }
  // The status whose ota outcome is for these bytes, as the receiver saw it.
  nlohmann::json status_for(const std::vector<uint8_t>& bytes) {
    const std::string sha = sha256_hex(bytes.data(), bytes.size());
    nlohmann::json found;
    eventually(
        [&] {
          const nlohmann::json s = receiver_->stats(kDeviceId).last_status;
          if (s.is_object() && s.contains("ota") && s["ota"].value("package_sha256", "") == sha) found = s;
          return !found.is_null();
        },
        5s);
    return found;
  }
  // The device subscribes to its ota topic before it publishes its status on a connect, and the broker
  // handles one connection's packets in order: once its online status is seen, live pushes reach it (a
  // retained push would reach it anyway, but only the newest retained one, and an empty one is not kept).
  void wait_device_subscribed() {
    ASSERT_TRUE(eventually(
        [&] {
          const nlohmann::json s = receiver_->stats(kDeviceId).last_status;
          return s.is_object() && s.value("state", "") == "online" && s.contains("model_version");
        },
        5s));
  }
  DeviceStatus device_status_now() {
    std::string error;
    auto status = device_status(options_.dir, &error);
    EXPECT_TRUE(status.has_value()) << error;
    return status.value_or(DeviceStatus{});
  }

  TestDir dir_;
  std::unique_ptr<MosquittoBroker> broker_;
  std::unique_ptr<TelemetryReceiver> receiver_;
  testing::Keys keys_;
  DeviceOptions options_;
};

TEST_F(OtaMqtt, ValidPackageIsInstalledAndReported) {
  SKIP_WITHOUT_MOSQUITTO();
  Device device(broker_->port(), dir_, options_);
  // At start the status carries the running version (none yet).
  ASSERT_TRUE(
      eventually([&] { return receiver_->stats(kDeviceId).last_status.contains("model_version"); }, 5s));
  EXPECT_EQ(receiver_->stats(kDeviceId).last_status["model_version"], 0);
  EXPECT_EQ(receiver_->stats(kDeviceId).last_status["state"], "online");

  const auto v2 = package(2);
  Pusher pusher(broker_->port());
  ASSERT_TRUE(pusher.push(v2, /*retain=*/false));
  const auto outcome = device.outcome(1);
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->ok) << outcome->message;
  EXPECT_EQ(outcome->result, "installed");
  EXPECT_EQ(outcome->version, 2u);
  const nlohmann::json status = status_for(v2);
  ASSERT_TRUE(status.is_object()) << receiver_->stats(kDeviceId).last_status;
  EXPECT_EQ(status["state"], "online");
  EXPECT_EQ(status["model_version"], 2);
  EXPECT_EQ(status["ota"]["ok"], true);
  EXPECT_EQ(status["ota"]["reason"], "ok");
  EXPECT_EQ(status["ota"]["result"], "installed");
  EXPECT_EQ(status["ota"]["version"], 2);
  EXPECT_EQ(status["ota"]["package_version"], 2);
  EXPECT_EQ(status["ota"]["package_bytes"], v2.size());
  EXPECT_NE(status["ota"]["message"].get<std::string>().find("version 2 confirmed"), std::string::npos);
  const DeviceStatus after = device_status_now();
  EXPECT_EQ(after.version, 2u);
  EXPECT_EQ(after.confirmed_version, 2u);
  EXPECT_FALSE(after.pending);
  EXPECT_EQ(testing::read_all(after.model_path), testing::fc_model(0.25f));
}

TEST_F(OtaMqtt, MalformedPayloadsAreRefusedAndTheModelKeepsRunning) {
  SKIP_WITHOUT_MOSQUITTO();
  ASSERT_TRUE(install_package(package(3), options_).ok);  // the device runs version 3
  const DeviceStatus before = device_status_now();
  ASSERT_EQ(before.version, 3u);
  const auto running_model = testing::read_all(before.model_path);
  constexpr size_t kBound = 64 << 10;
  Device device(broker_->port(), dir_, options_, kBound);

  const auto v4 = package(4);
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
    std::string reason;
  };
  std::vector<Case> cases;
  std::mt19937 random(20261203);
  for (size_t size : {1u, 95u, 96u, 1000u, 20000u}) {
    std::vector<uint8_t> bytes(size);
    for (auto& b : bytes) b = static_cast<uint8_t>(random());
    if (bytes[0] == 'E') bytes[0] = 0;  // never the magic's first byte
    cases.push_back({"random " + std::to_string(size), bytes, "bad_magic"});
  }
  for (size_t cut : {size_t{8}, size_t{50}, kHeaderBytes, kHeaderBytes + 100, v4.size() - 1}) {
    cases.push_back({"truncated at " + std::to_string(cut), {v4.begin(), v4.begin() + cut}, "truncated"});
  }
  auto tampered = v4;
  tampered[kHeaderBytes + 20] ^= 0x40;
  cases.push_back({"tampered payload byte", tampered, "hash_mismatch"});
  tampered = v4;
  tampered[12] = 5;  // the version, after signing
  cases.push_back({"tampered header byte", tampered, "bad_signature"});
  tampered = v4;
  tampered.back() ^= 1;
  cases.push_back({"tampered signature", tampered, "bad_signature"});
  const testing::Keys other = testing::make_keys();
  cases.push_back({"wrong key", testing::make_test_package(testing::fc_model(0.25f), 4, kTarget, other),
                   "bad_signature"});
  cases.push_back({"wrong target", package(4, 0.25f, "other-board"), "wrong_target"});
  cases.push_back({"downgrade", package(2), "downgrade"});
  cases.push_back({"same version, another model", package(3, 0.5f), "downgrade"});
  cases.push_back({"trailing bytes",
                   [&] {
                     auto b = v4;
                     b.push_back(0);
                     return b;
                   }(),
                   "trailing_bytes"});
  cases.push_back({"oversize", std::vector<uint8_t>(kBound + 1, 0x45), "too_large"});
  cases.push_back(
      {"self-test fails",
       testing::make_test_package(testing::fc_model(0.75f), 4, kTarget, keys_, /*break_golden=*/true),
       "self_test_failed"});

  wait_device_subscribed();
  Pusher pusher(broker_->port());
  // An empty message (MQTT's way to clear a retained one) is ignored: the first outcome below must be the
  // first case's.
  ASSERT_TRUE(pusher.push({}, /*retain=*/false));
  size_t n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(pusher.push(c.bytes, /*retain=*/true));
    const auto outcome = device.outcome(++n);
    ASSERT_TRUE(outcome) << "no outcome";
    EXPECT_FALSE(outcome->ok);
    EXPECT_EQ(outcome->reason, c.reason) << outcome->message;
    EXPECT_FALSE(outcome->message.empty());
    EXPECT_EQ(outcome->message.find('\n'), std::string::npos);
    EXPECT_EQ(outcome->version, 3u);
    const nlohmann::json status = status_for(c.bytes);
    ASSERT_TRUE(status.is_object()) << receiver_->stats(kDeviceId).last_status;
    EXPECT_EQ(status["ota"]["ok"], false);
    EXPECT_EQ(status["ota"]["reason"], c.reason);
    EXPECT_EQ(status["model_version"], 3);
    const DeviceStatus now = device_status_now();
    EXPECT_EQ(now.version, 3u);
    EXPECT_EQ(now.confirmed_version, 3u);
    EXPECT_FALSE(now.pending);
    EXPECT_EQ(now.model_path, before.model_path);
    EXPECT_EQ(testing::read_all(now.model_path), running_model);
  }
  // Still serving: a valid newer package installs.
  ASSERT_TRUE(pusher.push(v4, /*retain=*/true));
  const auto outcome = device.outcome(++n);
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->ok) << outcome->message;
  EXPECT_EQ(outcome->result, "installed");
  EXPECT_EQ(device_status_now().version, 4u);
  EXPECT_EQ(status_for(v4)["model_version"], 4);
}

// Operators push retained: a device offline at push time gets the package when it connects; connecting
// again (the broker sends the retained package again) reports it as already running, rewriting nothing.
TEST_F(OtaMqtt, RetainedPackageReachesDeviceThatWasOffline) {
  SKIP_WITHOUT_MOSQUITTO();
  const auto v2 = package(2);
  {
    Pusher pusher(broker_->port());
    ASSERT_TRUE(pusher.push(v2, /*retain=*/true));
  }
  uint32_t seq_after_install = 0;
  {
    Device device(broker_->port(), dir_, options_);
    const auto outcome = device.outcome(1);
    ASSERT_TRUE(outcome);
    EXPECT_EQ(outcome->result, "installed") << outcome->message;
    EXPECT_EQ(outcome->version, 2u);
    seq_after_install = device_status_now().seq;
  }
  Device again(broker_->port(), dir_, options_);
  const auto outcome = again.outcome(1);
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->ok);
  EXPECT_EQ(outcome->result, "already_running") << outcome->message;
  EXPECT_EQ(outcome->reason, "ok");
  EXPECT_EQ(outcome->version, 2u);
  EXPECT_EQ(device_status_now().seq, seq_after_install);  // no state write: nothing reinstalled
  const nlohmann::json status = status_for(v2);
  EXPECT_EQ(status["ota"]["result"], "already_running");
  EXPECT_EQ(status["model_version"], 2);
  // A retained copy with the same version but tampered is still checked: refused, not "already running".
  auto tampered = v2;
  tampered[kHeaderBytes + 3] ^= 1;
  Pusher pusher(broker_->port());
  ASSERT_TRUE(pusher.push(tampered, /*retain=*/true));
  const auto refused = again.outcome(2);
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->ok);
  EXPECT_EQ(refused->reason, "hash_mismatch") << refused->message;
}

// Pushes faster than installs: one install at a time, a waiting package replaced by a newer one (reported
// "superseded"), every package gets exactly one outcome, and the newest ends up running.
TEST_F(OtaMqtt, BurstOfPushesEndsOnTheNewest) {
  SKIP_WITHOUT_MOSQUITTO();
  options_.healthy_runs = 50;  // longer installs, so that pushes arrive while one runs
  Device device(broker_->port(), dir_, options_);
  wait_device_subscribed();
  Pusher pusher(broker_->port());
  std::vector<std::string> hashes;
  for (uint32_t version = 2; version <= 7; ++version) {
    const auto bytes = package(version, 0.25f * static_cast<float>(version));
    hashes.push_back(sha256_hex(bytes.data(), bytes.size()));
    ASSERT_TRUE(pusher.push(bytes, /*retain=*/true));
  }
  std::map<std::string, OtaOutcome> by_hash;
  for (size_t n = 1; by_hash.size() < hashes.size(); ++n) {
    const auto outcome = device.outcome(n);
    ASSERT_TRUE(outcome) << "outcomes for " << by_hash.size() << " of " << hashes.size() << " packages";
    EXPECT_TRUE(by_hash.emplace(outcome->package_sha256, *outcome).second) << "two outcomes for one package";
    EXPECT_TRUE(outcome->result == "installed" || outcome->result == "superseded")
        << outcome->result << ": " << outcome->message;
  }
  int superseded = 0;
  for (const auto& [hash, outcome] : by_hash) superseded += outcome.result == "superseded";
  std::printf("[ FIGURES  ] %zu pushes: %zu installed, %d superseded\n", hashes.size(),
              hashes.size() - superseded, superseded);
  EXPECT_EQ(by_hash[hashes.back()].result, "installed");
  EXPECT_EQ(device_status_now().version, 7u);
  EXPECT_FALSE(device.outcome(hashes.size() + 1, 300ms)) << "an extra outcome";
}

// The real CLI: `ota listen --once` in the background, `ota push --wait` from the operator's side.
TEST_F(OtaMqtt, CliListenOnceAndPushWait) {
  SKIP_WITHOUT_MOSQUITTO();
  using edgeinfer::testing::run_command;
  const std::string cli = edgeinfer::testing::edgeinfer_cli().string();
  const std::string broker = " --broker 127.0.0.1:" + std::to_string(broker_->port());
  write_file(dir_ / "ota.pub", std::vector<uint8_t>(keys_.pub.begin(), keys_.pub.end()));
  write_file(dir_ / "v2.eiota", package(2));
  auto tampered = package(3);
  tampered[kHeaderBytes + 1] ^= 1;
  write_file(dir_ / "v3-tampered.eiota", tampered);
  const std::string listen = cli + " ota listen" + broker + " --device-id " + kDeviceId + " --device " +
                             (dir_ / "device") + " --pub " + (dir_ / "ota.pub") + " --target " + kTarget +
                             " --healthy-runs 1 --once";

  edgeinfer::testing::CommandResult listened;
  std::thread device([&] { listened = run_command(listen); });
  auto pushed = run_command(cli + " ota push " + (dir_ / "v2.eiota") + broker + " --device-id " + kDeviceId +
                            " --wait 20");
  device.join();
  EXPECT_EQ(pushed.exit_code, 0) << pushed.output;
  EXPECT_NE(pushed.output.find("device dev-1: installed: version 2 confirmed"), std::string::npos)
      << pushed.output;
  EXPECT_EQ(listened.exit_code, 0) << listened.output;
  EXPECT_NE(listened.output.find("installed: version 2 confirmed"), std::string::npos) << listened.output;

  // A tampered package: the device refuses it (exit 1 on both sides), the model stays. The retained v2 is
  // cleared first (an empty retained message), or the next listen --once would report it already running.
  ASSERT_TRUE(Pusher(broker_->port()).push({}, /*retain=*/true));
  std::thread device2([&] { listened = run_command(listen); });
  pushed = run_command(cli + " ota push " + (dir_ / "v3-tampered.eiota") + broker + " --device-id " +
                       kDeviceId + " --wait 20 --json");
  device2.join();
  EXPECT_EQ(pushed.exit_code, 1) << pushed.output;
  const auto report = nlohmann::json::parse(pushed.output, nullptr, false);
  ASSERT_TRUE(report.is_object()) << pushed.output;
  EXPECT_EQ(report["reason"], "hash_mismatch");
  EXPECT_EQ(report["model_version"], 2);
  EXPECT_EQ(listened.exit_code, 1) << listened.output;
  EXPECT_NE(listened.output.find("refused (hash_mismatch)"), std::string::npos) << listened.output;
  EXPECT_EQ(device_status_now().version, 2u);

  // Nobody listening: the retained status of the last run says "offline", the push times out with exit 2.
  pushed = run_command(cli + " ota push " + (dir_ / "v2.eiota") + broker + " --device-id " + kDeviceId +
                       " --wait 1");
  EXPECT_EQ(pushed.exit_code, 2) << pushed.output;
  EXPECT_NE(pushed.output.find("no outcome from device dev-1 within 1 s"), std::string::npos)
      << pushed.output;

  // Without --once the agent runs until SIGINT/SIGTERM and then exits 0.
  const auto stopped = run_command("(" + cli + " ota listen" + broker + " --device-id " + kDeviceId +
                                   " --device " + (dir_ / "device") + " --pub " + (dir_ / "ota.pub") +
                                   " & pid=$!; sleep 0.5; kill -TERM $pid; wait $pid)");
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;

  // Bad options and files: one line each.
  for (const std::string args : {"push " + (dir_ / "v2.eiota") + " --broker localhost --device-id d",
                                 "push " + (dir_ / "v2.eiota") + " --broker 127.0.0.1:99999 --device-id d",
                                 "push " + (dir_ / "v2.eiota") + broker + " --device-id a/b",
                                 "push " + (dir_ / "ota.pub") + broker + " --device-id d",
                                 "listen" + broker + " --device-id d --device " + (dir_ / "device") +
                                     " --pub " + (dir_ / "missing.pub"),
                                 "listen" + broker + " --device-id d --device " + (dir_ / "device") +
                                     " --pub " + (dir_ / "v2.eiota")}) {
    const auto r = run_command(cli + " ota " + args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << ": " << r.output;
  }
  const auto not_package = run_command(cli + " ota push " + (dir_ / "ota.pub") + broker + " --device-id d");
  EXPECT_NE(not_package.output.find("malformed package, not sent ("), std::string::npos)
      << not_package.output;
  for (const std::string sub : {" listen", " push"}) {
    const auto help = run_command(cli + " ota" + sub + " --help");
    EXPECT_EQ(help.exit_code, 0) << sub;
    EXPECT_NE(help.output.find("--device-id"), std::string::npos) << sub;
  }
}

}  // namespace
}  // namespace edgeinfer::ota
