// `edgeinfer ota` as a user runs it: keys, pack, verify, install, status; exit codes and one-line errors.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tests/ota/ota_test_support.h"
#include "tests/support/shared_data.h"

namespace edgeinfer::ota {
namespace {

using edgeinfer::testing::run_command;

class OtaCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::fresh_dir("cli");
    cli_ = edgeinfer::testing::edgeinfer_cli().string();
    model_ = dir_ + "/m.tflite";
    const auto model = testing::fc_model(0.25f);
    std::ofstream(model_, std::ios::binary).write(reinterpret_cast<const char*>(model.data()), model.size());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  edgeinfer::testing::CommandResult ota(const std::string& args) {
    return run_command(cli_ + " ota " + args);
  }
  static int lines(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  std::string dir_, cli_, model_;
};

TEST_F(OtaCli, KeygenPackVerifyInstallStatus) {
  auto r = ota("keygen --out " + dir_ + "/keys");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  struct stat key_stat {};
  ASSERT_EQ(stat((dir_ + "/keys/ota.key").c_str(), &key_stat), 0);
  EXPECT_EQ(key_stat.st_mode & 0777, 0600u);
  EXPECT_EQ(key_stat.st_size, 64);
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/keys/ota.pub"), 32u);
  const auto first_key = testing::read_all(dir_ + "/keys/ota.key");
  r = ota("keygen --out " + dir_ + "/keys");  // never replaces a key pair devices may trust
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("exists: not replacing a signing key"), std::string::npos) << r.output;
  EXPECT_EQ(testing::read_all(dir_ + "/keys/ota.key"), first_key);
  const std::string key = " --key " + dir_ + "/keys/ota.key", pub = " --pub " + dir_ + "/keys/ota.pub";

  r = ota("pack " + model_ + key + " --version 4 --target gw-x86 -o " + dir_ + "/v4.eiota");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = ota("verify " + dir_ + "/v4.eiota" + pub + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto verified = nlohmann::json::parse(r.output);
  EXPECT_EQ(verified["version"], 4);
  EXPECT_EQ(verified["target"], "gw-x86");

  const std::string device = " --device " + dir_ + "/dev";
  r = ota("install " + dir_ + "/v4.eiota" + device + pub);  // a new device has no target yet
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("give --target NAME"), std::string::npos) << r.output;
  r = ota("install " + dir_ + "/v4.eiota" + device + pub + " --target gw-x86 --healthy-runs 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("version 4 confirmed in slot a after the self-test and 2 healthy runs"),
            std::string::npos)
      << r.output;

  r = ota("status" + device + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto status = nlohmann::json::parse(r.output);
  EXPECT_EQ(status["version"], 4);
  EXPECT_EQ(status["pending"], false);
  EXPECT_EQ(status["confirmed_version"], 4);
  EXPECT_EQ(status["model"], dir_ + "/dev/slot_a/model.tflite");
  EXPECT_EQ(testing::read_all(status["model"]), testing::read_all(model_));  // runnable as it is

  // Refusals: one line each, the reason named, the device still on version 4.
  r = ota("install " + dir_ + "/v4.eiota" + device + pub);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("edgeinfer ota: error: " + dir_ + "/v4.eiota: refused (downgrade)"),
            std::string::npos)
      << r.output;
  auto package = testing::read_all(dir_ + "/v4.eiota");
  package[12] = 5;  // version 4 -> 5 after signing
  std::ofstream(dir_ + "/v5.eiota", std::ios::binary)
      .write(reinterpret_cast<const char*>(package.data()), package.size());
  r = ota("install " + dir_ + "/v5.eiota" + device + pub);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("refused (bad_signature)"), std::string::npos) << r.output;
  r = ota("verify " + dir_ + "/v5.eiota" + pub);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("refused (bad_signature)"), std::string::npos) << r.output;
  r = ota("status" + device);
  EXPECT_NE(r.output.find("running version 4"), std::string::npos) << r.output;
}

TEST_F(OtaCli, BadInputsGiveOneLineAndNoFile) {
  ASSERT_EQ(ota("keygen --out " + dir_ + "/keys").exit_code, 0);
  const std::string key = " --key " + dir_ + "/keys/ota.key";
  const std::string out = dir_ + "/out.eiota";
  for (const std::string args :
       {"pack " + model_ + key + " --version 0 --target gw -o " + out,
        "pack " + model_ + key + " --version 1 --target 'bad name' -o " + out,
        "pack " + model_ + " --key " + dir_ + "/keys/ota.pub --version 1 --target gw -o " + out,
        "pack " + dir_ + "/keys/ota.pub" + key + " --version 1 --target gw -o " + out,
        "pack " + model_ + key + " --version 1 --target gw --golden-input " + dir_ + "/keys/ota.pub -o " +
            out}) {
    const auto r = ota(args);
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_EQ(lines(r.output), 1) << args << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
  }
  const auto status = ota("status --device " + dir_ + "/nowhere --json");
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_EQ(lines(status.output), 1) << status.output;
  for (const std::string sub : {"", " keygen", " pack", " verify", " install", " status"}) {
    const auto help = ota(sub + " --help");
    EXPECT_EQ(help.exit_code, 0) << sub;
    EXPECT_NE(help.output.find("Usage"), std::string::npos) << sub;
  }
}

}  // namespace
}  // namespace edgeinfer::ota
