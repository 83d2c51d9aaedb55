// `edgeinfer demo vibration`: the flagship end to end on a seed it was not tuned on, a full simulated day
// (about 20 s: the model is trained on the normal data first). Every fault type detected within 5 s, no more
// than 0.1 false alarms per hour, drift reported as drift and never as a fault, at most 5% of windows sending
// a message, and AUC >= 0.95 per fault type; every message it sends reaches a subscriber (MQTT through a
// real mosquitto: the demo's private one, or one the test starts for --broker). Also the training-data
// export and bad options.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "platform/linux/mosquitto_broker.h"
#include "platform/linux/telemetry_receiver.h"
#include "tests/support/shared_data.h"
#include "tests/support/temp_dir.h"

namespace edgeinfer {
namespace {

using testing::run_command;

class VibrationDemoTest : public testing::TempDirTest {
 protected:
  testing::CommandResult demo(const std::string& args) {
    return run_command(testing::edgeinfer_cli().string() + " demo vibration " + args + " 2>&1");
  }
};

TEST_F(VibrationDemoTest, OneSimulatedDayMeetsTheFlagshipsBars) {
  const auto r =
      run_command(testing::edgeinfer_cli().string() + " demo vibration --seed 11 --json 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["windows"].get<int>(), 24 * 3600 - 1);
  EXPECT_EQ(j["inferences"].get<int>(), j["windows"].get<int>());  // the machine runs: the gate lets all in
  std::set<std::string> types;
  for (const auto& f : j["faults"]) {
    types.insert(f["type"].get<std::string>());
    ASSERT_FALSE(f["delay_s"].is_null()) << f.dump();
    EXPECT_GE(f["delay_s"].get<double>(), 0) << f.dump();
    EXPECT_LE(f["delay_s"].get<double>(), 5.0) << f.dump();
  }
  EXPECT_EQ(types, (std::set<std::string>{"imbalance", "misalignment", "bearing", "looseness"}));
  EXPECT_LE(j["false_alarms_per_hour"].get<double>(), 0.1);
  EXPECT_TRUE(j["drift_reported"].get<bool>());
  EXPECT_TRUE(j["drift_never_as_fault"].get<bool>());
  EXPECT_LE(j["messages_upstream"].get<double>(), 0.05 * j["windows"].get<double>());
  EXPECT_GT(j["messages_upstream"].get<int>(), 0);
  ASSERT_EQ(j["auc"].size(), 4u);
  for (const auto& a : j["auc"]) {
    EXPECT_GT(a["positives"].get<int>(), 0) << a.dump();
    EXPECT_GE(a["auc"].get<double>(), 0.95) << a.dump();
  }
  // Upstream: without --broker the demo starts its own mosquitto and subscribes to it.
  const auto& up = j["upstream"];
  EXPECT_EQ(up["published"], j["messages_upstream"]) << up.dump();
  if (platform::MosquittoBroker::binary().empty()) {
    EXPECT_TRUE(up["broker"].is_null()) << up.dump();
    GTEST_SKIP()
        << "mosquitto not installed: the upstream half is not checked (scripts/setup.sh installs it)";
  }
  EXPECT_TRUE(up["private_broker"].get<bool>()) << up.dump();
  EXPECT_EQ(up["acknowledged"], up["published"]) << up.dump();
  EXPECT_EQ(up["still_queued"].get<int>(), 0) << up.dump();
  EXPECT_EQ(up["subscriber"]["received"], up["published"]) << up.dump();
  EXPECT_EQ(up["subscriber"]["max_seq"], up["published"]) << up.dump();
  EXPECT_EQ(up["subscriber"]["lost"].get<int>(), 0) << up.dump();
}

// --broker: a broker of the user's (here one the test starts) receives every alert and statistics report,
// with the documented fields, seq 1..N with nothing lost, and the retained status.
TEST_F(VibrationDemoTest, PublishesAlertsAndStatisticsToTheBrokerGiven) {
  if (platform::MosquittoBroker::binary().empty()) GTEST_SKIP() << "mosquitto not installed";
  platform::MosquittoBroker broker(path(""));
  std::vector<nlohmann::json> alerts, reports, statuses;
  std::mutex mutex;
  platform::TelemetryReceiver receiver(
      {.port = broker.port(), .device = "press-4"},
      [&](const std::string&, const std::string& kind, const nlohmann::json& body) {
        std::lock_guard lock(mutex);
        (kind == "alert" ? alerts : kind == "telemetry" ? reports : statuses).push_back(body);
      });
  ASSERT_TRUE(receiver.wait_subscribed(0, std::chrono::seconds(5)));
  const auto r = run_command(testing::edgeinfer_cli().string() +
                             " demo vibration --hours 2 --seed 2 --train-hours 1 --epochs 10 --json --broker "
                             "127.0.0.1:" +
                             std::to_string(broker.port()) + " --device press-4 --queue " + path("queue") +
                             " --report-every 900 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  const int messages = j["messages_upstream"].get<int>();
  ASSERT_TRUE(receiver.wait_received("press-4", messages, std::chrono::seconds(5)));
  const auto seen = receiver.stats("press-4");
  EXPECT_EQ(seen.received, static_cast<uint64_t>(messages));
  EXPECT_EQ(seen.max_seq, static_cast<uint64_t>(messages));
  EXPECT_EQ(seen.lost, 0u);
  EXPECT_EQ(j["upstream"]["acknowledged"].get<int>(), messages);
  EXPECT_FALSE(j["upstream"]["private_broker"].get<bool>());

  std::lock_guard lock(mutex);
  EXPECT_EQ(reports.size(), 8u);  // 2 h at one report per 900 s
  for (const auto& t : reports) {
    for (const char* key : {"seq", "device", "ts", "dropped", "time_s", "windows", "alerts",
                            "inferences_total", "anomalies_total", "level", "level_offset"})
      EXPECT_TRUE(t.contains(key)) << key << " in " << t.dump();
    EXPECT_EQ(t["device"], "press-4");
  }
  EXPECT_EQ(reports.back()["time_s"].get<double>(), 7200.0);
  // Each detected fault: one "started" alert (score above the threshold) and later one "cleared".
  int started = 0, cleared = 0, drift = 0;
  for (const auto& a : alerts) {
    const std::string event = a["event"], state = a["state"];
    if (event == "fault" && state == "started") {
      ++started;
      EXPECT_GT(a["score"].get<double>(), a["threshold"].get<double>()) << a.dump();
      EXPECT_EQ(a["top_inputs"].size(), 2u) << a.dump();
    }
    cleared += event == "fault" && state == "cleared";
    drift += event == "drift";
  }
  EXPECT_EQ(started, static_cast<int>(j["faults"].size()));
  EXPECT_GE(cleared, started - 1);
  EXPECT_GE(drift, 1);
  EXPECT_EQ(alerts.size() + reports.size(), static_cast<size_t>(messages));
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back()["state"], "offline");  // the device said goodbye
  bool described = false;
  for (const auto& s : statuses) described |= s.contains("model_bytes") && s["state"] == "online";
  EXPECT_TRUE(described);
}

TEST_F(VibrationDemoTest, OfflineCountsWithoutSending) {
  const auto r =
      run_command(testing::edgeinfer_cli().string() +
                  " demo vibration --hours 1 --seed 3 --train-hours 0.5 --epochs 5 --offline --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_TRUE(j["upstream"]["broker"].is_null());
  EXPECT_EQ(j["upstream"]["published"], j["messages_upstream"]);
  EXPECT_GE(j["messages_upstream"].get<int>(), 6);  // at least the reports every 600 s
}

TEST_F(VibrationDemoTest, TextExplainsAlertsAsTheyHappen) {
  const auto r = demo("--hours 3 --seed 2 --train-hours 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("edgeinfer train --autoencoder"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ALERT  anomaly score"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("per fault:"), std::string::npos) << r.output;
}

TEST_F(VibrationDemoTest, ExportsTheNormalDataAndTheSpecForTheTrainingScript) {
  const auto r = demo("--export-normal " + path("out") + " --train-hours 0.5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(path("out/normal.npy")));
  const auto spec = read("out/autoencoder.spec");
  EXPECT_NE(std::string(spec.begin(), spec.end()).find("input 30"), std::string::npos);
  // 0.5 h at one window per second, the first after 2 s: 1799 windows of 30 float32 after the .npy header.
  EXPECT_GT(std::filesystem::file_size(path("out/normal.npy")), 1799u * 30 * 4);
  EXPECT_LT(std::filesystem::file_size(path("out/normal.npy")), 1799u * 30 * 4 + 256);
}

TEST_F(VibrationDemoTest, BadOptionsGiveOneLine) {
  for (const std::string& args : std::vector<std::string>{
           "--hours 0", "--hours -3", "--speed -1", "--train-hours 0", "--epochs 0", "--report-every 1",
           "--model " + path("missing.tflite"), "--broker nonsense", "--broker 127.0.0.1:0",
           "--broker 127.0.0.1:70000", "--broker [::1:1883", "--device 'bad id'",
           "--offline --broker 127.0.0.1:1883", "--flush-timeout -1",
           "--broker 127.0.0.1:1883 --tls-ca " + path("missing.pem")}) {
    const auto r = demo(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << ": " << r.output;
  }
}

}  // namespace
}  // namespace edgeinfer
