#include "edge/ota/sha2.h"

#include <cstring>

namespace edgeinfer::ota {
namespace {

// FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64
// primes.
constexpr uint32_t kK256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// Section 4.2.3: the first 64 bits of the fractional parts of the cube roots of the first 80 primes.
constexpr uint64_t kK512[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc, 0x3956c25bf348b538,
    0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118, 0xd807aa98a3030242, 0x12835b0145706fbe,
    0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2, 0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235,
    0xc19bf174cf692694, 0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5, 0x983e5152ee66dfab,
    0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4, 0xc6e00bf33da88fc2, 0xd5a79147930aa725,
    0x06ca6351e003826f, 0x142929670a0e6e70, 0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df, 0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30, 0xd192e819d6ef5218,
    0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8, 0x19a4c116b8d2d0c8, 0x1e376c085141ab53,
    0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8, 0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3, 0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b, 0xca273eceea26619c,
    0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178, 0x06f067aa72176fba, 0x0a637dc5a2c898a6,
    0x113f9804bef90dae, 0x1b710b35131c471b, 0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c, 0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817};

// What differs between the two besides the sizes: constants and rotation amounts (sections 4.1.2-4.1.3).
template <typename Params>
struct Constants;

template <>
struct Constants<Sha256Params> {
  static constexpr const uint32_t* k = kK256;
  // Section 5.3.3: square roots of the first 8 primes.
  static constexpr uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  static constexpr int big_sigma0[3] = {2, 13, 22}, big_sigma1[3] = {6, 11, 25};
  static constexpr int small_sigma0[3] = {7, 18, 3}, small_sigma1[3] = {17, 19, 10};  // rotr, rotr, shr
};

template <>
struct Constants<Sha512Params> {
  static constexpr const uint64_t* k = kK512;
  // Section 5.3.5: square roots of the first 8 primes, 64 bits.
  static constexpr uint64_t initial[8] = {0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b,
                                          0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f,
                                          0x1f83d9abfb41bd6b, 0x5be0cd19137e2179};
  static constexpr int big_sigma0[3] = {28, 34, 39}, big_sigma1[3] = {14, 18, 41};
  static constexpr int small_sigma0[3] = {1, 8, 7}, small_sigma1[3] = {19, 61, 6};
};

template <typename Word>
inline Word rotr(Word x, int n) {
  return (x >> n) | (x << (8 * sizeof(Word) - n));
}
template <typename Word>
inline Word big_sigma(Word x, const int (&r)[3]) {
  return rotr(x, r[0]) ^ rotr(x, r[1]) ^ rotr(x, r[2]);
}
template <typename Word>
inline Word small_sigma(Word x, const int (&r)[3]) {
  return rotr(x, r[0]) ^ rotr(x, r[1]) ^ (x >> r[2]);
}

template <typename Word>
inline Word load_be(const uint8_t* p) {
  Word v = 0;
  for (size_t i = 0; i < sizeof(Word); ++i) v = (v << 8) | p[i];
  return v;
}
template <typename Word>
inline void store_be(uint8_t* p, Word v) {
  for (size_t i = 0; i < sizeof(Word); ++i) p[i] = static_cast<uint8_t>(v >> (8 * (sizeof(Word) - 1 - i)));
}

}  // namespace

template <typename Params>
void Sha2<Params>::reset() {
  std::memcpy(state_, Constants<Params>::initial, sizeof(state_));
  block_used_ = 0;
  total_bytes_ = 0;
}

template <typename Params>
void Sha2<Params>::compress(const uint8_t* block) {
  using C = Constants<Params>;
  Word w[Params::kRounds];
  for (int t = 0; t < 16; ++t) w[t] = load_be<Word>(block + sizeof(Word) * t);
  for (int t = 16; t < Params::kRounds; ++t)
    w[t] = w[t - 16] + small_sigma(w[t - 15], C::small_sigma0) + w[t - 7] +
           small_sigma(w[t - 2], C::small_sigma1);
  Word a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  Word e = state_[4], f = state_[5], g = state_[6], h = state_[7];
  for (int t = 0; t < Params::kRounds; ++t) {
    const Word choose = (e & f) ^ (~e & g);
    const Word t1 = h + big_sigma(e, C::big_sigma1) + choose + C::k[t] + w[t];
    const Word majority = (a & b) ^ (a & c) ^ (b & c);
    const Word t2 = big_sigma(a, C::big_sigma0) + majority;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state_[0] += a, state_[1] += b, state_[2] += c, state_[3] += d;
  state_[4] += e, state_[5] += f, state_[6] += g, state_[7] += h;
}

template <typename Params>
void Sha2<Params>::update(const void* data, size_t size) {
  constexpr size_t kBlock = Params::kBlockBytes;
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  total_bytes_ += size;
  while (size > 0) {
    if (block_used_ == 0 && size >= kBlock) {  // whole blocks straight from the input
      compress(bytes);
      bytes += kBlock;
      size -= kBlock;
      continue;
    }
    size_t take = kBlock - block_used_;
    if (take > size) take = size;
    std::memcpy(block_ + block_used_, bytes, take);
    block_used_ += take;
    bytes += take;
    size -= take;
    if (block_used_ == kBlock) {
      compress(block_);
      block_used_ = 0;
    }
  }
}

template <typename Params>
void Sha2<Params>::finish(uint8_t digest[kDigestBytes]) {
  constexpr size_t kBlock = Params::kBlockBytes;
  constexpr size_t kLengthField = 2 * sizeof(Word);  // 64 bits for SHA-256, 128 for SHA-512
  const uint64_t bits = total_bytes_ * 8;
  block_[block_used_++] = 0x80;
  if (block_used_ > kBlock - kLengthField) {
    std::memset(block_ + block_used_, 0, kBlock - block_used_);
    compress(block_);
    block_used_ = 0;
  }
  std::memset(block_ + block_used_, 0, kBlock - 8 - block_used_);  // includes SHA-512's zero high word
  store_be<uint64_t>(block_ + kBlock - 8, bits);
  compress(block_);
  for (size_t i = 0; i < kDigestBytes / sizeof(Word); ++i)
    store_be<Word>(digest + sizeof(Word) * i, state_[i]);
  reset();
}

template class Sha2<Sha256Params>;
template class Sha2<Sha512Params>;

void sha256(const void* data, size_t size, uint8_t digest[Sha256::kDigestBytes]) {
  Sha256 hash;
  hash.update(data, size);
  hash.finish(digest);
}

void sha512(const void* data, size_t size, uint8_t digest[Sha512::kDigestBytes]) {
  Sha512 hash;
  hash.update(data, size);
  hash.finish(digest);
}

}  // namespace edgeinfer::ota
