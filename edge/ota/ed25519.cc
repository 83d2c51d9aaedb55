#include "edge/ota/ed25519.h"

#include <cstring>

namespace edgeinfer::ota {
namespace {

// ---- GF(p), p = 2^255 - 19 -------------------------------------------------------------------------------
// Value = sum limb[i] * 2^(16 i). Limbs are signed 32-bit and may leave [0, 2^16) between carries (sums and
// differences of two carried elements stay below 2^19); products are accumulated in 64 bits.
struct Fe {
  int32_t limb[16];
};

Fe fe_small(int32_t value) {
  Fe r = {};
  r.limb[0] = value;
  return r;
}

void fe_add(Fe& out, const Fe& a, const Fe& b) {
  for (int i = 0; i < 16; ++i) out.limb[i] = a.limb[i] + b.limb[i];
}

void fe_sub(Fe& out, const Fe& a, const Fe& b) {
  for (int i = 0; i < 16; ++i) out.limb[i] = a.limb[i] - b.limb[i];
}

// One carry pass: limbs into [0, 2^16), the carry out of the top limb folded back as 2^256 = 38 (mod p).
void fe_carry(Fe& a) {
  for (int i = 0; i < 16; ++i) {
    const int32_t carry = a.limb[i] >> 16;  // arithmetic shift: floor division for negative limbs too
    a.limb[i] -= carry * 65536;
    if (i < 15)
      a.limb[i + 1] += carry;
    else
      a.limb[0] += 38 * carry;
  }
}

// A 32 x 32 -> 64-bit product: one SMULL/SMLAL on Cortex-M, not a 64 x 64 multiplication sequence.
inline int64_t wide_product(int32_t a, int32_t b) {
  return static_cast<int64_t>(a) * b;
}

// The 31-limb product folded back to 16 limbs (2^(16 (i + 16)) = 38 * 2^(16 i)) and carried.
void fe_reduce_wide(Fe& out, int64_t t[31]) {
  for (int i = 0; i < 15; ++i) t[i] += 38 * t[i + 16];
  for (int pass = 0; pass < 2; ++pass) {  // in 64 bits: the first pass folds over 2^31 into t[0]
    for (int i = 0; i < 16; ++i) {
      const int64_t carry = t[i] >> 16;
      t[i] -= carry * 65536;
      if (i < 15)
        t[i + 1] += carry;
      else
        t[0] += 38 * carry;
    }
  }
  for (int i = 0; i < 16; ++i) out.limb[i] = static_cast<int32_t>(t[i]);
}

void fe_mul(Fe& out, const Fe& a, const Fe& b) {
  int64_t t[31] = {};
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) t[i + j] += wide_product(a.limb[i], b.limb[j]);
  fe_reduce_wide(out, t);
}

// Each cross product once, doubled: 136 products instead of 256 (squarings are most of the work).
void fe_square(Fe& out, const Fe& a) {
  int64_t t[31] = {};
  for (int i = 0; i < 16; ++i) {
    t[2 * i] += wide_product(a.limb[i], a.limb[i]);
    for (int j = i + 1; j < 16; ++j) t[i + j] += wide_product(2 * a.limb[i], a.limb[j]);
  }
  fe_reduce_wide(out, t);
}

// a^e for e = 2^(top + 1) - 1 with the bits in `cleared` (a zero-terminated list, bit 0 excluded) removed:
// both exponents we need, p - 2 and (p - 5) / 8, have that shape.
void fe_pow_ones(Fe& out, const Fe& a, int top, const int* cleared) {
  Fe c = a;
  for (int bit = top - 1; bit >= 0; --bit) {
    fe_square(c, c);
    bool set = true;
    for (const int* k = cleared; *k != 0; ++k)
      if (*k == bit) set = false;
    if (set) fe_mul(c, c, a);
  }
  out = c;
}

void fe_invert(Fe& out, const Fe& a) {
  static const int kCleared[] = {2, 4, 0};  // p - 2 = 2^255 - 21
  fe_pow_ones(out, a, 254, kCleared);
}

void fe_pow_p58(Fe& out, const Fe& a) {
  static const int kCleared[] = {1, 0};  // (p - 5) / 8 = 2^252 - 3
  fe_pow_ones(out, a, 251, kCleared);
}

// Canonical little-endian bytes (value reduced below p).
void fe_to_bytes(uint8_t out[32], const Fe& a) {
  static const int32_t kP[16] = {0xffed, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
                                 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0x7fff};
  Fe t = a;
  for (int pass = 0; pass < 8; ++pass) {  // two or three passes in practice; stop once every limb fits
    fe_carry(t);
    bool in_range = true;
    for (int i = 0; i < 16; ++i)
      if (t.limb[i] < 0 || t.limb[i] > 0xffff) in_range = false;
    if (in_range) break;
  }
  // Now 0 <= t < 2^256 < 3p: subtract p while it fits.
  for (int round = 0; round < 2; ++round) {
    Fe m;
    int32_t borrow = 0;
    for (int i = 0; i < 16; ++i) {
      m.limb[i] = t.limb[i] - kP[i] - borrow;
      borrow = m.limb[i] < 0 ? 1 : 0;
      if (borrow) m.limb[i] += 65536;
    }
    if (!borrow) t = m;
  }
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = static_cast<uint8_t>(t.limb[i] & 0xff);
    out[2 * i + 1] = static_cast<uint8_t>(t.limb[i] >> 8);
  }
}

