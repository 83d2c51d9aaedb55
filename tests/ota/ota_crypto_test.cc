// The freestanding SHA-256, SHA-512 and Ed25519 verifier (edge/ota/) against libsodium on random inputs and
// against the RFC 8032 / FIPS 180 known answers.
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "edge/ota/ed25519.h"
#include "edge/ota/sha2.h"
#include "gtest/gtest.h"

namespace edgeinfer::ota {
namespace {

std::vector<uint8_t> hex(const std::string& text) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < text.size(); i += 2) bytes.push_back(std::stoi(text.substr(i, 2), nullptr, 16));
  return bytes;
}

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t size) {
  std::vector<uint8_t> bytes(size);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

class OtaCrypto : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(sodium_init(), 0); }
};

TEST_F(OtaCrypto, ShaKnownAnswers) {
  uint8_t d256[32], d512[64];
  sha256("abc", 3, d256);
  EXPECT_EQ(std::vector<uint8_t>(d256, d256 + 32),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  sha256("", 0, d256);
  EXPECT_EQ(std::vector<uint8_t>(d256, d256 + 32),
            hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  sha512("abc", 3, d512);
  EXPECT_EQ(
      std::vector<uint8_t>(d512, d512 + 64),
      hex("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
          "454d4423643ce80e2a9ac94fa54ca49f"));
}

// Every length from 0 to 300 (all padding cases of both block sizes) and longer random ones, fed in random
// pieces, against libsodium.
TEST_F(OtaCrypto, ShaMatchesLibsodiumOnRandomLengthsAndSplits) {
  std::mt19937 rng(11);
  for (size_t n = 0; n < 400; ++n) {
    const size_t size = n <= 300 ? n : rng() % 5000;
    const auto data = random_bytes(rng, size);
    Sha256 h256;
    Sha512 h512;
    size_t at = 0;
    while (at < size) {
      const size_t piece = std::min<size_t>(size - at, 1 + rng() % 200);
      h256.update(data.data() + at, piece);
      h512.update(data.data() + at, piece);
      at += piece;
    }
    uint8_t mine256[32], mine512[64], ref256[32], ref512[64];
    h256.finish(mine256);
    h512.finish(mine512);
    crypto_hash_sha256(ref256, data.data(), size);
    crypto_hash_sha512(ref512, data.data(), size);
    ASSERT_EQ(0, std::memcmp(mine256, ref256, 32)) << "sha256, " << size << " bytes";
    ASSERT_EQ(0, std::memcmp(mine512, ref512, 64)) << "sha512, " << size << " bytes";
  }
}

struct Rfc8032Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 section 7.1: TEST 1, 2, 3 and SHA(abc).
const Rfc8032Vector kVectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f"
     "0595b"
     "be24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2ea"
     "eb430"
     "2aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e"
     "9716e"
     "d28dc027beceea1ec40a"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d442"
     "3643ce8"
     "0e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179"
     "c138a"
     "c17ad9bef1177331a704"},
};

TEST_F(OtaCrypto, Ed25519Rfc8032Vectors) {
  for (const auto& v : kVectors) {
    const auto seed = hex(v.seed), pub = hex(v.public_key), msg = hex(v.message), sig = hex(v.signature);
    // The vectors are what libsodium makes from the seed (signatures are deterministic).
    uint8_t pk[32], sk[64], made[64];
    crypto_sign_seed_keypair(pk, sk, seed.data());
    ASSERT_EQ(std::vector<uint8_t>(pk, pk + 32), pub);
    crypto_sign_detached(made, nullptr, msg.data(), msg.size(), sk);
    ASSERT_EQ(std::vector<uint8_t>(made, made + 64), sig);
    EXPECT_TRUE(ed25519_verify(sig.data(), msg.data(), msg.size(), pub.data()));
    auto bad = sig;
    bad[5] ^= 0x10;
    EXPECT_FALSE(ed25519_verify(bad.data(), msg.data(), msg.size(), pub.data()));
  }
}

