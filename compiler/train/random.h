// The trainer's random numbers: std::mt19937_64, whose output sequence the C++ standard fixes, with the
// distributions written here (the standard library's distributions differ between implementations), so a
// seed gives the same initial weights, dropout masks and sample order everywhere.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace edgeinfer::compiler::train {

// Independent streams from one user seed (SplitMix64 of seed and stream number): parameter initialisation,
// dropout and shuffling each get their own, so changing one does not shift the others.
inline uint64_t derive_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

enum SeedStream : uint64_t { kInitStream = 1, kDropoutStream = 2, kShuffleStream = 3 };

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : engine_(seed) {}
  void reseed(uint64_t seed) { engine_.seed(seed); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Uniform in [-limit, limit).
  double symmetric(double limit) { return (2.0 * uniform() - 1.0) * limit; }
  // Uniform integer in [0, n), n >= 1, without modulo bias (rejection of the short top range).
  uint64_t below(uint64_t n) {
    const uint64_t reject_from = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = engine_();
    } while (x >= reject_from);
    return x % n;
  }
  // Fisher-Yates shuffle (std::shuffle's algorithm is unspecified).
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace edgeinfer::compiler::train
