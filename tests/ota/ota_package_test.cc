// The package parser and verifier (edge/ota/package.h) and the state record (edge/ota/slots.h): every
// field check, every truncation, and random mutations (never a crash, never accepted).
#include <cstring>
#include <map>
#include <random>

#include "edge/ota/package.h"
#include "edge/ota/slots.h"
#include "tests/ota/ota_test_support.h"

namespace edgeinfer::ota {
namespace {

using testing::Keys;
using testing::make_keys;
using testing::make_test_package;

class OtaPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    keys_ = make_keys();
    model_ = testing::fc_model(0.25f);
    package_ = make_test_package(model_, 7, "gw-x86", keys_);
    ASSERT_FALSE(package_.empty());
  }
  Reason verify(const std::vector<uint8_t>& bytes, PackageHeader* header = nullptr) {
    PackageHeader scratch;
    char message[kMessageBytes];
    return verify_package(bytes.data(), bytes.size(), keys_.pub.data(), header ? header : &scratch, message,
                          sizeof(message));
  }
  Keys keys_;
  std::vector<uint8_t> model_, package_;
};

TEST_F(OtaPackage, ValidPackageVerifiesWithItsFields) {
  PackageHeader header;
  ASSERT_EQ(verify(package_, &header), Reason::kOk);
  EXPECT_EQ(header.model_version, 7u);
  EXPECT_STREQ(header.target, "gw-x86");
  EXPECT_EQ(header.payload_bytes, model_.size());
  EXPECT_EQ(header.golden_input_bytes, 16u);   // 4 floats
  EXPECT_EQ(header.golden_output_bytes, 12u);  // 3 floats
  EXPECT_EQ(package_.size(), 160 + model_.size() + 16 + 12);
  EXPECT_EQ(0, std::memcmp(package_.data(), "EIOTA\0\0\0", 8));
  EXPECT_EQ(0, std::memcmp(package_.data() + 96, model_.data(), model_.size()));
}

TEST_F(OtaPackage, EveryTruncationIsRefusedAsTruncated) {
  for (size_t length = 0; length < package_.size(); ++length) {
    std::vector<uint8_t> cut(package_.begin(), package_.begin() + length);
    ASSERT_EQ(verify(cut), Reason::kTruncated) << length << " bytes";
  }
  auto longer = package_;
  longer.push_back(0);
  EXPECT_EQ(verify(longer), Reason::kTrailingBytes);
}

TEST_F(OtaPackage, EachHeaderFieldIsChecked) {
  const auto with = [&](size_t offset, std::vector<uint8_t> bytes) {
    auto p = package_;
    std::memcpy(p.data() + offset, bytes.data(), bytes.size());
    return verify(p);
  };
  EXPECT_EQ(with(0, {'X'}), Reason::kBadMagic);
  EXPECT_EQ(with(5, {1}), Reason::kBadMagic);
  EXPECT_EQ(with(8, {2}), Reason::kUnsupportedFormat);
  EXPECT_EQ(with(16, {'g', 'w', ' '}), Reason::kBadHeader);              // space: not a target character
  EXPECT_EQ(with(16, {0}), Reason::kBadHeader);                          // empty name
  EXPECT_EQ(with(40, {'z'}), Reason::kBadHeader);                        // junk after the name's NUL
  EXPECT_EQ(with(48, {0, 0, 0, 0}), Reason::kBadHeader);                 // empty payload
  EXPECT_EQ(with(48, {0, 0, 0, 0x10}), Reason::kBadHeader);              // 256 MiB payload
  EXPECT_EQ(with(52, {0, 0, 0, 0}), Reason::kBadHeader);                 // no golden input
  EXPECT_EQ(with(56, {0, 0, 0, 0}), Reason::kBadHeader);                 // no golden output
  EXPECT_EQ(with(60, {1}), Reason::kBadHeader);                          // reserved
  EXPECT_EQ(with(48, {0xff, 0xff, 0xff, 0x03}), Reason::kTruncated);     // claims more payload than there is
  EXPECT_EQ(with(12, {8}), Reason::kBadSignature);                       // version changed after signing
  EXPECT_EQ(with(64, {0}), Reason::kHashMismatch);                       // hash field changed
  EXPECT_EQ(with(96 + 40, {0x5a}), Reason::kHashMismatch);               // payload changed
  EXPECT_EQ(with(package_.size() - 70, {0x5a}), Reason::kBadSignature);  // golden output changed
  EXPECT_EQ(with(package_.size() - 1, {0x5a}), Reason::kBadSignature);   // signature changed
}

