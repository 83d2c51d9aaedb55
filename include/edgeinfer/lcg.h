// The deterministic input generator every EdgeInfer test, tool and firmware image uses (`--fill lcg:SEED`):
// a 32-bit LCG x = x * 1664525 + 1013904223, restarted at x = SEED for each input tensor; for each element,
// step first, then convert: int8 (x >> 24), uint8 (x >> 24), int16 (x >> 16), int32 x,
// float32 ((x >> 8) / 2^24) * 2 - 1.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer {

inline uint32_t lcg_next(uint32_t x) { return x * 1664525u + 1013904223u; }

// Fills `tensor` (its data must be writable) from `seed`. Fails for element types the generator does not
// define.
Status fill_lcg(const Tensor& tensor, uint32_t seed);

}  // namespace edgeinfer
