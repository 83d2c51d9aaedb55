// `edgeinfer demo vibration`: the flagship end to end on a seed it was not tuned on, a full simulated day
// (about 20 s: the model is trained on the normal data first). Every fault type detected within 5 s, no more
// than 0.1 false alarms per hour, drift reported as drift and never as a fault, at most 5% of windows sending
// a message, and AUC >= 0.95 per fault type. Also the training-data export and bad options.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

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
  for (const std::string& args :
       std::vector<std::string>{"--hours 0", "--hours -3", "--speed -1", "--train-hours 0", "--epochs 0",
                                "--report-every 1", "--model " + path("missing.tflite")}) {
    const auto r = demo(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << args << ": " << r.output;
  }
}

}  // namespace
}  // namespace edgeinfer