// Sign with libsodium, verify with ours: valid ones pass, and after one flipped bit in the message, the
// signature or the key, ours says exactly what libsodium says (which is "invalid" in practice).
TEST_F(OtaCrypto, Ed25519AgreesWithLibsodiumOnRandomKeysAndMessages) {
  std::mt19937 rng(8032);
  int valid = 0, refused_tampered = 0;
  for (int trial = 0; trial < 300; ++trial) {
    uint8_t pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    auto msg = random_bytes(rng, rng() % 3000);
    crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
    ASSERT_TRUE(ed25519_verify(sig, msg.data(), msg.size(), pk)) << "trial " << trial;
    ++valid;
    for (int what = 0; what < 3; ++what) {
      auto m = msg;
      uint8_t s[64], k[32];
      std::memcpy(s, sig, 64);
      std::memcpy(k, pk, 32);
      if (what == 0 && !m.empty()) m[rng() % m.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      if (what == 0 && m.empty()) m.push_back(0);
      if (what == 1) s[rng() % 64] ^= static_cast<uint8_t>(1u << (rng() % 8));
      if (what == 2) k[rng() % 32] ^= static_cast<uint8_t>(1u << (rng() % 8));
      const bool ref = crypto_sign_verify_detached(s, m.data(), m.size(), k) == 0;
      const bool mine = ed25519_verify(s, m.data(), m.size(), k);
      ASSERT_EQ(mine, ref) << "trial " << trial << " tamper " << what;
      if (!mine) ++refused_tampered;
    }
  }
  EXPECT_EQ(valid, 300);
  EXPECT_EQ(refused_tampered, 900);
}

// S + L is the same scalar mod L but not canonical: both refuse it (malleability).
TEST_F(OtaCrypto, Ed25519RefusesNonCanonicalS) {
  uint8_t pk[32], sk[64], sig[64];
  crypto_sign_keypair(pk, sk);
  const uint8_t msg[] = {1, 2, 3};
  crypto_sign_detached(sig, nullptr, msg, sizeof(msg), sk);
  const auto order = hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  int carry = 0;
  for (int i = 0; i < 32; ++i) {
    const int sum = sig[32 + i] + order[i] + carry;
    sig[32 + i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  EXPECT_NE(crypto_sign_verify_detached(sig, msg, sizeof(msg), pk), 0);
  EXPECT_FALSE(ed25519_verify(sig, msg, sizeof(msg), pk));
}

// A small-order public key (the identity, y = 1) and an all-zero signature: the classic forgery that
// verifies for every message when small-order keys are not refused.
TEST_F(OtaCrypto, Ed25519RefusesSmallOrderKey) {
  uint8_t identity[32] = {1};
  uint8_t sig[64] = {1};  // R = identity, S = 0
  const uint8_t msg[] = {42};
  EXPECT_NE(crypto_sign_verify_detached(sig, msg, 1, identity), 0);
  EXPECT_FALSE(ed25519_verify(sig, msg, 1, identity));
}

TEST_F(OtaCrypto, Ed25519SpeedOnTheHost) {
  uint8_t pk[32], sk[64], sig[64];
  crypto_sign_keypair(pk, sk);
  std::vector<uint8_t> msg(1024, 7);
  crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
  // The best of 5 rounds of 20: the build host is shared, the minimum is the least disturbed figure.
  const int runs = 20;
  double mine = 1e30, ref = 1e30;
  int ok = 0;
  for (int round = 0; round < 5; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) ok += ed25519_verify(sig, msg.data(), msg.size(), pk);
    mine = std::min(
        mine, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < runs; ++i) ok += crypto_sign_verify_detached(sig, msg.data(), msg.size(), pk) == 0;
    ref = std::min(
        ref, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  EXPECT_EQ(ok, 2 * 5 * runs);
  std::printf("[ FIGURE   ] ed25519 verify (1 KiB message): ours %.2f ms, libsodium %.3f ms per signature\n",
              mine / runs, ref / runs);
  EXPECT_LT(mine / runs, 100.0);  // a slow host still verifies a package in well under a second
}

}  // namespace
}  // namespace edgeinfer::ota
