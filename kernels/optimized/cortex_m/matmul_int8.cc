#include "kernels/optimized/cortex_m/matmul_int8.h"

#include <algorithm>

#include "kernels/common/block_sparse.h"
#include "kernels/common/quant_math.h"
#include "kernels/optimized/cortex_m/dsp.h"

namespace edgeinfer {
namespace cortex_m {
namespace {

// Accumulators of a block of up to 2 rows x 2 channels: sum[row][channel].
struct Sums {
  int32_t s00, s01, s10, s11;
};

// Adds to `sums` the dot products of rows x0 (and x1 when kTwoRows) with filter rows f0 (and f1 when
// kTwoChannels) over `depth` values. Four values at a time: SXTB16 splits a word into its even bytes (0, 2)
// and its odd bytes (1, 3) as int16 pairs; splitting input and filter alike pairs up matching positions, and
// two SMLADs add the four products. The sums wrap modulo 2^32 like TensorFlow Lite's int32 accumulator.
template <bool kTwoRows, bool kTwoChannels>
inline void dot_block(const int8_t* x0, const int8_t* x1, const int8_t* f0, const int8_t* f1, int depth,
                      Sums& sums) {
  int32_t s00 = sums.s00, s01 = sums.s01, s10 = sums.s10, s11 = sums.s11;
  for (int n = depth >> 2; n > 0; --n) {
    const uint32_t a = load_u32(x0);
    x0 += 4;
    const uint32_t a_even = sxtb16(a);
    const uint32_t a_odd = sxtb16_ror8(a);
    const uint32_t w0 = load_u32(f0);
    f0 += 4;
    const uint32_t w0_even = sxtb16(w0);
    const uint32_t w0_odd = sxtb16_ror8(w0);
    s00 = smlad(a_even, w0_even, s00);
    s00 = smlad(a_odd, w0_odd, s00);
    if constexpr (kTwoRows) {
      const uint32_t b = load_u32(x1);
      x1 += 4;
      const uint32_t b_even = sxtb16(b);
      const uint32_t b_odd = sxtb16_ror8(b);
      s10 = smlad(b_even, w0_even, s10);
      s10 = smlad(b_odd, w0_odd, s10);
      if constexpr (kTwoChannels) {
        const uint32_t w1 = load_u32(f1);
        f1 += 4;
        const uint32_t w1_even = sxtb16(w1);
        s01 = smlad(a_even, w1_even, s01);
        s11 = smlad(b_even, w1_even, s11);
        const uint32_t w1_odd = sxtb16_ror8(w1);
        s01 = smlad(a_odd, w1_odd, s01);
        s11 = smlad(b_odd, w1_odd, s11);
      }
    } else if constexpr (kTwoChannels) {
      const uint32_t w1 = load_u32(f1);
      f1 += 4;
      s01 = smlad(a_even, sxtb16(w1), s01);
      s01 = smlad(a_odd, sxtb16_ror8(w1), s01);
    }
  }
  // The last depth % 4 values, one product at a time (each fits in int32; the sum wraps in uint32).
  for (int k = 0; k < (depth & 3); ++k) {
    const int32_t a = x0[k];
    const int32_t w0 = f0[k];
    s00 = static_cast<int32_t>(static_cast<uint32_t>(s00) + static_cast<uint32_t>(a * w0));
    if constexpr (kTwoRows) {
      s10 = static_cast<int32_t>(static_cast<uint32_t>(s10) + static_cast<uint32_t>(x1[k] * w0));
    }
    if constexpr (kTwoChannels) {
      const int32_t w1 = f1[k];
      s01 = static_cast<int32_t>(static_cast<uint32_t>(s01) + static_cast<uint32_t>(a * w1));
      if constexpr (kTwoRows) {
        s11 = static_cast<int32_t>(static_cast<uint32_t>(s11) + static_cast<uint32_t>(x1[k] * w1));
      }
    }
  }
  sums = Sums{s00, s01, s10, s11};
}

// The output zero point and clamp limits, in registers (int8 stores could alias the stage in memory).
struct OutputLimits {
  int32_t offset, min, max;
};

// One channel's requantization, prepared once per block of rows: for TFLite's usual right shifts
// (shift = -e, e >= 1) `rounding` is the 64-bit constant of scale_right_shift().
struct ChannelScale {
  int32_t multiplier;
  int32_t shift;
  int64_t rounding;  // 2^30 + 2^(e + 30)
};

inline ChannelScale channel_scale(int32_t multiplier, int32_t shift) {
  ChannelScale scale{multiplier, shift, 0};
  if (shift < 0) scale.rounding = (int64_t{1} << 30) + (int64_t{1} << (30 - shift));
  return scale;
}

inline int8_t output_value(int32_t scaled, OutputLimits limits) {
  const int32_t value = wrapping_add(scaled, limits.offset);
  return static_cast<int8_t>(std::min(std::max(value, limits.min), limits.max));
}

inline int8_t requantize(int32_t acc, const ChannelScale& scale, OutputLimits limits) {
  if (scale.shift < 0) {
    return output_value(scale_right_shift(acc, scale.multiplier, scale.rounding, -scale.shift - 1), limits);
  }
  return output_value(scale_left_shift(acc, scale.multiplier, scale.shift), limits);
}

}  // namespace

void matmul_int8_rows(const int8_t* row0, const int8_t* row1, int depth, const int8_t* filter, int channels,
                      const Int8OutputStage& stage, int8_t* out0, int8_t* out1) {
  const int32_t* terms = stage.channel_terms;
  const int32_t* multipliers = stage.multipliers;
  const int32_t* shifts = stage.shifts;
  const int quant_step = stage.per_channel ? 1 : 0;
  const OutputLimits limits{stage.output_offset, stage.activation_min, stage.activation_max};
  int c = 0;
  for (; c + 1 < channels; c += 2) {
    const int8_t* f0 = filter + c * depth;
    Sums sums{terms[c], terms[c + 1], terms[c], terms[c + 1]};
    if (row1 != nullptr) {
      dot_block<true, true>(row0, row1, f0, f0 + depth, depth, sums);
    } else {
      dot_block<false, true>(row0, nullptr, f0, f0 + depth, depth, sums);
    }
    const ChannelScale scale0 = channel_scale(multipliers[c * quant_step], shifts[c * quant_step]);
    const ChannelScale scale1 =
        channel_scale(multipliers[(c + 1) * quant_step], shifts[(c + 1) * quant_step]);
    out0[c] = requantize(sums.s00, scale0, limits);
    out0[c + 1] = requantize(sums.s01, scale1, limits);
    if (row1 != nullptr) {
      out1[c] = requantize(sums.s10, scale0, limits);
      out1[c + 1] = requantize(sums.s11, scale1, limits);
    }
  }
  if (c < channels) {  // an odd channel count: the last channel alone
    const int8_t* f0 = filter + c * depth;
    Sums sums{terms[c], 0, terms[c], 0};
    if (row1 != nullptr) {
      dot_block<true, false>(row0, row1, f0, nullptr, depth, sums);
    } else {
      dot_block<false, false>(row0, nullptr, f0, nullptr, depth, sums);
    }
    const ChannelScale scale0 = channel_scale(multipliers[c * quant_step], shifts[c * quant_step]);
    out0[c] = requantize(sums.s00, scale0, limits);
    if (row1 != nullptr) out1[c] = requantize(sums.s10, scale0, limits);
  }
}

void expand_four_rows(const int8_t* const rows[4], int depth, uint64_t* expanded) {
  for (int r = 0; r < 4; ++r) {
    const int8_t* row = rows[r];
    uint64_t* out = expanded + r;
    for (int n = depth >> 2; n > 0; --n, row += 4, out += 4) {
      const uint32_t x = load_u32(row);
      *out = sxtb16(x) | static_cast<uint64_t>(sxtb16_ror8(x)) << 32;
    }
  }
}

namespace {

// matmul_int8_four_rows() with the clamp to [-128, 127] as one SSAT when the activation limits are the whole
// int8 range (no activation, or a ReLU / ReLU6 whose limits the range already contains).
template <bool kFullRange>
void four_rows(const int8_t* const rows[4], const uint64_t* expanded, int depth, const int8_t* filter,
               int channels, const Int8OutputStage& stage, int8_t* out, int out_stride) {
  const OutputLimits limits{stage.output_offset, stage.activation_min, stage.activation_max};
  const int quant_step = stage.per_channel ? 1 : 0;
  const int quads = depth >> 2;
  const int done = quads * 4;
  auto store = [&](int32_t scaled, int8_t* destination) {
    if constexpr (kFullRange) {
      *destination = static_cast<int8_t>(saturate_int8(wrapping_add(scaled, limits.offset)));
    } else {
      *destination = output_value(scaled, limits);
    }
  };
  for (int c = 0; c < channels; ++c, ++out) {
    const int8_t* f = filter + c * depth;
    const int32_t term = stage.channel_terms[c];
    int32_t s0 = term, s1 = term, s2 = term, s3 = term;
    const uint64_t* x = expanded;
    // One filter word split once serves four rows, whose pairs come ready two words per LDRD: 18 instructions
    // per 16 products, and few enough registers (4 sums, 3 pointers, 4 temporaries) that nothing spills.
    for (int n = quads; n > 0; --n, x += 4) {
      const uint32_t w = load_u32(f);
      f += 4;
      const uint32_t w_even = sxtb16(w);
      const uint32_t w_odd = sxtb16_ror8(w);
      uint32_t even, odd;
      load_pair<0>(x, &even, &odd);
      s0 = smlad(even, w_even, s0);
      s0 = smlad(odd, w_odd, s0);
      load_pair<1>(x, &even, &odd);
      s1 = smlad(even, w_even, s1);
      s1 = smlad(odd, w_odd, s1);
      load_pair<2>(x, &even, &odd);
      s2 = smlad(even, w_even, s2);
      s2 = smlad(odd, w_odd, s2);
      load_pair<3>(x, &even, &odd);
      s3 = smlad(even, w_even, s3);
      s3 = smlad(odd, w_odd, s3);
    }
    for (int k = done; k < depth; ++k, ++f) {  // the last depth % 4 values from the int8 rows
      const int32_t w = *f;
      s0 = static_cast<int32_t>(static_cast<uint32_t>(s0) + static_cast<uint32_t>(rows[0][k] * w));
      s1 = static_cast<int32_t>(static_cast<uint32_t>(s1) + static_cast<uint32_t>(rows[1][k] * w));
      s2 = static_cast<int32_t>(static_cast<uint32_t>(s2) + static_cast<uint32_t>(rows[2][k] * w));
      s3 = static_cast<int32_t>(static_cast<uint32_t>(s3) + static_cast<uint32_t>(rows[3][k] * w));
    }
    const ChannelScale scale = channel_scale(stage.multipliers[c * quant_step], stage.shifts[c * quant_step]);
    const int32_t multiplier = scale.multiplier;
    if (scale.shift < 0) {
      const int e_minus_1 = -scale.shift - 1;
      store(scale_right_shift(s0, multiplier, scale.rounding, e_minus_1), out);
      store(scale_right_shift(s1, multiplier, scale.rounding, e_minus_1), out + out_stride);
      store(scale_right_shift(s2, multiplier, scale.rounding, e_minus_1), out + 2 * out_stride);
      store(scale_right_shift(s3, multiplier, scale.rounding, e_minus_1), out + 3 * out_stride);
    } else {
      store(scale_left_shift(s0, multiplier, scale.shift), out);
      store(scale_left_shift(s1, multiplier, scale.shift), out + out_stride);
      store(scale_left_shift(s2, multiplier, scale.shift), out + 2 * out_stride);
      store(scale_left_shift(s3, multiplier, scale.shift), out + 3 * out_stride);
    }
  }
}

}  // namespace

void matmul_int8_four_rows(const int8_t* const rows[4], const uint64_t* expanded, int depth,
                           const int8_t* filter, int channels, const Int8OutputStage& stage, int8_t* out,
                           int out_stride) {
  if (stage.activation_min == -128 && stage.activation_max == 127) {
    four_rows<true>(rows, expanded, depth, filter, channels, stage, out, out_stride);
  } else {
    four_rows<false>(rows, expanded, depth, filter, channels, stage, out, out_stride);
  }
}

// GCC's scheduling before register allocation (on by default for Arm at -O2) hoists the four filter loads
// together and runs out of registers in the four-channel loop (spills); without it the loop allocates
// cleanly.
#if defined(__GNUC__) && !defined(__clang__) && defined(__arm__)
__attribute__((optimize("no-schedule-insns")))
#endif
void matmul_int8_row_offset(const int8_t* row, int depth, const int8_t* filter, int channels,
                            const int32_t* bias, int32_t input_offset, const Int8OutputStage& stage,
                            int8_t* out) {
  const OutputLimits limits{stage.output_offset, stage.activation_min, stage.activation_max};
  const int quant_step = stage.per_channel ? 1 : 0;
  const int quads = depth >> 2;
  const int done = quads * 4;
  // input_offset in both int16 lanes: SXTAB16 adds it to the sign-extended bytes, exactly (see the header).
  const uint32_t offset_pair = (static_cast<uint32_t>(input_offset) & 0xFFFFu) * 0x10001u;
  int c = 0;
  // Four channels at a time: each input word is loaded and split (with the offset) once for four filter
  // words: 23 instructions per 16 products.
  for (; c + 3 < channels; c += 4) {
    // Channels c + 1 and c + 3 are read at `depth` past c and c + 2 (register offsets): one pointer register
    // fewer, so the offset pair stays in a register.
    const int8_t* f0 = filter + c * depth;
    const int8_t* f2 = f0 + 2 * depth;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    if (bias != nullptr) {
      s0 = bias[c];
      s1 = bias[c + 1];
      s2 = bias[c + 2];
      s3 = bias[c + 3];
    }
    const int8_t* x = row;
    for (int n = quads; n > 0; --n) {
      const uint32_t a = load_u32(x);
      x += 4;
      const uint32_t even = sxtab16(offset_pair, a);
      const uint32_t odd = sxtab16_ror8(offset_pair, a);
      // The loads at `depth` first, so that the others can advance their pointer (post-increment).
      const uint32_t w1 = load_u32(f0 + depth);
      s1 = smlad(even, sxtb16(w1), s1);
      s1 = smlad(odd, sxtb16_ror8(w1), s1);
      const uint32_t w0 = load_u32(f0);
      f0 += 4;
      s0 = smlad(even, sxtb16(w0), s0);
      s0 = smlad(odd, sxtb16_ror8(w0), s0);
      const uint32_t w3 = load_u32(f2 + depth);
      s3 = smlad(even, sxtb16(w3), s3);
      s3 = smlad(odd, sxtb16_ror8(w3), s3);
      const uint32_t w2 = load_u32(f2);
      f2 += 4;
      s2 = smlad(even, sxtb16(w2), s2);
      s2 = smlad(odd, sxtb16_ror8(w2), s2);
    }
    const int8_t* f1 = f0 + depth;
    const int8_t* f3 = f2 + depth;
    for (int k = done; k < depth; ++k) {  // the last depth % 4 values, one product at a time
      const int32_t v = row[k] + input_offset;
      s0 = static_cast<int32_t>(static_cast<uint32_t>(s0) + static_cast<uint32_t>(v * *f0++));
      s1 = static_cast<int32_t>(static_cast<uint32_t>(s1) + static_cast<uint32_t>(v * *f1++));
      s2 = static_cast<int32_t>(static_cast<uint32_t>(s2) + static_cast<uint32_t>(v * *f2++));
      s3 = static_cast<int32_t>(static_cast<uint32_t>(s3) + static_cast<uint32_t>(v * *f3++));
    }
    const int32_t sums[4] = {s0, s1, s2, s3};
    for (int i = 0; i < 4; ++i) {
      const int q = (c + i) * quant_step;
      out[c + i] = requantize(sums[i], channel_scale(stage.multipliers[q], stage.shifts[q]), limits);
    }
  }
  for (; c < channels; ++c) {  // the last channels % 4, one at a time
    const int8_t* f = filter + c * depth;
    int32_t s = bias != nullptr ? bias[c] : 0;
    const int8_t* x = row;
    for (int n = quads; n > 0; --n) {
      const uint32_t a = load_u32(x);
      x += 4;
      const uint32_t w = load_u32(f);
      f += 4;
      s = smlad(sxtab16(offset_pair, a), sxtb16(w), s);
      s = smlad(sxtab16_ror8(offset_pair, a), sxtb16_ror8(w), s);
    }
    for (int k = done; k < depth; ++k) {
      const int32_t v = row[k] + input_offset;
      s = static_cast<int32_t>(static_cast<uint32_t>(s) + static_cast<uint32_t>(v * *f++));
    }
    const int q = c * quant_step;
    out[c] = requantize(s, channel_scale(stage.multipliers[q], stage.shifts[q]), limits);
  }
}

// ---- Block-sparse variants ----

// A block is whole words: one filter word load and split per word, as in the dense loops.
static_assert(kSparseBlock % 4 == 0, "the sparse Cortex-M loops read blocks as 32-bit words");

namespace {

// Calls fn(i) for every set bit i of `bits`, lowest first: one RBIT per word, then a CLZ and a BIC per bit
// (where counting trailing zeros costs RBIT, CLZ, SUB and AND per bit).
template <class Fn>
inline void for_each_bit_of_word(uint32_t bits, Fn&& fn) {
#if EI_HAVE_ARM_DSP
  for (uint32_t reversed = rbit(bits); reversed != 0;) {
    const int i = __builtin_clz(reversed);
    reversed &= ~(0x80000000u >> i);
    fn(i);
  }
#else
  for_each_set_bit_of(bits, 0, fn);  // without RBIT (the portable one costs more than it saves)
#endif
}

// The products of four rows' values [k, k + 4 * words) with filter values f[k..], from the expanded pairs
// (k a multiple of 4).
inline void four_rows_words(const uint64_t* expanded, const int8_t* f, int k, int words, int32_t& s0,
                            int32_t& s1, int32_t& s2, int32_t& s3) {
  const uint64_t* x = expanded + k;  // k / 4 quads of 4 entries
  for (int w = 0; w < words; ++w, x += 4) {
    const uint32_t weights = load_u32(f + k + 4 * w);
    const uint32_t w_even = sxtb16(weights);
    const uint32_t w_odd = sxtb16_ror8(weights);
    uint32_t even, odd;
    load_pair<0>(x, &even, &odd);
    s0 = smlad(even, w_even, s0);
    s0 = smlad(odd, w_odd, s0);
    load_pair<1>(x, &even, &odd);
    s1 = smlad(even, w_even, s1);
    s1 = smlad(odd, w_odd, s1);
    load_pair<2>(x, &even, &odd);
    s2 = smlad(even, w_even, s2);
    s2 = smlad(odd, w_odd, s2);
    load_pair<3>(x, &even, &odd);
    s3 = smlad(even, w_even, s3);
    s3 = smlad(odd, w_odd, s3);
  }
}

// How four_rows_sparse() finds a block's values in the expanded pairs: kLinear, runs a multiple of the block
// (every CONV_2D with input channels a multiple of kSparseBlock): bit k of a row is values [k, k + 1) x
// kSparseBlock; kRuns, other runs (a multiple of 4): run by run.
enum class SparseRows { kLinear, kRuns };

template <SparseRows kMode>
#if defined(__GNUC__) && !defined(__clang__) && defined(__arm__)
__attribute__((optimize("no-schedule-insns")))  // as matmul_int8_row_offset(): fewer spills
#endif
void four_rows_sparse(const uint64_t* expanded, int positions, int run,
                      const int8_t* filter, const uint8_t* block_bitmap, int channels,
                      const Int8OutputStage& stage, int8_t* out, int out_stride) {
  const OutputLimits limits{stage.output_offset, stage.activation_min, stage.activation_max};
  const int quant_step = stage.per_channel ? 1 : 0;
  const int depth = positions * run;
  const int run_blocks = sparse_blocks(run);
  const int rest = run / kSparseBlock * kSparseBlock;  // values in full blocks, per run
  const int row_bytes = block_sparsity_row_bytes(positions * run_blocks);
  for (int c = 0; c < channels; ++c, ++out) {
    const int8_t* f = filter + c * depth;
    const uint8_t* bits = block_bitmap + c * row_bytes;
    const int32_t term = stage.channel_terms[c];
    int32_t s0 = term, s1 = term, s2 = term, s3 = term;
    if constexpr (kMode == SparseRows::kLinear) {
      for_each_bit_word(bits, positions * run_blocks, [&](uint32_t word, int base) {
        const uint64_t* x = expanded + base * kSparseBlock;  // 4 entries per 4 values
        const int8_t* w = f + base * kSparseBlock;
        // Counting trailing zeros here: no register to spare for RBIT's mask beside four sums.
        for_each_set_bit_of(word, 0, [&](int i) {
          four_rows_words(x, w, i * kSparseBlock, kSparseBlock / 4, s0, s1, s2, s3);
        });
      });
    } else {
      for_each_set_block(bits, positions, run_blocks, [&](int pos, int block) {
        const int k = block * kSparseBlock;
        // The run's last block may be shorter; as run % 4 == 0, it is whole words too.
        const int n = k < rest ? kSparseBlock : run - k;
        four_rows_words(expanded, f, pos * run + k, n / 4, s0, s1, s2, s3);
      });
    }
    const ChannelScale scale = channel_scale(stage.multipliers[c * quant_step], stage.shifts[c * quant_step]);
    out[0] = requantize(s0, scale, limits);
    out[out_stride] = requantize(s1, scale, limits);
    out[2 * out_stride] = requantize(s2, scale, limits);
    out[3 * out_stride] = requantize(s3, scale, limits);
  }
}

}  // namespace

void matmul_int8_four_rows_sparse(const uint64_t* expanded, int positions, int run, const int8_t* filter,
                                  const uint8_t* block_bitmap, int channels, const Int8OutputStage& stage,
                                  int8_t* out, int out_stride) {
  if (run % kSparseBlock == 0) {
    four_rows_sparse<SparseRows::kLinear>(expanded, positions, run, filter, block_bitmap, channels, stage,
                                          out, out_stride);
  } else {
    four_rows_sparse<SparseRows::kRuns>(expanded, positions, run, filter, block_bitmap, channels, stage, out,
                                        out_stride);
  }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__arm__)
__attribute__((optimize("no-schedule-insns")))
#endif
void matmul_int8_row_offset_sparse(const int8_t* row, int depth, const int8_t* filter,
                                   const uint8_t* block_bitmap, int channels, const int32_t* bias,
                                   int32_t input_offset, const Int8OutputStage& stage, int8_t* out) {
  const OutputLimits limits{stage.output_offset, stage.activation_min, stage.activation_max};
  const int quant_step = stage.per_channel ? 1 : 0;
  const int full_blocks = depth / kSparseBlock;  // then a shorter one when depth % kSparseBlock != 0
  const int rest = full_blocks * kSparseBlock;
  const int row_bytes = block_sparsity_row_bytes(sparse_blocks(depth));
  // input_offset in both int16 lanes, as in matmul_int8_row_offset().
  const uint32_t offset_pair = (static_cast<uint32_t>(input_offset) & 0xFFFFu) * 0x10001u;
  for (int c = 0; c < channels; ++c) {
    const int8_t* f = filter + c * depth;
    const uint8_t* bits = block_bitmap + c * row_bytes;
    int32_t s = bias != nullptr ? bias[c] : 0;
    for_each_bit_word(bits, full_blocks, [&](uint32_t word, int base) {
      const int8_t* x = row + base * kSparseBlock;
      const int8_t* w = f + base * kSparseBlock;
      for_each_bit_of_word(word, [&](int i) {
        for (int k = i * kSparseBlock; k < (i + 1) * kSparseBlock; k += 4) {
          const uint32_t a = load_u32(x + k);
          const uint32_t weights = load_u32(w + k);
          s = smlad(sxtab16(offset_pair, a), sxtb16(weights), s);
          s = smlad(sxtab16_ror8(offset_pair, a), sxtb16_ror8(weights), s);
        }
      });
    });
    if (rest < depth && block_is_nonzero(bits, full_blocks)) {  // the shorter last block, value by value
      for (int i = rest; i < depth; ++i) {
        const int32_t v = row[i] + input_offset;
        s = static_cast<int32_t>(static_cast<uint32_t>(s) + static_cast<uint32_t>(v * f[i]));
      }
    }
    const int q = c * quant_step;
    out[c] = requantize(s, channel_scale(stage.multipliers[q], stage.shifts[q]), limits);
  }
}

void compute_channel_terms(const int8_t* filter, int depth, int channels, const int32_t* bias,
                           int32_t input_offset, int32_t* terms) {
  for (int c = 0; c < channels; ++c) {
    const int8_t* f = filter + c * depth;
    uint32_t sum = 0;  // |sum| < 2^31 for depth < 2^24, but wrapping costs nothing and keeps any depth exact
    for (int k = 0; k < depth; ++k) sum += static_cast<uint32_t>(static_cast<int32_t>(f[k]));
    const uint32_t term =
        (bias ? static_cast<uint32_t>(bias[c]) : 0u) + static_cast<uint32_t>(input_offset) * sum;
    terms[c] = static_cast<int32_t>(term);
  }
}

bool multipliers_supported(const int32_t* multipliers, int count) {
  for (int i = 0; i < count; ++i) {
    if (multipliers[i] < 0) return false;
  }
  return true;
}

}  // namespace cortex_m
}  // namespace edgeinfer
