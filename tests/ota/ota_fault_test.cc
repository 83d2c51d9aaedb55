// OTA faults on a file-backed device (platform/linux/ota_storage.h) with the real self-test runner: a power
// cut at every write step of an install and of a rollback, then a "reboot" that must find a valid, loadable
// model of the old or the new confirmed version; refused packages (tampered, wrong key, truncated at every
// length, downgrade, wrong target) that leave the running model untouched; a failing self-test that rolls
// back. Label `faults`.
#include <cstdio>
#include <map>

#include "platform/linux/ota_storage.h"
#include "tests/ota/ota_test_support.h"

namespace edgeinfer::ota {
namespace {

using testing::Keys;
using testing::make_keys;
using testing::make_test_package;
using testing::PowerCutStorage;
using testing::read_all;

constexpr const char* kTarget = "gw-x86";

InstallConfig config_for(const Keys& keys, uint32_t chunk_bytes = 64) {
  InstallConfig config;
  config.public_key = keys.pub.data();
  config.target = kTarget;
  config.healthy_runs = 3;
  config.chunk_bytes = chunk_bytes;  // small chunks: many write steps to cut
  return config;
}

// What a device finds when it boots: the model it runs, checked end to end.
struct BootCheck {
  bool valid =
      false;  // a model, not pending, signature and hash good, loads and reproduces its golden output
  uint32_t version = 0;
  uint32_t confirmed_version = 0;
  std::string why;
};

BootCheck boot_and_check(const std::string& dir, const Keys& keys) {
  BootCheck check;
  FileStorage storage(dir);
  SlotManager slots(storage);
  char message[kMessageBytes] = {};
  if (slots.boot(message, sizeof(message)) != Reason::kOk) {
    check.why = std::string("boot: ") + message;
    return check;
  }
  check.version = slots.running_version();
  check.confirmed_version = slots.state().confirmed_version;
  if (!slots.has_model()) {
    check.why = "no model";
    return check;
  }
  if (slots.state().pending) {
    check.why = "still pending after boot";
    return check;
  }
  PackageHeader header;
  const Reason reason =
      slots.verify_slot(slots.running_slot(), keys.pub.data(), &header, message, sizeof(message));
  if (reason != Reason::kOk) {
    check.why = std::string("running slot: ") + reason_name(reason) + ": " + message;
    return check;
  }
  if (header.model_version != check.version) {
    check.why = "state says version " + std::to_string(check.version) + ", the slot holds " +
                std::to_string(header.model_version);
    return check;
  }
  HostModelRunner runner;
  if (!runner.load(storage, slots.running_slot(), header, message, sizeof(message)) ||
      !runner.run_golden(message, sizeof(message))) {
    check.why = std::string("running model: ") + message;
    return check;
  }
  check.valid = true;
  return check;
}

class OtaFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    keys_ = make_keys();
    v1_ = make_test_package(testing::fc_model(0.25f), 1, kTarget, keys_);
    v2_ = make_test_package(testing::fc_model(-0.5f), 2, kTarget, keys_);
    v2_bad_golden_ = make_test_package(testing::fc_model(-0.5f), 2, kTarget, keys_, /*break_golden=*/true);
    ASSERT_FALSE(v1_.empty());
    ASSERT_FALSE(v2_.empty());
  }
  void TearDown() override {  // the device directories fresh_dir() made for this process
    const std::string suffix = "_" + std::to_string(::getpid());
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), error)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("edgeinfer_ota_", 0) == 0 && name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        std::filesystem::remove_all(entry.path(), error);
    }
  }

  // A device running confirmed version 1.
  std::string device_with_v1(const std::string& name) {
    const std::string dir = testing::fresh_dir(name);
    FileStorage storage(dir);
    SlotManager slots(storage);
    EXPECT_EQ(slots.boot(nullptr, 0), Reason::kOk);
    HostModelRunner runner;
    const InstallResult result = slots.install(v1_.data(), v1_.size(), config_for(keys_), runner);
    EXPECT_TRUE(result.ok) << result.message;
    EXPECT_EQ(result.version, 1u);
    return dir;
  }

  // Cuts the power at every write step of installing `package` on a v1 device; after each cut the device
  // reboots and must run a valid model, of version 1 or of `package`'s version confirmed; then the same
  // install without a cut must give `expect_final`. Returns {points tried, devices left without a valid
  // model}.
  std::pair<int, int> cut_everywhere(const std::vector<uint8_t>& package, bool expect_new, const char* name) {
    int tried = 0, broken = 0, ended_old = 0, ended_new = 0;
    for (int cut = 0;; ++cut) {
      const std::string dir = device_with_v1(name);
      FileStorage files(dir);
      PowerCutStorage storage(files, cut);
      SlotManager slots(storage);
      EXPECT_EQ(slots.boot(nullptr, 0), Reason::kOk);
      HostModelRunner runner;
      const InstallResult result = slots.install(package.data(), package.size(), config_for(keys_), runner);
      if (!storage.cut()) {  // the install finished before write `cut`: every point was tried
        EXPECT_EQ(result.ok, expect_new) << result.message;
        break;
      }
      ++tried;
      EXPECT_EQ(result.reason, Reason::kStorage) << "cut at write " << cut;
      const BootCheck check = boot_and_check(dir, keys_);
      const bool version_ok =
          check.version == 1 || (expect_new && check.version == 2 && check.confirmed_version == 2);
      if (!check.valid || !version_ok) {
        ++broken;
        ADD_FAILURE() << "cut at write " << cut << ": " << check.why << " (version " << check.version << ")";
      }
      (check.version == 1 ? ended_old : ended_new)++;
      // The device is not stuck: the same update installs (or is refused) as without the cut.
      FileStorage again(dir);
      SlotManager retry(again);
      EXPECT_EQ(retry.boot(nullptr, 0), Reason::kOk);
      if (check.version == 1) {
        HostModelRunner runner2;
        const InstallResult second =
            retry.install(package.data(), package.size(), config_for(keys_), runner2);
        EXPECT_EQ(second.ok, expect_new) << "after the cut at write " << cut << ": " << second.message;
        EXPECT_EQ(second.version, expect_new ? 2u : 1u);
      }
    }
    std::printf(
        "[ FIGURE   ] %s: %d power-cut points tried, %d devices left without a valid model "
        "(%d booted version 1, %d booted confirmed version 2)\n",
        name, tried, broken, ended_old, ended_new);
    return {tried, broken};
  }

  Keys keys_;
  std::vector<uint8_t> v1_, v2_, v2_bad_golden_;
};

