#include "kernels/reference/signal/filter_bank_square_root.h"

#include "edgeinfer/kernels.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"
#include "kernels/reference/signal/signal_math.h"
#include "kernels/reference/signal/signal_op_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

void filter_bank_sqrt(const uint64_t* input, int32_t count, int32_t scale_bits, uint32_t* output) {
  for (int32_t i = 0; i < count; ++i) output[i] = sqrt64(input[i]) >> scale_bits;
}

namespace {

constexpr int32_t kMaxScaleBits = 31;  // shifting the uint32 root further is undefined in TFLM

Status check_scale_bits(int32_t scale_bits) {
  if (scale_bits >= 0 && scale_bits <= kMaxScaleBits) return Status::ok();
  return Status::error(StatusCode::kInvalidModel, "scale_bits is %d, expected 0 to %d",
                       static_cast<int>(scale_bits), static_cast<int>(kMaxScaleBits));
}

Status filter_bank_square_root_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 2, 2, 1));
  const Tensor input = context.input(0);
  const Tensor scale_bits = context.input(1);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kUInt64}));
  EI_RETURN_IF_ERROR(check_rank(input, "input", 1));
  EI_RETURN_IF_ERROR(check_type(scale_bits, "scale_bits", {DataType::kInt32}));
  EI_RETURN_IF_ERROR(check_rank(scale_bits, "scale_bits", 0));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(output, "output", 1));
  EI_RETURN_IF_ERROR(check_element_count(output, "output", input.num_elements(), "the input"));
  if (scale_bits.is_constant) EI_RETURN_IF_ERROR(check_scale_bits(*scale_bits.data_as<const int32_t>()));
  return Status::ok();
}

Status filter_bank_square_root_eval(KernelContext& context) {
  const Tensor input = context.input(0);
  const int32_t scale_bits = *context.input(1).data_as<const int32_t>();
  // A computed shift is only known now.
  EI_RETURN_IF_ERROR(check_scale_bits(scale_bits));
  filter_bank_sqrt(input.data_as<const uint64_t>(), static_cast<int32_t>(input.num_elements()), scale_bits,
                   context.output(0).data_as<uint32_t>());
  return Status::ok();
}

}  // namespace

const Kernel& filter_bank_square_root() {
  static const Kernel kernel = {"reference/signal_filter_bank_square_root", filter_bank_square_root_prepare,
                                filter_bank_square_root_eval};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
