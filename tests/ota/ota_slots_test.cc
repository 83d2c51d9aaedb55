// The slot logic (edge/ota/slots.h) over in-memory storage with a scripted runner: healthy-run counting,
// unhealthy rollback, a pending update, slot capacity, the two state copies.
#include "edge/ota/slots.h"
#include "tests/ota/ota_test_support.h"

namespace edgeinfer::ota {
namespace {

using testing::Keys;
using testing::MemoryStorage;
using testing::ScriptedRunner;

class OtaSlots : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    keys_ = testing::make_keys();
    v1_ = testing::make_test_package(testing::fc_model(0.25f), 1, "gw", keys_);
    v2_ = testing::make_test_package(testing::fc_model(-0.5f), 2, "gw", keys_);
    config_.public_key = keys_.pub.data();
    config_.target = "gw";
  }
  InstallResult install(SlotManager& slots, const std::vector<uint8_t>& package, ScriptedRunner& runner) {
    return slots.install(package.data(), package.size(), config_, runner);
  }
  Keys keys_;
  std::vector<uint8_t> v1_, v2_;
  InstallConfig config_;
};

TEST_F(OtaSlots, SelfTestAndEveryHealthyRunBeforeConfirm) {
  MemoryStorage storage;
  SlotManager slots(storage);
  ASSERT_EQ(slots.boot(nullptr, 0), Reason::kOk);
  EXPECT_FALSE(slots.has_model());
  config_.healthy_runs = 5;
  ScriptedRunner runner;
  const InstallResult result = install(slots, v1_, runner);
  ASSERT_TRUE(result.ok) << result.message;
  EXPECT_EQ(runner.loads, 1);
  EXPECT_EQ(runner.runs, 6);  // the self-test and 5 healthy runs
  EXPECT_EQ(slots.state().healthy_runs, 5u);
  EXPECT_EQ(slots.running_slot(), 0);
  EXPECT_EQ(slots.state().confirmed_version, 1u);
  EXPECT_EQ(slots.state().seq, 2u);  // pending, then confirmed
}

TEST_F(OtaSlots, AFailedHealthyRunRollsBack) {
  MemoryStorage storage;
  SlotManager slots(storage);
  ASSERT_EQ(slots.boot(nullptr, 0), Reason::kOk);
  ScriptedRunner ok_runner;
  ASSERT_TRUE(install(slots, v1_, ok_runner).ok);
  ScriptedRunner flaky(2);  // self-test passes, the second healthy run fails
  const InstallResult result = install(slots, v2_, flaky);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, Reason::kUnhealthy);
  EXPECT_EQ(result.version, 1u);
  EXPECT_EQ(flaky.runs, 3);
  EXPECT_EQ(slots.running_slot(), 0);
  EXPECT_FALSE(slots.state().pending);
  EXPECT_EQ(slots.state().confirmed_version, 1u);
}

TEST_F(OtaSlots, FailedFirstInstallLeavesNoModel) {
  MemoryStorage storage;
  SlotManager slots(storage);
  ASSERT_EQ(slots.boot(nullptr, 0), Reason::kOk);
  ScriptedRunner broken(0);
  const InstallResult result = install(slots, v1_, broken);
  EXPECT_EQ(result.reason, Reason::kSelfTestFailed);
  EXPECT_EQ(result.version, 0u);
  EXPECT_FALSE(slots.has_model());
}

TEST_F(OtaSlots, PendingUpdateIsBusyUntilBootRollsItBack) {
  MemoryStorage storage;
  SlotManager slots(storage);
  ASSERT_EQ(slots.boot(nullptr, 0), Reason::kOk);
  ScriptedRunner runner;
  ASSERT_TRUE(install(slots, v1_, runner).ok);
  ASSERT_EQ(slots.switch_pending(1, 2, nullptr, 0), Reason::kOk);
  EXPECT_EQ(install(slots, v2_, runner).reason, Reason::kBusy);
  SlotManager rebooted(storage);
  char message[kMessageBytes];
  ASSERT_EQ(rebooted.boot(message, sizeof(message)), Reason::kOk);
  EXPECT_STREQ(message, "update to version 2 was never confirmed: rolled back");
  EXPECT_EQ(rebooted.running_version(), 1u);
  EXPECT_FALSE(rebooted.state().pending);
  EXPECT_TRUE(install(rebooted, v2_, runner).ok);
  EXPECT_EQ(rebooted.running_slot(), 1);
}

TEST_F(OtaSlots, TooLargeForTheSlotIsRefusedBeforeAnyWrite) {
  MemoryStorage storage(256);  // model regions of 256 bytes
  SlotManager slots(storage);
  ASSERT_EQ(slots.boot(nullptr, 0), Reason::kOk);
  ScriptedRunner runner;
  const InstallResult result = install(slots, v1_, runner);
  EXPECT_EQ(result.reason, Reason::kTooLarge) << result.message;
  EXPECT_EQ(storage.writes, 0);
}

// Copies alternate; a corrupted newest copy makes boot fall back to the older one.
TEST_F(OtaSlots, BootTakesTheValidCopyWithTheHigherSeq) {
  MemoryStorage storage;
  SlotManager slots(storage);
  ASSERT_EQ(slots.boot(nullptr, 0), Reason::kOk);
  ScriptedRunner runner;
  ASSERT_TRUE(install(slots, v1_, runner).ok);  // seq 1 -> copy 1, seq 2 -> copy 0
  ASSERT_TRUE(install(slots, v2_, runner).ok);  // seq 3 -> copy 1 (pending), seq 4 -> copy 0 (confirmed)
  OtaState copy0, copy1;
  ASSERT_TRUE(decode_state(storage.regions[static_cast<int>(Region::kState0)].data(), &copy0));
  ASSERT_TRUE(decode_state(storage.regions[static_cast<int>(Region::kState1)].data(), &copy1));
  EXPECT_EQ(copy0.seq, 4u);
  EXPECT_EQ(copy1.seq, 3u);
  EXPECT_TRUE(copy1.pending);
  SlotManager intact(storage);
  ASSERT_EQ(intact.boot(nullptr, 0), Reason::kOk);
  EXPECT_EQ(intact.running_version(), 2u);
  storage.regions[static_cast<int>(Region::kState0)][20] ^= 0x04;  // newest copy damaged
  SlotManager fallback(storage);
  ASSERT_EQ(fallback.boot(nullptr, 0), Reason::kOk);  // copy 1: version 2 pending -> rolled back to 1
  EXPECT_EQ(fallback.running_version(), 1u);
  EXPECT_EQ(fallback.state().seq, 4u);  // the rollback was written with the next seq over copy 1's
}

}  // namespace
}  // namespace edgeinfer::ota