TEST_F(OtaPackage, AnotherKeyIsRefused) {
  const Keys other = make_keys();
  const auto foreign = make_test_package(model_, 7, "gw-x86", other);
  EXPECT_EQ(verify(foreign), Reason::kBadSignature);
}

// Random mutations of a valid package (byte flips, overwrites with boundary values, insertions, deletions,
// truncations, size fields): the parser never crashes (the sanitizer build checks memory) and nothing
// mutated ever verifies.
TEST_F(OtaPackage, RandomMutationsAreRefusedNeverCrash) {
  std::mt19937 rng(1111);
  std::map<std::string, int> by_reason;
  const uint8_t kBoundary[] = {0, 1, 0x7f, 0x80, 0xfe, 0xff};
  int tried = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    auto p = package_;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !p.empty(); ++e) {
      const size_t at = rng() % p.size();
      switch (rng() % 6) {
        case 0: p[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: p[at] = kBoundary[rng() % sizeof(kBoundary)]; break;
        case 2: p.insert(p.begin() + static_cast<long>(at), static_cast<uint8_t>(rng())); break;
        case 3: p.erase(p.begin() + static_cast<long>(at)); break;
        case 4: p.resize(at); break;
        case 5: {  // a size field (payload, golden in, golden out) set to something random
          const size_t field = 48 + 4 * (rng() % 3);
          if (p.size() >= field + 4) {
            const uint32_t v = rng() % 4 == 0 ? rng() : rng() % 4096;
            for (int i = 0; i < 4; ++i) p[field + i] = static_cast<uint8_t>(v >> (8 * i));
          }
          break;
        }
      }
    }
    if (p == package_) continue;
    ++tried;
    const Reason reason = verify(p);
    ASSERT_NE(reason, Reason::kOk) << "trial " << trial;
    ++by_reason[reason_name(reason)];
  }
  std::string figures;
  for (const auto& [name, count] : by_reason) figures += " " + name + "=" + std::to_string(count);
  std::printf("[ FIGURE   ] %d mutated packages, all refused:%s\n", tried, figures.c_str());
  EXPECT_GT(tried, 19000);
  EXPECT_GT(by_reason["truncated"], 0);
  EXPECT_GT(by_reason["bad_signature"], 0);
  EXPECT_GT(by_reason["hash_mismatch"], 0);
}

// Pure noise and short inputs at the header parser.
TEST_F(OtaPackage, RandomBytesAreRefused) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<uint8_t> noise(rng() % 300);
    for (auto& b : noise) b = static_cast<uint8_t>(rng());
    if (trial % 2 && noise.size() >= 8) std::memcpy(noise.data(), kPackageMagic, 8);  // get past the magic
    ASSERT_NE(verify(noise), Reason::kOk);
  }
}

TEST(OtaState, RecordRoundTripsAndEveryBitFlipIsCaught) {
  EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);  // the CRC-32/IEEE check value
  OtaState state;
  state.seq = 41;
  state.active_slot = 1;
  state.confirmed_slot = 0;
  state.pending = true;
  state.active_version = 9;
  state.confirmed_version = 8;
  state.healthy_runs = 3;
  uint8_t bytes[kStateRecordBytes];
  encode_state(state, bytes);
  OtaState back;
  ASSERT_TRUE(decode_state(bytes, &back));
  EXPECT_EQ(back.seq, 41u);
  EXPECT_EQ(back.active_slot, 1);
  EXPECT_EQ(back.confirmed_slot, 0);
  EXPECT_TRUE(back.pending);
  EXPECT_EQ(back.active_version, 9u);
  EXPECT_EQ(back.confirmed_version, 8u);
  EXPECT_EQ(back.healthy_runs, 3u);
  for (size_t bit = 0; bit < kStateRecordBytes * 8; ++bit) {
    uint8_t flipped[kStateRecordBytes];
    std::memcpy(flipped, bytes, sizeof(flipped));
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(decode_state(flipped, &back)) << "bit " << bit;
  }
  uint8_t torn[kStateRecordBytes] = {};
  std::memcpy(torn, bytes, kStateRecordBytes / 2);  // a write cut halfway
  EXPECT_FALSE(decode_state(torn, &back));
}

}  // namespace
}  // namespace edgeinfer::ota
