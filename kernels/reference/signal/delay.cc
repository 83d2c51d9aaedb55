#include "kernels/reference/signal/delay.h"

#include <cstddef>

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"
#include "kernels/reference/signal/signal_op_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

void delay_reset(DelayState* state) {
  for (int32_t r = 0; r < state->rows; ++r) {
    fifo_reset(&state->lines[r]);
    fifo_write_zeros(&state->lines[r], state->delay_length);
  }
}

void delay_process(DelayState* state, const int16_t* input, int16_t* output) {
  const int32_t n = state->frame_size;
  for (int32_t r = 0; r < state->rows; ++r) {
    SampleFifo* line = &state->lines[r];
    const ptrdiff_t offset = static_cast<ptrdiff_t>(r) * n;
    fifo_write(line, input + offset, n);
    fifo_peek(*line, n, output + offset);
    fifo_discard(line, n);
  }
}

namespace {

// Delay lines beyond this many samples in total are refused before any size arithmetic can overflow.
constexpr int64_t kMaxStateSamples = int64_t{1} << 30;

Status delay_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt16}));
  if (input.shape.rank < 1)
    return Status::error(StatusCode::kInvalidModel, "input is a scalar, expected rank >= 1");
  const int32_t frame_size = input.shape.dim_from_end(1);
  if (frame_size <= 0) {
    return Status::error(StatusCode::kInvalidModel, "input's innermost dimension is %d, expected > 0",
                         static_cast<int>(frame_size));
  }
  EI_RETURN_IF_ERROR(check_element_count(output, "output", input.num_elements(), "the input"));

  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  int32_t delay_length = 0;
  EI_RETURN_IF_ERROR(read_int_option(options, "delay_length", 0, INT32_MAX, &delay_length));

  const int64_t rows = input.num_elements() / frame_size;
  const int64_t line_size = int64_t{frame_size} + delay_length;
  if (line_size > kMaxStateSamples || rows * line_size > kMaxStateSamples) {
    return Status::error(StatusCode::kUnsupported, "delay lines of %lld rows x %lld samples are too large",
                         static_cast<long long>(rows), static_cast<long long>(line_size));
  }

  auto* state = static_cast<DelayState*>(context.allocate_persistent(sizeof(DelayState)));
  if (state == nullptr) return context.arena_full_error();
  state->rows = static_cast<int32_t>(rows);
  state->frame_size = frame_size;
  state->delay_length = delay_length;
  if (rows > 0) {
    state->lines =
        static_cast<SampleFifo*>(context.allocate_persistent(static_cast<size_t>(rows) * sizeof(SampleFifo)));
    auto* samples = static_cast<int16_t*>(
        context.allocate_persistent(static_cast<size_t>(rows * line_size) * sizeof(int16_t)));
    if (state->lines == nullptr || samples == nullptr) return context.arena_full_error();
    for (int64_t r = 0; r < rows; ++r) {
      state->lines[r].data = samples + r * line_size;
      state->lines[r].capacity = static_cast<int32_t>(line_size);
    }
  }
  delay_reset(state);
  context.set_op_data(state);
  return Status::ok();
}

// Interpreter::reset_state(): back to delay_length zeros per row, as TFLM's Reset.
Status delay_reset_state(KernelContext& context) {
  delay_reset(context.op_data_as<DelayState>());
  return Status::ok();
}

Status delay_eval(KernelContext& context) {
  delay_process(context.op_data_as<DelayState>(), context.input(0).data_as<const int16_t>(),
                context.output(0).data_as<int16_t>());
  return Status::ok();
}

}  // namespace

const Kernel& delay() {
  static const Kernel kernel = {"reference/signal_delay", delay_prepare, delay_eval, delay_reset_state};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
