// SignalFilterBankLog: scaled natural log of filter bank energies, as int16 saturated at 32767 (0 for
// energies that are 0 or 1 after the input correction shift), bit-exact with TFLM's FilterbankLog.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace reference {
namespace signal {

// correction_bits in [0, 31]; output_scale is reinterpreted as uint32 as TFLM does.
void filter_bank_log_apply(const uint32_t* input, int32_t count, int32_t output_scale,
                           int32_t correction_bits, int16_t* output);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