TEST_F(OtaFaults, OtaPowerCutAtEveryWriteOfAnInstall) {
  const auto [tried, broken] = cut_everywhere(v2_, /*expect_new=*/true, "install");
  // Every writing call, in 64-byte chunks: meta erase, the 96-byte header (2 chunks), model erase, the model,
  // goldens and signature (16 + 12 + 64 = 92 bytes: 2 chunks), then two state writes (pending, confirmed)
  // of erase + write each.
  const int model_chunks = static_cast<int>((testing::fc_model(-0.5f).size() + 63) / 64);
  EXPECT_EQ(tried, 1 + 2 + 1 + model_chunks + 2 + 2 + 2);
  EXPECT_EQ(broken, 0);
}

TEST_F(OtaFaults, OtaPowerCutAtEveryWriteOfARollback) {
  const auto [tried, broken] = cut_everywhere(v2_bad_golden_, /*expect_new=*/false, "rollback");
  EXPECT_GT(tried, 10);
  EXPECT_EQ(broken, 0);
}

// A reset while an update is pending (never confirmed): boot rolls back, and a cut during that rollback's
// own state write leaves a device that rolls back at the next boot.
TEST_F(OtaFaults, OtaPowerCutDuringTheBootRollback) {
  int tried = 0, broken = 0;
  for (int cut = 0; cut < 2; ++cut) {
    const std::string dir = device_with_v1("boot_rollback");
    {
      FileStorage files(dir);
      SlotManager slots(files);
      ASSERT_EQ(slots.boot(nullptr, 0), Reason::kOk);
      PackageHeader header;
      ASSERT_EQ(slots.check_header(v2_.data(), v2_.size(), config_for(keys_), &header, nullptr, 0),
                Reason::kOk);
      ASSERT_EQ(slots.write_slot(1, v2_.data(), header, 64, nullptr, 0), Reason::kOk);
      ASSERT_EQ(slots.switch_pending(1, 2, nullptr, 0), Reason::kOk);  // and the power goes
    }
    FileStorage files(dir);
    PowerCutStorage storage(files, cut);
    SlotManager slots(storage);
    EXPECT_EQ(slots.boot(nullptr, 0), Reason::kStorage);
    ASSERT_TRUE(storage.cut());
    ++tried;
    const BootCheck check = boot_and_check(dir, keys_);
    if (!check.valid || check.version != 1) {
      ++broken;
      ADD_FAILURE() << "cut " << cut << ": " << check.why;
    }
  }
  std::printf(
      "[ FIGURE   ] boot rollback: %d power-cut points tried, %d devices left without a valid model\n", tried,
      broken);
  EXPECT_EQ(broken, 0);
}

