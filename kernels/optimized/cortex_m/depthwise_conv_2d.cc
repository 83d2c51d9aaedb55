// DEPTHWISE_CONV_2D for int8 on Cortex-M with the DSP extension, byte-exact with
// reference::depthwise_conv_2d_int8 (TensorFlow Lite's DepthwiseConvPerChannel).
//
// Each output pixel takes two passes over its channels, each a small loop that keeps its values in registers:
// first the int32 sums of all channels into a scratch row, then their requantization to int8.
//
// The sums go four channels at a time: one 32-bit load brings the input bytes of a tap for four channels,
// SXTAB16 adds the input offset to two of them in 16-bit lanes (in + offset lies in [-255, 255]), and SMLABB
// / SMLATT accumulate each lane's product into its channel's int32 sum. Every product is exact and the sums
// wrap modulo 2^32 like TensorFlow Lite's; they start at the bias, which only reorders a modular sum. Padded
// taps are skipped exactly as the reference does (the window is clipped to the input per output pixel), so
// the border needs no separate arithmetic. Windows of up to 3 x 3 taps (MobileNet's, at every pixel) have
// their rows of two or three taps in assembly on the DSP cores.
//
// depth_multiplier 1 reads four neighbouring input channels; a multiplier that is a multiple of 4 (e.g.
// micro_speech: 1 input channel, 8 outputs) reads one input byte for four outputs. Other multipliers run the
// reference code; channels left over from the groups of four use a scalar loop with the same arithmetic.
#include "kernels/reference/depthwise_conv_2d.h"

#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/optimized/cortex_m/dsp.h"

