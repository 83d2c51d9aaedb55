// Walking a block-sparsity bitmap (edgeinfer/block_sparsity.h) in the kernels that skip zero blocks: only the
// set bits are visited (count trailing zeros), so the cost follows the non-zero blocks rather than the row
// length. Bit b is bit b % 8 of byte b / 8; only the bytes holding the bits asked for are read.
#pragma once

#include <cstdint>
#include <cstring>

#include "edgeinfer/block_sparsity.h"

namespace edgeinfer {

// fn(base + i) for every set bit i of `bits`, lowest first.
template <class Fn>
inline void for_each_set_bit_of(uint32_t bits, int base, Fn&& fn) {
  while (bits != 0) {
    fn(base + __builtin_ctz(bits));
    bits &= bits - 1;
  }
}

// Calls fn(word, base) for the bits [0, count) of the row starting at `bits`, 32 at a time: `word` holds bits
// base to base + 31 (little-endian), those past `count` cleared.
template <class Fn>
inline void for_each_bit_word(const uint8_t* bits, int count, Fn fn) {
  int base = 0;
  for (; base + 32 <= count; base += 32, bits += 4) {
    uint32_t word;
    std::memcpy(&word, bits, sizeof word);
    fn(word, base);
  }
  const int rest = count - base;
  if (rest > 0) {
    uint32_t word = 0;
    for (int k = 0; k < (rest + 7) / 8; ++k) word |= static_cast<uint32_t>(bits[k]) << (8 * k);
    fn(word & ((uint32_t{1} << rest) - 1), base);
  }
}

// Calls fn(i) for every set bit i in [0, count) of the row starting at `bits`, in increasing order.
template <class Fn>
inline void for_each_set_bit(const uint8_t* bits, int count, Fn fn) {
  for_each_bit_word(bits, count, [&](uint32_t word, int base) { for_each_set_bit_of(word, base, fn); });
}

// Calls fn(i) for every set bit i in [0, count) of the bits starting at bit `first` of `bits`, in increasing
// order: 24 bits at a time (a 32-bit window shifted by at most 7), reading only the bytes that hold them.
template <class Fn>
inline void for_each_set_bit_in(const uint8_t* bits, int first, int count, Fn fn) {
  for (int base = 0; base < count; base += 24) {
    const int n = count - base < 24 ? count - base : 24;
    const int bit = first + base;
    const uint8_t* byte = bits + (bit >> 3);
    const int shift = bit & 7;
    uint32_t word = 0;
    for (int k = 0; k < (shift + n + 7) / 8; ++k) word |= static_cast<uint32_t>(byte[k]) << (8 * k);
    for_each_set_bit_of((word >> shift) & ((uint32_t{1} << n) - 1), base, fn);
  }
}

// Calls fn(run, block) for every set bit of a row made of `runs` runs of `run_blocks` blocks each (a CONV_2D
// filter row: one run per kernel position), in order: one pass over the row, the run found by counting.
template <class Fn>
inline void for_each_set_block(const uint8_t* bits, int runs, int run_blocks, Fn fn) {
  int run = 0, run_first = 0;  // the run of the last bit visited, and its first bit
  for_each_set_bit(bits, runs * run_blocks, [&](int bit) {
    while (bit >= run_first + run_blocks) {
      ++run;
      run_first += run_blocks;
    }
    fn(run, bit - run_first);
  });
}

}  // namespace edgeinfer