// Every refused package leaves the running slot's files and both state copies byte for byte as they were.
class OtaRefusals : public OtaFaults {
 protected:
  struct Snapshot {
    std::vector<uint8_t> model, meta, state0, state1;
    bool operator==(const Snapshot& o) const {
      return model == o.model && meta == o.meta && state0 == o.state0 && state1 == o.state1;
    }
  };
  Snapshot snapshot(const std::string& dir) {
    FileStorage s(dir);
    return {read_all(s.path(Region::kModelA)), read_all(s.path(Region::kMetaA)),
            read_all(s.path(Region::kState0)), read_all(s.path(Region::kState1))};
  }
  // Installs through the Linux entry point (what the CLI and the MQTT topic call).
  InstallResult try_install(const std::string& dir, const std::vector<uint8_t>& package, const Keys& keys) {
    DeviceOptions options;
    options.dir = dir;
    options.public_key = keys.pub;
    options.target = kTarget;
    return install_package(package, options);
  }
  void expect_refused(const std::string& dir, const std::vector<uint8_t>& package, Reason reason,
                      const char* what, const Keys* keys = nullptr) {
    const Snapshot before = snapshot(dir);
    const InstallResult result = try_install(dir, package, keys ? *keys : keys_);
    EXPECT_FALSE(result.ok) << what;
    EXPECT_EQ(reason_name(result.reason), std::string(reason_name(reason))) << what << ": " << result.message;
    EXPECT_EQ(result.version, 1u) << what;
    EXPECT_TRUE(snapshot(dir) == before) << what << ": the running model or the state changed";
    const BootCheck check = boot_and_check(dir, keys_);
    EXPECT_TRUE(check.valid) << what << ": " << check.why;
    EXPECT_EQ(check.version, 1u) << what;
    ++refused_[reason_name(result.reason)];
  }
  std::map<std::string, int> refused_;
};