namespace edgeinfer {
namespace cortex_m {
namespace {

using reference::ConvParams;
using reference::DepthwiseOpData;

// What eval() needs beyond the reference op data.
struct OpData {
  const DepthwiseOpData* reference;
  int acc_scratch;        // output_depth int32 sums of one pixel; -1: the reference code runs
  bool channels_checked;  // every multiplier >= 0 and every shift <= 0 (see requantize_pixel())
};

// The per-layer steps between taps: along a filter row and from one filter row to the next, in the input and
// in the filter; and the input offset, also in both 16-bit lanes.
struct Geometry {
  int input_tap;
  int input_row;
  int filter_tap;
  int filter_row;
  int32_t input_offset;
  uint32_t offset_pair;
};

// One tap of four channels: input lanes (offset added) times filter lanes, into the four sums. Input
// channels whose bytes sit in one word (`kBroadcastInput` false: depth_multiplier 1), or one input byte
// shared by four outputs (true: four outputs of one input channel).
template <bool kBroadcastInput>
inline void tap4(const int8_t* input, const int8_t* filter, uint32_t offset_pair, int32_t& acc0,
                 int32_t& acc1, int32_t& acc2, int32_t& acc3) {
  uint32_t in_even, in_odd;  // lanes {channel 0, channel 2} and {channel 1, channel 3}, offset added
  if (kBroadcastInput) {
    in_even = in_odd = sxtab16(offset_pair, static_cast<uint8_t>(*input) * 0x00010001u);
  } else {
    const uint32_t in = load_u32(input);
    in_even = sxtab16(offset_pair, in);
    in_odd = sxtab16_ror8(offset_pair, in);
  }
  const uint32_t f = load_u32(filter);
  const uint32_t f_even = sxtb16(f);
  const uint32_t f_odd = sxtb16_ror8(f);
  acc0 = smlabb(in_even, f_even, acc0);
  acc2 = smlatt(in_even, f_even, acc2);
  acc1 = smlabb(in_odd, f_odd, acc1);
  acc3 = smlatt(in_odd, f_odd, acc3);
}

// The four sums of one group of channels over `rows` x `cols` taps (both > 0).
template <bool kBroadcastInput>
inline void window4(const int8_t* input, const int8_t* filter, int rows, int cols, const Geometry& g,
                    int32_t* acc) {
  int32_t acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
  const int filter_row_length = cols * g.filter_tap;
  for (int r = 0; r < rows; ++r) {
    const int8_t* input_tap = input;
    const int8_t* filter_tap = filter;
    const int8_t* const filter_row_end = filter + filter_row_length;
    do {
      tap4<kBroadcastInput>(input_tap, filter_tap, g.offset_pair, acc0, acc1, acc2, acc3);
      input_tap += g.input_tap;
      filter_tap += g.filter_tap;
    } while (filter_tap != filter_row_end);
    input += g.input_row;
    filter += g.filter_row;
  }
  acc[0] = acc0;
  acc[1] = acc1;
  acc[2] = acc2;
  acc[3] = acc3;
}

// One channel's sum over `rows` x `cols` taps: the reference arithmetic, wrapping in uint32_t.
inline int32_t window1(const int8_t* input, const int8_t* filter, int rows, int cols, const Geometry& g,
                       int32_t acc) {
  uint32_t sum = static_cast<uint32_t>(acc);
  for (int r = 0; r < rows; ++r) {
    for (int k = 0; k < cols; ++k) {
      sum += static_cast<uint32_t>(filter[k * g.filter_tap] * (input[k * g.input_tap] + g.input_offset));
    }
    input += g.input_row;
    filter += g.filter_row;
  }
  return static_cast<int32_t>(sum);
}

inline void load_bias4(const int32_t* bias, int c, int32_t* acc) {
  if (bias) {
    acc[0] = bias[c];
    acc[1] = bias[c + 1];
    acc[2] = bias[c + 2];
    acc[3] = bias[c + 3];
  } else {
    acc[0] = acc[1] = acc[2] = acc[3] = 0;
  }
}

// acc[c] = bias + the sum over the window of every channel of a multiplier-1 layer; `input` and `filter` at
// the window's first tap (channel 0), `rows` x `cols` taps (0 x 0: none inside the input).
[[gnu::noinline]] void accumulate_pixel(const int8_t* input, const int8_t* filter, const int32_t* bias,
                                        int depth, int rows, int cols, const Geometry& g, int32_t* acc) {
  int c = 0;
  for (; c + 4 <= depth; c += 4) {
    load_bias4(bias, c, acc + c);
    if (rows > 0) window4<false>(input + c, filter + c, rows, cols, g, acc + c);
  }
  for (; c < depth; ++c) acc[c] = window1(input + c, filter + c, rows, cols, g, bias ? bias[c] : 0);
}

// One filter row of kTaps (2 or 3) taps for four channels (depth_multiplier 1): taps at input + k * input_tap
// and filter + k * depth (dilated filters; row_taps_same_step() is the common case).
template <int kTaps>
inline void row_taps(const int8_t* input, const int8_t* filter, int input_tap, int depth,
                     uint32_t offset_pair, int32_t& acc0, int32_t& acc1, int32_t& acc2, int32_t& acc3) {
  for (int k = 0; k < kTaps; ++k) {
    tap4<false>(input + k * input_tap, filter + k * depth, offset_pair, acc0, acc1, acc2, acc3);
  }
}

// row_taps() when the input and the filter advance by the same `step` from tap to tap (dilation 1: both by
// the channel count). On the DSP cores in assembly (in C, GCC keeps every tap's address offset live and
// spills them): tap4()'s instructions, loads with register offsets, 10 instructions a tap. It needs 12
// registers: -O0 and -Os cannot give them and get the C version, as does -DEI_CORTEX_M_NO_INLINE_ASM (needed
// for -O3 -fno-omit-frame-pointer, where GCC reports "impossible constraints").
template <int kTaps>
inline void row_taps_same_step(const int8_t* input, const int8_t* filter, int step, uint32_t offset_pair,
                               int32_t& acc0, int32_t& acc1, int32_t& acc2, int32_t& acc3) {
  static_assert(kTaps == 2 || kTaps == 3, "rows of 2 or 3 taps");
#if EI_HAVE_ARM_DSP && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__) && \
    !defined(EI_CORTEX_M_NO_INLINE_ASM)
  uint32_t in_word, filter_word, in_even, filter_even;
#define EI_DEPTHWISE_TAP(input_address, filter_address)     \
  "ldr %[in_word], " input_address                          \
  "\n\t"                                                    \
  "ldr %[filter_word], " filter_address                     \
  "\n\t"                                                    \
  "sxtab16 %[in_even], %[offset], %[in_word]\n\t"           \
  "sxtab16 %[in_word], %[offset], %[in_word], ror #8\n\t"   \
  "sxtb16 %[filter_even], %[filter_word]\n\t"               \
  "sxtb16 %[filter_word], %[filter_word], ror #8\n\t"       \
  "smlabb %[acc0], %[in_even], %[filter_even], %[acc0]\n\t" \
  "smlatt %[acc2], %[in_even], %[filter_even], %[acc2]\n\t" \
  "smlabb %[acc1], %[in_word], %[filter_word], %[acc1]\n\t" \
  "smlatt %[acc3], %[in_word], %[filter_word], %[acc3]\n\t"
#define EI_DEPTHWISE_OPERANDS                                                                             \
  : [acc0] "+r"(acc0), [acc1] "+r"(acc1), [acc2] "+r"(acc2), [acc3] "+r"(acc3), [in_word] "=&r"(in_word), \
    [filter_word] "=&r"(filter_word), [in_even] "=&r"(in_even), [filter_even] "=&r"(filter_even)          \
  : [input] "r"(input), [filter] "r"(filter), [step] "r"(step), [offset] "r"(offset_pair)                 \
  : "memory"
  if constexpr (kTaps == 3) {
    __asm__(EI_DEPTHWISE_TAP("[%[input]]", "[%[filter]]")
                EI_DEPTHWISE_TAP("[%[input], %[step]]", "[%[filter], %[step]]") EI_DEPTHWISE_TAP(
                    "[%[input], %[step], lsl #1]", "[%[filter], %[step], lsl #1]") EI_DEPTHWISE_OPERANDS);
  } else {
    __asm__(EI_DEPTHWISE_TAP("[%[input]]", "[%[filter]]")
                EI_DEPTHWISE_TAP("[%[input], %[step]]", "[%[filter], %[step]]") EI_DEPTHWISE_OPERANDS);
  }
#undef EI_DEPTHWISE_OPERANDS
#undef EI_DEPTHWISE_TAP
#else
  for (int k = 0; k < kTaps; ++k) {
    tap4<false>(input + k * step, filter + k * step, offset_pair, acc0, acc1, acc2, acc3);
  }
#endif
}

// The same as accumulate_pixel() for windows of `rows` (1 to 3) rows of kCols (2 or 3) taps of a filter
// with up to 3 rows and `filter_width` columns: MobileNet's 3x3 at every pixel. (Requantizing here too, to
// save the scratch round trip, leaves the assembly without registers.)
template <int kCols, bool kSameStep>
[[gnu::noinline]] void accumulate_pixel_small(const int8_t* input, const int8_t* filter, const int32_t* bias,
                                              int depth, int rows, const Geometry& g, int32_t* acc) {
  const int input_tap = g.input_tap;
  const int input_row = g.input_row;
  const int filter_row = g.filter_row;
  const uint32_t offset_pair = g.offset_pair;
  int c = 0;
  for (; c + 4 <= depth; c += 4) {
    int32_t sums[4];
    load_bias4(bias, c, sums);
    int32_t acc0 = sums[0], acc1 = sums[1], acc2 = sums[2], acc3 = sums[3];
    const int8_t* in = input + c;
    const int8_t* f = filter + c;
    for (int r = 0; r < rows; ++r) {
      if (kSameStep) {
        row_taps_same_step<kCols>(in, f, depth, offset_pair, acc0, acc1, acc2, acc3);
      } else {
        row_taps<kCols>(in, f, input_tap, depth, offset_pair, acc0, acc1, acc2, acc3);
      }
      in += input_row;
      f += filter_row;
    }
    acc[c] = acc0;
    acc[c + 1] = acc1;
    acc[c + 2] = acc2;
    acc[c + 3] = acc3;
  }
  for (; c < depth; ++c) acc[c] = window1(input + c, filter + c, rows, kCols, g, bias ? bias[c] : 0);
}

// Eight outputs of one input channel (multiplier % 8 == 0) over `rows` x `cols` taps (both > 0): each input
// byte, offset and broadcast to both lanes once, serves two groups of four.
inline void window8_broadcast(const int8_t* input, const int8_t* filter, int rows, int cols,
                              const Geometry& g, int32_t* acc) {
  int32_t acc0 = acc[0], acc1 = acc[1], acc2 = acc[2], acc3 = acc[3];
  int32_t acc4 = acc[4], acc5 = acc[5], acc6 = acc[6], acc7 = acc[7];
  const int filter_row_length = cols * g.filter_tap;
  for (int r = 0; r < rows; ++r) {
    const int8_t* input_tap = input;
    const int8_t* filter_tap = filter;
    const int8_t* const filter_row_end = filter + filter_row_length;
    do {
      // in + offset in the low half (it fits int16), times both filter lanes (SMLABB / SMLABT).
      const uint32_t in = static_cast<uint32_t>(*input_tap + g.input_offset);
      const uint32_t f_low = load_u32(filter_tap);
      const uint32_t f_high = load_u32(filter_tap + 4);
      acc0 = smlabb(in, sxtb16(f_low), acc0);
      acc2 = smlabt(in, sxtb16(f_low), acc2);
      acc1 = smlabb(in, sxtb16_ror8(f_low), acc1);
      acc3 = smlabt(in, sxtb16_ror8(f_low), acc3);
      acc4 = smlabb(in, sxtb16(f_high), acc4);
      acc6 = smlabt(in, sxtb16(f_high), acc6);
      acc5 = smlabb(in, sxtb16_ror8(f_high), acc5);
      acc7 = smlabt(in, sxtb16_ror8(f_high), acc7);
      input_tap += g.input_tap;
      filter_tap += g.filter_tap;
    } while (filter_tap != filter_row_end);
    input += g.input_row;
    filter += g.filter_row;
  }
  acc[0] = acc0;
  acc[1] = acc1;
  acc[2] = acc2;
  acc[3] = acc3;
  acc[4] = acc4;
  acc[5] = acc5;
  acc[6] = acc6;
  acc[7] = acc7;
}

// acc[oc] for a layer whose multiplier is a multiple of 4: groups of eight (or four) outputs of one input
// channel.
[[gnu::noinline]] void accumulate_pixel_broadcast(const int8_t* input, const int8_t* filter,
                                                  const int32_t* bias, int input_depth, int multiplier,
                                                  int rows, int cols, const Geometry& g, int32_t* acc) {
  for (int ic = 0; ic < input_depth; ++ic) {
    const int oc_end = (ic + 1) * multiplier;
    int oc = ic * multiplier;
    for (; oc + 8 <= oc_end; oc += 8) {
      load_bias4(bias, oc, acc + oc);
      load_bias4(bias, oc + 4, acc + oc + 4);
      if (rows > 0) window8_broadcast(input + ic, filter + oc, rows, cols, g, acc + oc);
    }
    for (; oc < oc_end; oc += 4) {
      load_bias4(bias, oc, acc + oc);
      if (rows > 0) window4<true>(input + ic, filter + oc, rows, cols, g, acc + oc);
    }
  }
}

// The output stage of one pixel. kChannelsChecked: prepare() found every multiplier >= 0 and every shift <=
// 0: multiply_by_quantized_multiplier_fast()'s arithmetic applies without its per-value check.
template <bool kChannelsChecked>
[[gnu::noinline]] void requantize_pixel(const int32_t* acc, const int32_t* multipliers, const int32_t* shifts,
                                        int depth, int32_t output_offset, int32_t min, int32_t max,
                                        int8_t* output) {
  for (int c = 0; c < depth; ++c) {
    int32_t value;
    if (kChannelsChecked) {
      const int32_t high = doubling_high_mul_nonnegative(acc[c], multipliers[c]);
      const int32_t scaled = reference::wrapping_add(rounding_divide_by_pot(high, -shifts[c]), output_offset);
      const int32_t lower = scaled < min ? min : scaled;
      value = max < lower ? max : lower;
    } else {
      value = reference::requantize_acc32_fast(acc[c], multipliers[c], shifts[c], output_offset, min, max);
    }
    output[c] = static_cast<int8_t>(value);
  }
}

// Every output pixel of a multiplier-1 or multiplier-4k layer; `acc` holds output_depth sums.
void depthwise_int8(const ConvParams& params, const int32_t* multipliers, const int32_t* shifts,
                    bool channels_checked, const int8_t* input, const int8_t* filter, const int32_t* bias,
                    int8_t* output, int32_t* acc) {
  const ConvParams p = params;  // a local copy: stores through int8_t* could alias the fields otherwise
  const int input_depth = p.input_depth;
  const int output_depth = p.output_depth;
  const int input_row_stride = p.input_width * input_depth;
  Geometry g;
  g.input_tap = p.dilation_width * input_depth;
  g.input_row = p.dilation_height * input_row_stride;
  g.filter_tap = output_depth;
  g.filter_row = p.filter_width * output_depth;
  g.input_offset = p.input_offset;
  g.offset_pair = portable::pack_halves(p.input_offset, p.input_offset);
  // Windows of at most 3 rows: accumulate_pixel_small() unrolls them.
  const bool small_filter = p.depth_multiplier == 1 && p.filter_height <= 3;
  const bool same_step = g.input_tap == g.filter_tap;  // dilation_width 1
  for (int b = 0; b < p.batches; ++b) {
    const int8_t* batch_input = input + b * p.input_height * input_row_stride;
    for (int out_y = 0; out_y < p.output_height; ++out_y) {
      const int in_y_origin = out_y * p.stride_height - p.padding_height;
      int fy_begin, fy_end;
      reference::taps_inside_input(in_y_origin, p.dilation_height, p.filter_height, p.input_height, &fy_begin,
                                   &fy_end);
      for (int out_x = 0; out_x < p.output_width; ++out_x) {
        const int in_x_origin = out_x * p.stride_width - p.padding_width;
        int fx_begin, fx_end;
        reference::taps_inside_input(in_x_origin, p.dilation_width, p.filter_width, p.input_width, &fx_begin,
                                     &fx_end);
        int rows = fy_end - fy_begin;
        const int cols = fx_end - fx_begin;
        // An empty window (all taps in the padding) leaves the sums at the bias and reads nothing.
        const int8_t* window_input = batch_input;
        const int8_t* window_filter = filter;
        if (rows > 0 && cols > 0) {
          window_input += (in_y_origin + fy_begin * p.dilation_height) * input_row_stride +
                          (in_x_origin + fx_begin * p.dilation_width) * input_depth;
          window_filter += fy_begin * g.filter_row + fx_begin * output_depth;
        } else {
          rows = 0;
        }
        if (p.depth_multiplier != 1) {
          accumulate_pixel_broadcast(window_input, window_filter, bias, input_depth, p.depth_multiplier, rows,
                                     cols, g, acc);
        } else if (small_filter && rows > 0 && cols == 3) {
          if (same_step) {
            accumulate_pixel_small<3, true>(window_input, window_filter, bias, output_depth, rows, g, acc);
          } else {
            accumulate_pixel_small<3, false>(window_input, window_filter, bias, output_depth, rows, g, acc);
          }
        } else if (small_filter && rows > 0 && cols == 2) {
          if (same_step) {
            accumulate_pixel_small<2, true>(window_input, window_filter, bias, output_depth, rows, g, acc);
          } else {
            accumulate_pixel_small<2, false>(window_input, window_filter, bias, output_depth, rows, g, acc);
          }
        } else {
          accumulate_pixel(window_input, window_filter, bias, output_depth, rows, cols, g, acc);
        }
        if (channels_checked) {
          requantize_pixel<true>(acc, multipliers, shifts, output_depth, p.output_offset, p.activation_min,
                                 p.activation_max, output);
        } else {
          requantize_pixel<false>(acc, multipliers, shifts, output_depth, p.output_offset, p.activation_min,
                                  p.activation_max, output);
        }
        output += output_depth;
      }
    }
  }
}

// Whether depthwise_int8() computes this layer (else the reference code does): the lanes hold in + offset
// exactly when the offset is that of an int8 zero point (prepare() checks it; this is a guard).
bool fast_path(const ConvParams& p) {
  return (p.depth_multiplier == 1 || p.depth_multiplier % 4 == 0) && p.input_offset >= -128 &&
         p.input_offset <= 128;
}

Status prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(reference::depthwise_conv_2d_prepare(context));
  auto* data = static_cast<OpData*>(context.allocate_persistent(sizeof(OpData)));
  if (data == nullptr) return context.arena_full_error();
  data->reference = context.op_data_as<DepthwiseOpData>();
  data->acc_scratch = -1;
  data->channels_checked = false;
  if (data->reference->type == DataType::kInt8 && fast_path(data->reference->params)) {
    const size_t bytes = static_cast<size_t>(data->reference->params.output_depth) * sizeof(int32_t);
    EI_RETURN_IF_ERROR(context.request_scratch(bytes, &data->acc_scratch));
    const DepthwiseOpData& d = *data->reference;
    data->channels_checked = true;
    for (int c = 0; c < d.params.output_depth; ++c) {
      if (d.multipliers[c] < 0 || d.shifts[c] > 0) data->channels_checked = false;
    }
  }
  context.set_op_data(data);
  return Status::ok();
}

Status eval(KernelContext& context) {
  const OpData& data = *context.op_data_as<OpData>();
  const DepthwiseOpData& d = *data.reference;
  if (data.acc_scratch < 0) return reference::depthwise_conv_2d_eval(context, d);
  const Tensor input = context.input(0);
  const Tensor filter = context.input(1);
  const Tensor output = context.output(0);
  const void* bias = reference::bias_data(context, d.bias_source);
  depthwise_int8(d.params, d.multipliers, d.shifts, data.channels_checked, input.data_as<const int8_t>(),
                 filter.data_as<const int8_t>(), static_cast<const int32_t*>(bias), output.data_as<int8_t>(),
                 static_cast<int32_t*>(context.scratch(data.acc_scratch)));
  return Status::ok();
}

}  // namespace

const Kernel& depthwise_conv_2d() {
  static const Kernel kernel = {"cortex_m/depthwise_conv_2d", prepare, eval};
  return kernel;
}

}  // namespace cortex_m
}  // namespace edgeinfer
