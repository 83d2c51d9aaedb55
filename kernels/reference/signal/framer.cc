#include "kernels/reference/signal/framer.h"

#include <cstring>

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

int64_t framer_capacity(const FramerParams& params) {
  const int64_t step = params.frame_step;
  return (params.frame_size + step - 1) / step * step;
}

void framer_reset(const FramerParams& params, const FramerRow& row) {
  std::memset(row.samples, 0, sizeof(int16_t) * static_cast<size_t>(framer_capacity(params)));
  *row.available = params.prefill ? params.frame_size - params.frame_step : 0;
}

bool framer_push(const FramerParams& params, const FramerRow& row, const int16_t* input, int32_t frames,
                 int16_t* output) {
  // A linear buffer holding the oldest sample first: the same frames as TFLM's circular buffer.
  const int32_t size = params.frame_size;
  const int32_t step = params.frame_step;
  bool valid = true;
  for (int32_t frame = 0; frame < frames; ++frame) {
    int32_t& available = *row.available;
    std::memcpy(row.samples + available, input + static_cast<int64_t>(frame) * step, sizeof(int16_t) * step);
    available += step;
    int16_t* out = output + static_cast<int64_t>(frame) * size;
    if (available >= size) {
      std::memcpy(out, row.samples, sizeof(int16_t) * size);
      std::memmove(row.samples, row.samples + step, sizeof(int16_t) * (available - step));
      available -= step;
    } else {
      std::memset(out, 0, sizeof(int16_t) * size);
      valid = false;
    }
  }
  return valid;
}

namespace {

struct FramerOpData {
  FramerParams params;
  int32_t frames;      // frame slots per row and invoke
  int32_t row_length;  // input samples per row and invoke
  int64_t rows;
  int64_t capacity;
  int16_t* samples;    // rows x capacity
  int32_t* available;  // rows
};

Status framer_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 2));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const Tensor valid = context.output(1);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(valid, "valid output", {DataType::kBool}));
  EI_RETURN_IF_ERROR(check_min_rank(input, "input", 1));
  if (input.shape.rank >= kMaxRank) {
    return Status::error(StatusCode::kUnsupported, "input has rank %d, the output would exceed rank %d",
                         static_cast<int>(input.shape.rank), kMaxRank);
  }
  EI_RETURN_IF_ERROR(check_rank(valid, "valid output", 0));

  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  FramerOpData data{};
  EI_RETURN_IF_ERROR(read_int_option(options, "frame_size", 1, INT32_MAX, &data.params.frame_size));
  EI_RETURN_IF_ERROR(read_int_option(options, "frame_step", 1, INT32_MAX, &data.params.frame_step));
  EI_RETURN_IF_ERROR(options.get_bool("prefill", &data.params.prefill));
  const int32_t size = data.params.frame_size;
  const int32_t step = data.params.frame_step;
  if (data.params.prefill && size < step) {
    // TFLM would prefill a negative number of zeros.
    return Status::error(StatusCode::kInvalidModel, "prefill needs frame_size (%ld) >= frame_step (%ld)",
                         static_cast<long>(size), static_cast<long>(step));
  }
  data.row_length = input.shape.dim_from_end(1);
  if (data.row_length < step || data.row_length % step != 0) {
    return Status::error(StatusCode::kInvalidModel,
                         "input rows have %ld samples, expected a positive multiple of frame_step %ld",
                         static_cast<long>(data.row_length), static_cast<long>(step));
  }
  data.frames = data.row_length / step;
  data.rows = input.num_elements() / data.row_length;
  Shape expected = input.shape;
  expected.dims[expected.rank - 1] = data.frames;
  expected.dims[expected.rank++] = size;
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", expected));

  data.capacity = framer_capacity(data.params);
  // The output tensor bounds rows x frame_size; the buffers need at most rows x (frame_size + frame_step).
  const int64_t sample_bytes = data.rows * data.capacity * static_cast<int64_t>(sizeof(int16_t));
  if (sample_bytes > INT32_MAX) {
    return Status::error(StatusCode::kUnsupported, "the framer's buffers would need %lld bytes",
                         static_cast<long long>(sample_bytes));
  }
  data.samples = static_cast<int16_t*>(context.allocate_persistent(static_cast<size_t>(sample_bytes)));
  data.available =
      static_cast<int32_t*>(context.allocate_persistent(static_cast<size_t>(data.rows) * sizeof(int32_t)));
  if ((data.samples == nullptr && sample_bytes > 0) || (data.available == nullptr && data.rows > 0)) {
    return context.arena_full_error();
  }
  for (int64_t r = 0; r < data.rows; ++r) {
    framer_reset(data.params, FramerRow{data.samples + r * data.capacity, data.available + r});
  }
  return store_op_data(context, data);
}

Status framer_eval(KernelContext& context) {
  const auto* d = context.op_data_as<FramerOpData>();
  const int16_t* input = context.input(0).data_as<const int16_t>();
  int16_t* output = context.output(0).data_as<int16_t>();
  bool valid = true;
  for (int64_t r = 0; r < d->rows; ++r) {
    const FramerRow row{d->samples + r * d->capacity, d->available + r};
    if (!framer_push(d->params, row, input + r * d->row_length, d->frames,
                     output + r * d->frames * d->params.frame_size)) {
      valid = false;
    }
  }
  *context.output(1).data_as<uint8_t>() = valid ? 1 : 0;
  return Status::ok();
}

// TFLM's Reset: every row back to its state after prepare().
Status framer_reset_state(KernelContext& context) {
  const auto* d = context.op_data_as<FramerOpData>();
  for (int64_t r = 0; r < d->rows; ++r) {
    framer_reset(d->params, FramerRow{d->samples + r * d->capacity, d->available + r});
  }
  return Status::ok();
}

}  // namespace

const Kernel& framer() {
  static const Kernel kernel = {"reference/signal_framer", framer_prepare, framer_eval, framer_reset_state};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
