// SignalFilterBank: accumulates a power spectrum (uint32) into mel-style triangular filter bank channels
// (uint64), bit-exact with TFLM's FilterbankAccumulateChannels. Each spectrum bin contributes weight * bin
// to its channel and unweight * bin to the next one; the channel tables have num_channels + 1 entries, the
// first of which only collects the unweighted part of channel 0 and is dropped.
#pragma once

#include <cstdint>

#include "edgeinfer/status.h"

namespace edgeinfer {
namespace reference {
namespace signal {

struct FilterBankTables {
  int32_t num_channels = 0;
  const int16_t* weights = nullptr;
  const int16_t* unweights = nullptr;
  const int16_t* channel_frequency_starts = nullptr;  // num_channels + 1 entries each
  const int16_t* channel_weight_starts = nullptr;
  const int16_t* channel_widths = nullptr;
};

// Checks that every channel's bins lie within `spectrum_size` and its weights within the weight tables
// (`weights_size` / `unweights_size` entries); the channel tables must hold num_channels + 1 entries.
Status check_filter_bank_tables(const FilterBankTables& tables, int64_t spectrum_size, int64_t weights_size,
                                int64_t unweights_size);

// Writes channels 1 .. output_count of the accumulation to `output` (output_count <= num_channels). Sums
// wrap modulo 2^64; negative weights act as their two's complement in uint64, as in TFLM.
void filter_bank_accumulate(const FilterBankTables& tables, const uint32_t* spectrum, uint64_t* output,
                            int32_t output_count);

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
