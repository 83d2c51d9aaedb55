#include "kernels/reference/signal/stacker.h"

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"
#include "kernels/reference/signal/signal_op_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

bool stacker_push(const StackerParams& p, StackerState* state, const int16_t* frame, int16_t* output) {
  SampleFifo* fifo = &state->fifo;
  fifo_write(fifo, frame, p.num_channels);
  if (!state->has_first_frame) {
    fifo_repeat_newest(fifo, p.num_channels, p.left_context);
    state->has_first_frame = true;
  }
  if (fifo->count < fifo->capacity) return false;
  fifo_peek(*fifo, fifo->capacity, output);
  fifo_discard(fifo, p.num_channels * p.step);
  return true;
}

namespace {

struct StackerOpData {
  StackerParams params;
  StackerState state;
};

Status stacker_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 2));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const Tensor valid = context.output(1);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_rank(input, "input", 1));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_rank(output, "output", 1));
  EI_RETURN_IF_ERROR(check_type(valid, "valid output", {DataType::kBool}));
  EI_RETURN_IF_ERROR(check_rank(valid, "valid output", 0));

  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  StackerParams p;
  EI_RETURN_IF_ERROR(read_int_option(options, "num_channels", 1, INT32_MAX, &p.num_channels));
  EI_RETURN_IF_ERROR(read_int_option(options, "stacker_left_context", 0, INT32_MAX, &p.left_context));
  EI_RETURN_IF_ERROR(read_int_option(options, "stacker_right_context", 0, INT32_MAX, &p.right_context));
  const int64_t frames = int64_t{p.left_context} + p.right_context + 1;
  // Discarding more than a stack would read frames that never arrived; zero would never free space.
  EI_RETURN_IF_ERROR(read_int_option(options, "stacker_step", 1,
                                     static_cast<int32_t>(frames < INT32_MAX ? frames : INT32_MAX), &p.step));
  const int64_t stack_size = frames * p.num_channels;
  // TFLM reads num_channels values (a longer input's tail is ignored) and writes whole stacks.
  EI_RETURN_IF_ERROR(check_min_element_count(input, "input", p.num_channels, "num_channels"));
  EI_RETURN_IF_ERROR(check_element_count(
      output, "output", stack_size, "num_channels * (stacker_left_context + stacker_right_context + 1)"));

  auto* data = static_cast<StackerOpData*>(context.allocate_persistent(sizeof(StackerOpData)));
  if (data == nullptr) return context.arena_full_error();
  // The output's size bounds stack_size, so these bytes fit size_t.
  auto* samples =
      static_cast<int16_t*>(context.allocate_persistent(static_cast<size_t>(stack_size) * sizeof(int16_t)));
  if (samples == nullptr) return context.arena_full_error();
  data->params = p;
  data->state.fifo.data = samples;
  data->state.fifo.capacity = static_cast<int32_t>(stack_size);
  fifo_reset(&data->state.fifo);
  data->state.has_first_frame = false;
  context.set_op_data(data);
  return Status::ok();
}

// Interpreter::reset_state(): empty, waiting for a first frame to pad with again (TFLM's Reset).
Status stacker_reset_state(KernelContext& context) {
  auto* data = context.op_data_as<StackerOpData>();
  fifo_reset(&data->state.fifo);
  data->state.has_first_frame = false;
  return Status::ok();
}

Status stacker_eval(KernelContext& context) {
  auto* data = context.op_data_as<StackerOpData>();
  const bool valid = stacker_push(data->params, &data->state, context.input(0).data_as<const int16_t>(),
                                  context.output(0).data_as<int16_t>());
  *context.output(1).data_as<bool>() = valid;
  return Status::ok();
}

}  // namespace

const Kernel& stacker() {
  static const Kernel kernel = {"reference/signal_stacker", stacker_prepare, stacker_eval,
                                stacker_reset_state};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