// The low 255 bits of `in` (the top bit is the x sign in point encodings).
Fe fe_from_bytes(const uint8_t in[32]) {
  Fe r;
  for (int i = 0; i < 16; ++i) r.limb[i] = in[2 * i] | (int32_t{in[2 * i + 1]} << 8);
  r.limb[15] &= 0x7fff;
  return r;
}

bool fe_equal(const Fe& a, const Fe& b) {
  uint8_t x[32], y[32];
  fe_to_bytes(x, a);
  fe_to_bytes(y, b);
  return std::memcmp(x, y, 32) == 0;
}

bool fe_is_zero(const Fe& a) {
  uint8_t x[32];
  fe_to_bytes(x, a);
  for (uint8_t byte : x)
    if (byte != 0) return false;
  return true;
}

bool fe_is_odd(const Fe& a) {
  uint8_t x[32];
  fe_to_bytes(x, a);
  return (x[0] & 1) != 0;
}

void fe_negate(Fe& out, const Fe& a) {
  fe_sub(out, fe_small(0), a);
}

// ---- The curve -x^2 + y^2 = 1 + d x^2 y^2, extended coordinates (x = X/Z, y = Y/Z, x y = T/Z) -------------
struct Point {
  Fe x, y, z, t;
};

struct Constants {
  Fe d;        // -121665 / 121666
  Fe d2;       // 2 d
  Fe sqrt_m1;  // 2^((p - 1) / 4), a square root of -1
  Point base;  // B: y = 4/5, x even
};

Point point_identity() {
  Point p;
  p.x = fe_small(0);
  p.y = fe_small(1);
  p.z = fe_small(1);
  p.t = fe_small(0);
  return p;
}

// RFC 8032 section 5.1.4 (complete: also right when p == q).
void point_add(Point& r, const Point& p, const Point& q, const Fe& d2) {
  Fe a, b, c, d, e, f, g, h, u, v;
  fe_sub(u, p.y, p.x);
  fe_sub(v, q.y, q.x);
  fe_mul(a, u, v);
  fe_add(u, p.y, p.x);
  fe_add(v, q.y, q.x);
  fe_mul(b, u, v);
  fe_mul(c, p.t, q.t);
  fe_mul(c, c, d2);
  fe_mul(d, p.z, q.z);
  fe_add(d, d, d);
  fe_sub(e, b, a);
  fe_sub(f, d, c);
  fe_add(g, d, c);
  fe_add(h, b, a);
  fe_mul(r.x, e, f);
  fe_mul(r.y, g, h);
  fe_mul(r.t, e, h);
  fe_mul(r.z, f, g);
}

// Section 5.1.4's doubling (four squarings instead of the addition's nine products).
void point_double(Point& r, const Point& p) {
  Fe a, b, c, e, f, g, h, s;
  fe_square(a, p.x);
  fe_square(b, p.y);
  fe_square(c, p.z);
  fe_add(c, c, c);
  fe_add(h, a, b);
  fe_add(s, p.x, p.y);
  fe_square(s, s);
  fe_sub(e, h, s);
  fe_sub(g, a, b);
  fe_add(f, c, g);
  fe_mul(r.x, e, f);
  fe_mul(r.y, g, h);
  fe_mul(r.t, e, h);
  fe_mul(r.z, f, g);
}

void point_encode(uint8_t out[32], const Point& p) {
  Fe zinv, x, y;
  fe_invert(zinv, p.z);
  fe_mul(x, p.x, zinv);
  fe_mul(y, p.y, zinv);
  fe_to_bytes(out, y);
  out[31] |= static_cast<uint8_t>(fe_is_odd(x) ? 0x80 : 0);
}

