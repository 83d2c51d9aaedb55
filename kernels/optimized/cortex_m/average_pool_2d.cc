// AVERAGE_POOL_2D for int8 on Cortex-M with the DSP extension, byte-exact with reference::average_pool_int8
// (TFLM's reference: the window clipped to the input, the average rounded half away from zero, then clamped).
//
// Four channels at a time: one 32-bit load per window element, SXTAB16 adds its bytes into two 16-bit lane
// pairs. A lane holds the exact sum while the window has at most 256 elements (|sum| <= 128 * 256 = 2^15);
// larger windows and the channels left over from the groups of four are summed one by one in int32.
#include "kernels/optimized/cortex_m/cortex_m_kernels.h"
#include "kernels/optimized/cortex_m/dsp.h"
#include "kernels/reference/pooling.h"

namespace edgeinfer {
namespace cortex_m {
namespace {

using reference::PoolParams;

// Windows of at most this many elements sum exactly in 16-bit lanes.
constexpr int kMaxLaneWindow = 256;

// The reference's rounding (count > 0) and clamp.
inline int8_t average(int32_t sum, int32_t count, int32_t min, int32_t max) {
  const int32_t rounded = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  return static_cast<int8_t>(rounded < min ? min : rounded > max ? max : rounded);
}

// Four channels' lane sums over `rows` x `cols` elements from `in` (rows `row_stride` apart, elements
// `depth` apart): channels {0, 2} in `*even`, {1, 3} in `*odd`.
[[gnu::noinline]] void sum4(const int8_t* in, int rows, int cols, int row_stride, int depth, uint32_t* even,
                            uint32_t* odd) {
  uint32_t sum_even = 0, sum_odd = 0;
  const int row_length = cols * depth;
  for (int r = 0; r < rows; ++r) {
    const int8_t* element = in;
    const int8_t* const row_end = in + row_length;
    do {
      const uint32_t word = load_u32(element);
      sum_even = sxtab16(sum_even, word);
      sum_odd = sxtab16_ror8(sum_odd, word);
      element += depth;
    } while (element != row_end);
    in += row_stride;
  }
  *even = sum_even;
  *odd = sum_odd;
}

void average_pool_int8_dsp(const PoolParams& params, const int8_t* input, int8_t* output) {
  const PoolParams p = params;  // a local copy: stores through int8_t* could alias the fields otherwise
  const int depth = p.depth;
  const int row_stride = p.in_width * depth;
  for (int b = 0; b < p.batches; ++b) {
    const int8_t* batch_input = input + b * p.in_height * row_stride;
    for (int out_y = 0; out_y < p.out_height; ++out_y) {
      // The window clipped to the input, as the reference's window_at() (prepare() keeps it non-empty).
      const int y_origin = out_y * p.stride_height - p.padding_height;
      const int y_begin = y_origin < 0 ? -y_origin : 0;
      const int y_end = p.filter_height < p.in_height - y_origin ? p.filter_height : p.in_height - y_origin;
      const int rows = y_end - y_begin;
      for (int out_x = 0; out_x < p.out_width; ++out_x) {
        const int x_origin = out_x * p.stride_width - p.padding_width;
        const int x_begin = x_origin < 0 ? -x_origin : 0;
        const int x_end = p.filter_width < p.in_width - x_origin ? p.filter_width : p.in_width - x_origin;
        const int cols = x_end - x_begin;
        const int count = rows * cols;
        const int8_t* window = batch_input + (y_origin + y_begin) * row_stride + (x_origin + x_begin) * depth;
        int c = 0;
        if (count <= kMaxLaneWindow) {
          for (; c + 4 <= depth; c += 4) {
            uint32_t even, odd;
            sum4(window + c, rows, cols, row_stride, depth, &even, &odd);
            output[c] = average(portable::low_half(even), count, p.quantized_min, p.quantized_max);
            output[c + 1] = average(portable::low_half(odd), count, p.quantized_min, p.quantized_max);
            output[c + 2] = average(portable::high_half(even), count, p.quantized_min, p.quantized_max);
            output[c + 3] = average(portable::high_half(odd), count, p.quantized_min, p.quantized_max);
          }
        }
        for (; c < depth; ++c) {
          int32_t sum = 0;
          const int8_t* row = window + c;
          for (int r = 0; r < rows; ++r, row += row_stride) {
            for (int k = 0; k < cols; ++k) sum += row[k * depth];
          }
          output[c] = average(sum, count, p.quantized_min, p.quantized_max);
        }
        output += depth;
      }
    }
  }
}

Status prepare(KernelContext& context) {
  return reference::average_pool_2d_prepare(context);
}

Status eval(KernelContext& context) {
  const Tensor input = context.input(0);
  if (input.type != DataType::kInt8) return reference::average_pool_2d_eval(context);
  average_pool_int8_dsp(*context.op_data_as<PoolParams>(), input.data_as<const int8_t>(),
                        context.output(0).data_as<int8_t>());
  return Status::ok();
}

}  // namespace

const Kernel& average_pool_2d() {
  static const Kernel kernel = {"cortex_m/average_pool_2d", prepare, eval};
  return kernel;
}

}  // namespace cortex_m
}  // namespace edgeinfer
