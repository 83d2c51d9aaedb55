#include "kernels/reference/signal/filter_bank_log.h"

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"
#include "kernels/reference/signal/signal_math.h"
#include "kernels/reference/signal/signal_op_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

void filter_bank_log_apply(const uint32_t* input, int32_t count, int32_t output_scale,
                           int32_t correction_bits, int16_t* output) {
  constexpr uint32_t kMax = INT16_MAX;
  for (int32_t i = 0; i < count; ++i) {
    const uint32_t scaled = input[i] << correction_bits;
    if (scaled <= 1) {
      output[i] = 0;  // log of 0 or 1
      continue;
    }
    const uint32_t value = log_scaled(scaled, static_cast<uint32_t>(output_scale));
    output[i] = static_cast<int16_t>(value < kMax ? value : kMax);
  }
}

namespace {

struct FilterBankLogOpData {
  int32_t output_scale;
  int32_t correction_bits;
  int32_t count;
};

Status filter_bank_log_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(input, "input", 1));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt16}));
  EI_RETURN_IF_ERROR(check_rank(output, "output", 1));
  EI_RETURN_IF_ERROR(check_element_count(output, "output", input.num_elements(), "the input"));

  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  FilterBankLogOpData data = {};
  EI_RETURN_IF_ERROR(read_int_option(options, "input_correction_bits", 0, 31, &data.correction_bits));
  EI_RETURN_IF_ERROR(options.get_int32("output_scale", &data.output_scale));
  data.count = static_cast<int32_t>(input.num_elements());
  return store_op_data(context, data);
}

Status filter_bank_log_eval(KernelContext& context) {
  const auto* data = context.op_data_as<FilterBankLogOpData>();
  filter_bank_log_apply(context.input(0).data_as<const uint32_t>(), data->count, data->output_scale,
                        data->correction_bits, context.output(0).data_as<int16_t>());
  return Status::ok();
}

}  // namespace

const Kernel& filter_bank_log() {
  static const Kernel kernel = {"reference/signal_filter_bank_log", filter_bank_log_prepare,
                                filter_bank_log_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