// Section 5.1.3; false for a non-canonical y (y >= p), a y with no x on the curve, or "-0".
bool point_decode(Point& p, const uint8_t in[32], const Fe& d, const Fe& sqrt_m1) {
  const bool sign = (in[31] >> 7) != 0;
  const Fe y = fe_from_bytes(in);
  uint8_t canonical[32];
  fe_to_bytes(canonical, y);
  for (int i = 0; i < 32; ++i)
    if (canonical[i] != (i == 31 ? (in[31] & 0x7f) : in[i])) return false;

  Fe y2, u, v, v3, v7, t, x, vx2, minus_u;
  fe_square(y2, y);
  fe_sub(u, y2, fe_small(1));
  fe_mul(v, d, y2);
  fe_add(v, v, fe_small(1));
  fe_square(v3, v);
  fe_mul(v3, v3, v);  // v^3
  fe_square(v7, v3);
  fe_mul(v7, v7, v);  // v^7
  fe_mul(t, u, v7);
  fe_pow_p58(t, t);  // (u v^7)^((p - 5) / 8)
  fe_mul(x, u, v3);
  fe_mul(x, x, t);  // candidate root of u / v
  fe_square(vx2, x);
  fe_mul(vx2, vx2, v);
  fe_negate(minus_u, u);
  if (fe_equal(vx2, u)) {
  } else if (fe_equal(vx2, minus_u)) {
    fe_mul(x, x, sqrt_m1);
  } else {
    return false;
  }
  if (fe_is_zero(x) && sign) return false;
  if (fe_is_odd(x) != sign) fe_negate(x, x);
  p.x = x;
  p.y = y;
  p.z = fe_small(1);
  fe_mul(p.t, x, y);
  return true;
}

// [8] P is the identity: P lies in the small (torsion) subgroup.
bool point_has_small_order(const Point& p) {
  Point q = p;
  for (int i = 0; i < 3; ++i) point_double(q, q);
  return fe_is_zero(q.x) && fe_equal(q.y, q.z);
}

// The constants as little-endian bytes, precomputed (they cost about a quarter of a verification to derive):
// d = -121665 / 121666, 2 d, sqrt(-1) = 2^((p - 1) / 4), and B = (x, 4/5) with x even, T = x y. Derived and
// checked against RFC 8032's decimal values with Python's integers; the RFC vectors in the tests cover them.
constexpr uint8_t kD[32] = {0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41,
                            0x41, 0x4d, 0x0a, 0x70, 0x00, 0x98, 0xe8, 0x79, 0x77, 0x79, 0x40,
                            0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52};
constexpr uint8_t kD2[32] = {0x59, 0xf1, 0xb2, 0x26, 0x94, 0x9b, 0xd6, 0xeb, 0x56, 0xb1, 0x83,
                             0x82, 0x9a, 0x14, 0xe0, 0x00, 0x30, 0xd1, 0xf3, 0xee, 0xf2, 0x80,
                             0x8e, 0x19, 0xe7, 0xfc, 0xdf, 0x56, 0xdc, 0xd9, 0x06, 0x24};
constexpr uint8_t kSqrtM1[32] = {0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f,
                                 0xad, 0x06, 0x18, 0x43, 0x2f, 0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00,
                                 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};
constexpr uint8_t kBaseX[32] = {0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25,
                                0x95, 0x60, 0xc7, 0x2c, 0x69, 0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2,
                                0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21};
constexpr uint8_t kBaseY[32] = {0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
                                0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};
constexpr uint8_t kBaseT[32] = {0xa3, 0xdd, 0xb7, 0xa5, 0xb3, 0x8a, 0xde, 0x6d, 0xf5, 0x52, 0x51,
                                0x77, 0x80, 0x9f, 0xf0, 0x20, 0x7d, 0xe3, 0xab, 0x64, 0x8e, 0x4e,
                                0xea, 0x66, 0x65, 0x76, 0x8b, 0xd7, 0x0f, 0x5f, 0x87, 0x67};

void make_constants(Constants& k) {
  k.d = fe_from_bytes(kD);
  k.d2 = fe_from_bytes(kD2);
  k.sqrt_m1 = fe_from_bytes(kSqrtM1);
  k.base.x = fe_from_bytes(kBaseX);
  k.base.y = fe_from_bytes(kBaseY);
  k.base.z = fe_small(1);
  k.base.t = fe_from_bytes(kBaseT);
}

