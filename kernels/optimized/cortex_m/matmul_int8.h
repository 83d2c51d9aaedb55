// The int8 matrix core shared by the optimized CONV_2D and FULLY_CONNECTED kernels: rows of int8 values (an
// output pixel's receptive field, or a batch of a fully connected input) times the filter rows of every
// output channel, with TensorFlow Lite's wrapping int32 accumulation and output stage, bit for bit.
//
// The input offset is not added per product: sum_k f[k] * (x[k] + offset) equals
// sum_k f[k] * x[k] + offset * sum_k f[k] modulo 2^32, so the second term joins the bias in a per-channel
// constant computed in prepare() (compute_channel_terms()), and the loops are pure int8 dot products on
// SMLAD. matmul_int8_row_offset() (fully connected) instead adds the offset while splitting the input words,
// which needs neither the per-channel constants nor an expanded copy of the row.
#pragma once

#include <cstdint>

namespace edgeinfer {
namespace cortex_m {

// Requantization of the accumulators of one op.
struct Int8OutputStage {
  const int32_t* channel_terms = nullptr;  // per output channel: bias + input_offset * sum(filter row)
  const int32_t* multipliers = nullptr;    // per output channel, or a single one (per_channel false)
  const int32_t* shifts = nullptr;
  bool per_channel = true;
  int32_t output_offset = 0;
  int32_t activation_min = -128;
  int32_t activation_max = 127;
};

// out0[c] = requantized(channel_terms[c] + sum_k row0[k] * filter[c * depth + k]) for c in [0, channels),
// and the same for row1 into out1 unless row1 is null (two rows share every filter load).
void matmul_int8_rows(const int8_t* row0, const int8_t* row1, int depth, const int8_t* filter, int channels,
                      const Int8OutputStage& stage, int8_t* out0, int8_t* out1);

// 64-bit entries of expand_four_rows()'s output for rows of `depth` values.
inline int expanded_entries(int depth) {
  return (depth >> 2) * 4;
}

// The first depth - depth % 4 values of four rows as int16 pairs, in the order matmul_int8_four_rows() reads
// them: per four values and row (0 to 3), one entry {low word: even bytes, high word: odd bytes} (SXTB16's
// bytes 0,2 and 1,3). `expanded` is 8-byte aligned (the loop reads it with LDRD).
void expand_four_rows(const int8_t* const rows[4], int depth, uint64_t* expanded);

// matmul_int8_rows() for four rows at once, `expanded` from expand_four_rows(), row r's outputs at
// out + r * out_stride: each filter word is loaded and split once for four rows, and the rows' pairs are
// loaded ready, so no value is split twice.
void matmul_int8_four_rows(const int8_t* const rows[4], const uint64_t* expanded, int depth,
                           const int8_t* filter, int channels, const Int8OutputStage& stage, int8_t* out,
                           int out_stride);

// One row (a fully connected batch) against all channels, four channels per loop, without any precomputed
// state: out[c] = requantized(bias[c] (0 when bias is null) + sum_k (row[k] + input_offset) *
// filter[c * depth + k]), wrapping int32 like TensorFlow Lite; stage.channel_terms is not read. Each input
// word is split once for four channels, the offset added in the split (SXTAB16): exact for |input_offset| <=
// kMaxSplitInputOffset, where x + input_offset fits in an int16 lane (TFLite's [-127, 128] always does).
constexpr int32_t kMaxSplitInputOffset = 32767 - 127;
void matmul_int8_row_offset(const int8_t* row, int depth, const int8_t* filter, int channels,
                            const int32_t* bias, int32_t input_offset, const Int8OutputStage& stage,
                            int8_t* out);

// ---- Block-sparse variants: the same bytes, skipping the filter's zero blocks (edgeinfer/block_sparsity.h;
// a skipped product is 0 and the wrapping sums do not depend on the order). One channel at a time, since
// each filter row has its own zero blocks. `block_bitmap` is the filter's bitmap.

// matmul_int8_four_rows() for a filter whose rows are `positions` runs of `run` values (CONV_2D: the kernel
// positions' input channels, depth = positions * run), `run` a multiple of 4: blocks are read as words of
// the expanded rows.
void matmul_int8_four_rows_sparse(const uint64_t* expanded, int positions, int run, const int8_t* filter,
                                  const uint8_t* block_bitmap, int channels, const Int8OutputStage& stage,
                                  int8_t* out, int out_stride);

// matmul_int8_row_offset() with the bitmap's rows the filter rows (FULLY_CONNECTED).
void matmul_int8_row_offset_sparse(const int8_t* row, int depth, const int8_t* filter,
                                   const uint8_t* block_bitmap, int channels, const int32_t* bias,
                                   int32_t input_offset, const Int8OutputStage& stage, int8_t* out);

// terms[c] = bias[c] (0 without bias) + input_offset * sum_k filter[c * depth + k], modulo 2^32.
void compute_channel_terms(const int8_t* filter, int depth, int channels, const int32_t* bias,
                           int32_t input_offset, int32_t* terms);

// TensorFlow Lite's MultiplyByQuantizedMultiplier (SaturatingRoundingDoublingHighMul, then
// RoundingDivideByPOT; multiply_by_quantized_multiplier_fast() in quant_math.h does the first step the same
// way) for a right shift e = right_shift_minus_1 + 1 >= 1 and a multiplier >= 0, with one
// 64-bit rounding: `rounding` = 2^30 + 2^(e + 30), from channel_scale(). Exact, because
//  - the doubling high multiply adds 2^30 (or 1 - 2^30 for negative products) and divides by 2^31 rounding
//    toward zero, which for either sign is floor((acc * m + 2^30) / 2^31) = floor(Y / 2^31);
//  - RoundingDivideByPOT of h is floor((h + 2^(e-1) - [h < 0]) / 2^e) (ties away from zero), and
//    floor((floor(Y / 2^31) + c) / 2^e) = floor((Y + c * 2^31) / 2^(31 + e)) for integer c;
//  - [h < 0] = [Y < 0] may be replaced by [acc < 0]: they differ only when h = 0, where both give 0 (e >= 1);
//  - shifting the 64-bit sum right by 32, then by e - 1, is the shift by 31 + e; the result fits in int32.
inline int32_t scale_right_shift(int32_t acc, int32_t multiplier, int64_t rounding, int right_shift_minus_1) {
  const int64_t negative_adjust = acc < 0 ? (int64_t{1} << 31) : 0;
  const int64_t sum = static_cast<int64_t>(acc) * multiplier + (rounding - negative_adjust);
  return static_cast<int32_t>(sum >> 32) >> right_shift_minus_1;
}

// The same for shift >= 0 (no right shift): the wrapping left shift, then the doubling high multiply.
inline int32_t scale_left_shift(int32_t acc, int32_t multiplier, int left_shift) {
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(acc) << left_shift);
  return static_cast<int32_t>((static_cast<int64_t>(shifted) * multiplier + (int64_t{1} << 30)) >> 31);
}

// Whether the fast output stage is exact for these multipliers: it needs multipliers >= 0, which skips the
// saturation TensorFlow Lite's SaturatingRoundingDoublingHighMul needs only for INT32_MIN
// (quantize_multiplier makes values in [0, 2^31); a hand-made model could not reach eval() otherwise, but
// stay safe).
bool multipliers_supported(const int32_t* multipliers, int count);

}  // namespace cortex_m
}  // namespace edgeinfer