TEST_F(OtaRefusals, OtaBadPackagesAreRefusedAndTheRunningModelIsUntouched) {
  const std::string dir = device_with_v1("refusals");
  auto tampered_payload = v2_;
  tampered_payload[96 + 100] ^= 0x01;
  expect_refused(dir, tampered_payload, Reason::kHashMismatch, "tampered payload");
  auto tampered_header = v2_;
  tampered_header[12] = 3;  // version 2 -> 3 after signing
  expect_refused(dir, tampered_header, Reason::kBadSignature, "tampered header");
  auto tampered_golden = v2_;
  tampered_golden[tampered_golden.size() - 65] ^= 0x01;
  expect_refused(dir, tampered_golden, Reason::kBadSignature, "tampered golden output");
  const Keys other = make_keys();
  expect_refused(dir, make_test_package(testing::fc_model(-0.5f), 2, kTarget, other), Reason::kBadSignature,
                 "signed with another key");
  expect_refused(dir, v1_, Reason::kDowngrade, "same version again");
  expect_refused(dir, make_test_package(testing::fc_model(-0.5f), 0, kTarget, keys_), Reason::kDowngrade,
                 "older version");
  expect_refused(dir, make_test_package(testing::fc_model(-0.5f), 2, "cortex-m4", keys_),
                 Reason::kWrongTarget, "wrong target");
  std::vector<uint8_t> not_a_package(500, 0x42);
  expect_refused(dir, not_a_package, Reason::kBadMagic, "not a package");
  for (size_t length = 0; length < v2_.size(); ++length)
    expect_refused(dir, std::vector<uint8_t>(v2_.begin(), v2_.begin() + static_cast<long>(length)),
                   Reason::kTruncated, "truncated");
  std::string figures;
  int total = 0;
  for (const auto& [name, count] : refused_) {
    figures += " " + name + "=" + std::to_string(count);
    total += count;
  }
  std::printf("[ FIGURE   ] %d packages refused, running model untouched each time:%s\n", total,
              figures.c_str());
  EXPECT_EQ(refused_["truncated"], static_cast<int>(v2_.size()));
  EXPECT_EQ(refused_["bad_signature"], 3);
  EXPECT_EQ(refused_["hash_mismatch"], 1);
  EXPECT_EQ(refused_["downgrade"], 2);
  EXPECT_EQ(refused_["wrong_target"], 1);
  // After all that, the genuine update still installs.
  const InstallResult good = try_install(dir, v2_, keys_);
  EXPECT_TRUE(good.ok) << good.message;
  EXPECT_EQ(good.version, 2u);
}

// A correctly signed model that does not reproduce its golden output, and one that is not a model at all:
// switched to, tried, rolled back; version 1 runs again and the state says so.
TEST_F(OtaRefusals, OtaFailedSelfTestRollsBack) {
  const std::string dir = device_with_v1("selftest");
  InstallResult result = try_install(dir, v2_bad_golden_, keys_);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, Reason::kSelfTestFailed) << result.message;
  EXPECT_NE(std::string(result.message).find("rolled back to version 1"), std::string::npos)
      << result.message;
  EXPECT_EQ(result.version, 1u);
  BootCheck check = boot_and_check(dir, keys_);
  EXPECT_TRUE(check.valid) << check.why;
  EXPECT_EQ(check.version, 1u);
  EXPECT_EQ(check.confirmed_version, 1u);

  // Signed garbage in place of a model: refused by the runtime's verifier at load, rolled back.
  std::vector<uint8_t> garbage(800, 0x11);
  const auto good = make_test_package(testing::fc_model(-0.5f), 3, kTarget, keys_);
  PackageHeader header;
  ASSERT_EQ(parse_package(good.data(), good.size(), &header, nullptr, 0), Reason::kOk);
  std::vector<uint8_t> input(good.begin() + static_cast<long>(header.golden_input_offset()),
                             good.begin() + static_cast<long>(header.golden_output_offset()));
  std::vector<uint8_t> output(good.begin() + static_cast<long>(header.golden_output_offset()),
                              good.begin() + static_cast<long>(header.signature_offset()));
  result = try_install(dir, make_package(garbage, input, output, 3, kTarget, keys_.secret), keys_);
  EXPECT_EQ(result.reason, Reason::kSelfTestFailed) << result.message;
  EXPECT_NE(std::string(result.message).find("does not load"), std::string::npos) << result.message;
  check = boot_and_check(dir, keys_);
  EXPECT_TRUE(check.valid) << check.why;
  EXPECT_EQ(check.version, 1u);

  // Versions above a failed one still go in.
  result = try_install(dir, good, keys_);
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.version, 3u);
}

}  // namespace
}  // namespace edgeinfer::ota