// ---- Scalars modulo L = 2^252 + 27742317777372353535851937790883648493 ----------------------------------
constexpr uint32_t kOrder[8] = {0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de, 0, 0, 0, 0x10000000};

bool scalar_below_order(const uint8_t s[32]) {
  for (int i = 7; i >= 0; --i) {
    const uint32_t word = uint32_t{s[4 * i]} | (uint32_t{s[4 * i + 1]} << 8) |
                          (uint32_t{s[4 * i + 2]} << 16) | (uint32_t{s[4 * i + 3]} << 24);
    if (word != kOrder[i]) return word < kOrder[i];
  }
  return false;  // equal to L
}

// 64 little-endian bytes mod L, by binary long division: 512 shift-and-subtract steps on nine 32-bit words
// (simple over fast: it runs once per verification).
void scalar_reduce(uint8_t out[32], const uint8_t in[64]) {
  uint32_t r[9] = {};
  for (int bit = 511; bit >= 0; --bit) {
    uint32_t carry = (in[bit / 8] >> (bit % 8)) & 1;
    for (int i = 0; i < 9; ++i) {  // r = 2 r + bit
      const uint32_t next = r[i] >> 31;
      r[i] = (r[i] << 1) | carry;
      carry = next;
    }
    bool ge = true;  // r >= L ?
    for (int i = 8; i >= 0; --i) {
      const uint32_t l = i < 8 ? kOrder[i] : 0;
      if (r[i] != l) {
        ge = r[i] > l;
        break;
      }
    }
    if (ge) {
      uint64_t borrow = 0;
      for (int i = 0; i < 9; ++i) {
        const uint64_t l = i < 8 ? kOrder[i] : 0;
        const uint64_t diff = uint64_t{r[i]} - l - borrow;
        r[i] = static_cast<uint32_t>(diff);
        borrow = (diff >> 63) & 1;
      }
    }
  }
  for (int i = 0; i < 8; ++i)
    for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<uint8_t>(r[i] >> (8 * b));
}

bool scalar_bit(const uint8_t s[32], int bit) {
  return ((s[bit / 8] >> (bit % 8)) & 1) != 0;
}

}  // namespace

void Ed25519Verifier::begin(const uint8_t signature[kEd25519SignatureBytes],
                            const uint8_t public_key[kEd25519PublicKeyBytes]) {
  std::memcpy(signature_, signature, sizeof(signature_));
  std::memcpy(public_key_, public_key, sizeof(public_key_));
  hash_.reset();
  hash_.update(signature_, 32);  // R
  hash_.update(public_key_, 32);
}

void Ed25519Verifier::update(const void* data, size_t size) {
  hash_.update(data, size);
}

bool Ed25519Verifier::finish() {
  uint8_t digest[64];
  hash_.finish(digest);
  const uint8_t* r_bytes = signature_;
  const uint8_t* s_bytes = signature_ + 32;
  if (!scalar_below_order(s_bytes)) return false;

  Constants k;
  make_constants(k);
  Point a;
  if (!point_decode(a, public_key_, k.d, k.sqrt_m1) || point_has_small_order(a)) return false;
  Point r;
  if (point_decode(r, r_bytes, k.d, k.sqrt_m1) && point_has_small_order(r)) return false;

  uint8_t h[32];
  scalar_reduce(h, digest);
  // [S] B + [h] (-A), both scalars walked together from the top bit (Straus).
  Point minus_a = a;
  fe_negate(minus_a.x, a.x);
  fe_negate(minus_a.t, a.t);
  Point both;
  point_add(both, k.base, minus_a, k.d2);
  Point q = point_identity();
  for (int bit = 255; bit >= 0; --bit) {
    point_double(q, q);
    const bool s_set = scalar_bit(s_bytes, bit), h_set = scalar_bit(h, bit);
    if (s_set && h_set)
      point_add(q, q, both, k.d2);
    else if (s_set)
      point_add(q, q, k.base, k.d2);
    else if (h_set)
      point_add(q, q, minus_a, k.d2);
  }
  uint8_t encoded[32];
  point_encode(encoded, q);
  return std::memcmp(encoded, r_bytes, 32) == 0;
}

bool ed25519_verify(const uint8_t signature[kEd25519SignatureBytes], const void* message, size_t size,
                    const uint8_t public_key[kEd25519PublicKeyBytes]) {
  Ed25519Verifier verifier;
  verifier.begin(signature, public_key);
  verifier.update(message, size);
  return verifier.finish();
}

}  // namespace edgeinfer::ota
