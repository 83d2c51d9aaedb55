#include "kernels/reference/signal/pcan.h"

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"
#include "kernels/reference/signal/signal_math.h"
#include "kernels/reference/signal/signal_op_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

void pcan_apply(const uint32_t* input, const uint32_t* noise_estimate, const int16_t* gain_lut,
                int32_t snr_shift, int32_t count, uint32_t* output) {
  for (int32_t i = 0; i < count; ++i) {
    // The int16 gain widens to uint32 with its sign, as in TFLM.
    const uint32_t gain = static_cast<uint32_t>(static_cast<int32_t>(pcan_gain(noise_estimate[i], gain_lut)));
    const uint32_t snr = static_cast<uint32_t>((static_cast<uint64_t>(input[i]) * gain) >> snr_shift);
    output[i] = pcan_shrink(snr);
  }
}

namespace {

struct PcanOpData {
  int32_t snr_shift;
  int32_t count;
};

Status pcan_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 3, 3, 1));
  const Tensor input = context.input(0);
  const Tensor noise = context.input(1);
  const Tensor lut = context.input(2);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(input, "input", 1));
  EI_RETURN_IF_ERROR(check_type(noise, "noise estimate", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(noise, "noise estimate", 1));
  EI_RETURN_IF_ERROR(check_type(lut, "gain_lut", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_rank(lut, "gain_lut", 1));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(output, "output", 1));
  // One output and one noise estimate per input channel; any noise value may index the whole table.
  EI_RETURN_IF_ERROR(check_element_count(output, "output", input.num_elements(), "the input"));
  EI_RETURN_IF_ERROR(check_min_element_count(noise, "noise estimate", input.num_elements(), "the input"));
  EI_RETURN_IF_ERROR(check_min_element_count(lut, "gain_lut", kPcanGainLutSize, "the gain interpolation"));

  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  PcanOpData data = {};
  EI_RETURN_IF_ERROR(read_int_option(options, "snr_shift", 0, 63, &data.snr_shift));
  data.count = static_cast<int32_t>(input.num_elements());
  return store_op_data(context, data);
}

Status pcan_eval(KernelContext& context) {
  const auto* data = context.op_data_as<PcanOpData>();
  pcan_apply(context.input(0).data_as<const uint32_t>(), context.input(1).data_as<const uint32_t>(),
             context.input(2).data_as<const int16_t>(), data->snr_shift, data->count,
             context.output(0).data_as<uint32_t>());
  return Status::ok();
}

}  // namespace

const Kernel& pcan() {
  static const Kernel kernel = {"reference/signal_pcan", pcan_prepare, pcan_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
