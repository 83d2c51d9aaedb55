#include "kernels/reference/signal/overlap_add.h"

#include <cstring>

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

namespace {

inline void accumulate(const int16_t* input, int32_t size, int16_t* accumulator) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t sum = int32_t{input[i]} + accumulator[i];
    accumulator[i] = static_cast<int16_t>(sum < INT16_MIN ? INT16_MIN : sum > INT16_MAX ? INT16_MAX : sum);
  }
}

inline void accumulate(const float* input, int32_t size, float* accumulator) {
  for (int32_t i = 0; i < size; ++i) accumulator[i] += input[i];
}

template <class T>
void overlap_add(const T* input, int32_t frames, int32_t frame_size, int32_t frame_step, T* accumulator,
                 T* output) {
  for (int32_t frame = 0; frame < frames; ++frame) {
    accumulate(input + static_cast<int64_t>(frame) * frame_size, frame_size, accumulator);
    std::memcpy(output + static_cast<int64_t>(frame) * frame_step, accumulator, sizeof(T) * frame_step);
    std::memmove(accumulator, accumulator + frame_step, sizeof(T) * (frame_size - frame_step));
    std::memset(accumulator + (frame_size - frame_step), 0, sizeof(T) * frame_step);
  }
}

}  // namespace

void overlap_add_int16(const int16_t* input, int32_t frames, int32_t frame_size, int32_t frame_step,
                       int16_t* accumulator, int16_t* output) {
  overlap_add(input, frames, frame_size, frame_step, accumulator, output);
}

void overlap_add_float(const float* input, int32_t frames, int32_t frame_size, int32_t frame_step,
                       float* accumulator, float* output) {
  overlap_add(input, frames, frame_size, frame_step, accumulator, output);
}

namespace {

struct OverlapAddOpData {
  int32_t frame_size;
  int32_t frame_step;
  int32_t frames;
  int64_t rows;
  void* accumulators;  // rows x frame_size values of the tensor type, zero at first
  size_t bytes;        // of the accumulators
};

Status overlap_add_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kInt16, DataType::kFloat32}));
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  EI_RETURN_IF_ERROR(check_min_rank(input, "input", 2));
  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  EI_RETURN_IF_ERROR(check_type_option(options, input.type));
  OverlapAddOpData data{};
  data.frame_size = input.shape.dim_from_end(1);
  data.frames = input.shape.dim_from_end(2);
  if (data.frame_size < 1) {
    return Status::error(StatusCode::kInvalidModel, "input frames have %ld samples",
                         static_cast<long>(data.frame_size));
  }
  // TFLM moves frame_size - frame_step samples, so frame_step must not exceed frame_size.
  EI_RETURN_IF_ERROR(read_int_option(options, "frame_step", 1, data.frame_size, &data.frame_step));
  if (int64_t{data.frames} * data.frame_step > INT32_MAX) {
    return Status::error(StatusCode::kInvalidModel, "%ld frames of step %ld overflow the output",
                         static_cast<long>(data.frames), static_cast<long>(data.frame_step));
  }
  Shape expected = input.shape;
  --expected.rank;
  expected.dims[expected.rank - 1] = data.frames * data.frame_step;
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));
  data.rows = input.shape.product(0, input.shape.rank - 2);
  const int64_t bytes = data.rows * data.frame_size * static_cast<int64_t>(data_type_size(input.type));
  if (bytes > INT32_MAX) {
    return Status::error(StatusCode::kUnsupported, "the accumulators would need %lld bytes",
                         static_cast<long long>(bytes));
  }
  // Persistent memory comes zeroed: TFLM's initial state.
  data.bytes = static_cast<size_t>(bytes);
  data.accumulators = context.allocate_persistent(data.bytes);
  if (data.accumulators == nullptr && bytes > 0) return context.arena_full_error();
  return store_op_data(context, data);
}

Status overlap_add_eval(KernelContext& context) {
  const auto* d = context.op_data_as<OverlapAddOpData>();
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const int64_t in_row = int64_t{d->frames} * d->frame_size;
  const int64_t out_row = int64_t{d->frames} * d->frame_step;
  for (int64_t r = 0; r < d->rows; ++r) {
    if (input.type == DataType::kInt16) {
      overlap_add_int16(input.data_as<const int16_t>() + r * in_row, d->frames, d->frame_size, d->frame_step,
                        static_cast<int16_t*>(d->accumulators) + r * d->frame_size,
                        output.data_as<int16_t>() + r * out_row);
    } else {
      overlap_add_float(input.data_as<const float>() + r * in_row, d->frames, d->frame_size, d->frame_step,
                        static_cast<float*>(d->accumulators) + r * d->frame_size,
                        output.data_as<float>() + r * out_row);
    }
  }
  return Status::ok();
}

// TFLM's Reset: accumulators back to zero.
Status overlap_add_reset_state(KernelContext& context) {
  const auto* d = context.op_data_as<OverlapAddOpData>();
  if (d->bytes > 0) std::memset(d->accumulators, 0, d->bytes);
  return Status::ok();
}

}  // namespace

const Kernel& overlap_add() {
  static const Kernel kernel = {"reference/signal_overlap_add", overlap_add_prepare, overlap_add_eval,
                                overlap_add_reset_state};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
