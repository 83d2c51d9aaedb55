// Test helpers of the elementwise kernel tests beyond tests/support/single_op.h: broadcast descriptions and
// random broadcast shapes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/common/broadcast.h"
#include "tests/support/single_op.h"

namespace edgeinfer::testing {

// The iteration over inputs of shapes `a` and `b` broadcast to `out` (which must be valid).
inline BinaryBroadcast broadcast_of(const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                                    const std::vector<int32_t>& out) {
  BinaryBroadcast desc;
  EXPECT_TRUE(init_binary_broadcast(make_shape(a), make_shape(b), make_shape(out), &desc));
  return desc;
}

// Random output shape (rank 0..max_rank, dims 1..max_dim) and two inputs broadcasting to it: suffixes of
// it with some dimensions set to 1.
struct BroadcastCase {
  std::vector<int32_t> input1;
  std::vector<int32_t> input2;
  std::vector<int32_t> output;
};

inline BroadcastCase random_broadcast_case(std::mt19937& rng, int max_rank = 6, int max_dim = 4) {
  BroadcastCase c;
  const int rank = static_cast<int>(rng() % (max_rank + 1));
  for (int i = 0; i < rank; ++i) c.output.push_back(1 + static_cast<int32_t>(rng() % max_dim));
  for (std::vector<int32_t>* input : {&c.input1, &c.input2}) {
    const int input_rank = static_cast<int>(rng() % (rank + 1));
    for (int i = rank - input_rank; i < rank; ++i) input->push_back(rng() % 3 == 0 ? 1 : c.output[i]);
  }
  // The broadcast of the two may be smaller than `output` where both got a 1 or are too short.
  std::vector<int32_t> actual(rank, 1);
  for (const std::vector<int32_t>* input : {&c.input1, &c.input2})
    for (size_t i = 0; i < input->size(); ++i) {
      const size_t at = rank - input->size() + i;
      if ((*input)[i] != 1) actual[at] = (*input)[i];
    }
  // Drop leading dims neither input has (broadcast rank is the larger input rank).
  const size_t out_rank = std::max(c.input1.size(), c.input2.size());
  c.output.assign(actual.end() - out_rank, actual.end());
  return c;
}

// Inputs of `c`'s shapes with random values over T's whole range, and the output bytes `pure(broadcast, x, y,
// out)` computes from them: what a kernel must give to match its pure function.
struct PureFunctionCase {
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<uint8_t> expected;
};

template <class T, class Pure>
PureFunctionCase pure_function_case(std::mt19937& rng, const BroadcastCase& c, Pure pure) {
  const BinaryBroadcast b = broadcast_of(c.input1, c.input2, c.output);
  constexpr int64_t kMin = std::numeric_limits<T>::min();
  constexpr int64_t kMax = std::numeric_limits<T>::max();
  const auto x = random_ints<T>(rng, element_count(c.input1), kMin, kMax);
  const auto y = random_ints<T>(rng, element_count(c.input2), kMin, kMax);
  std::vector<T> out(element_count(c.output));
  pure(b, x.data(), y.data(), out.data());
  return {{bytes_of(x), bytes_of(y)}, bytes_of(out)};
}

}  // namespace edgeinfer::testing
