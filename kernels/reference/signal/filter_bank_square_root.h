// SignalFilterBankSquareRoot: rounded square root of each uint64 filter bank channel, shifted right by
// scale_bits, as uint32 (bit-exact with TFLM's FilterbankSqrt).
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

// scale_bits in [0, 31].
void filter_bank_sqrt(const uint64_t* input, int32_t count, int32_t scale_bits, uint32_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
