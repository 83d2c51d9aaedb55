#include "kernels/reference/signal/energy.h"

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

void spectrum_energy(const Complex<int16_t>* input, int32_t size, int32_t start, int32_t end,
                     uint32_t* output) {
  for (int32_t i = 0; i < start; ++i) output[i] = 0;
  for (int32_t i = start; i < end; ++i) {
    const int32_t real = input[i].real;
    const int32_t imag = input[i].imag;
    // Both squares fit int32; their sum can reach 2^31 (both -32768), which TFLM's int32 sum wraps and
    // stores as uint32: adding in uint32 gives the same bits without overflow.
    output[i] = static_cast<uint32_t>(real * real) + static_cast<uint32_t>(imag * imag);
  }
  for (int32_t i = end; i < size; ++i) output[i] = 0;
}

namespace {

struct EnergyOpData {
  int32_t size;
  int32_t start;
  int32_t end;
};

Status energy_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(input, "input", 1));
  EI_RETURN_IF_ERROR(check_rank(output, "output", 1));
  const int32_t values = input.shape.dim(0);
  if (values % 2 != 0) {
    return Status::error(StatusCode::kInvalidModel, "input has %ld values, not whole complex bins",
                         static_cast<long>(values));
  }
  const int32_t size = values / 2;
  if (output.shape.dim(0) != size) {
    return Status::error(StatusCode::kInvalidModel, "output has %ld elements, the input %ld complex bins",
                         static_cast<long>(output.shape.dim(0)), static_cast<long>(size));
  }
  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  EnergyOpData data{size, 0, 0};
  EI_RETURN_IF_ERROR(read_int_option(options, "start_index", 0, size, &data.start));
  EI_RETURN_IF_ERROR(read_int_option(options, "end_index", data.start, size, &data.end));
  return store_op_data(context, data);
}

Status energy_eval(KernelContext& context) {
  const auto* d = context.op_data_as<EnergyOpData>();
  spectrum_energy(context.input(0).data_as<const Complex<int16_t>>(), d->size, d->start, d->end,
                  context.output(0).data_as<uint32_t>());
  return Status::ok();
}

}  // namespace

const Kernel& energy() {
  static const Kernel kernel = {"reference/signal_energy", energy_prepare, energy_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
