#include "kernels/reference/signal/fft_prepare.h"

#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

Status check_fft_op(KernelContext& context, int32_t* fft_length) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kInt16, DataType::kInt32, DataType::kFloat32}));
  EI_RETURN_IF_ERROR(check_same_type(output, "output", input, "input"));
  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  EI_RETURN_IF_ERROR(check_type_option(options, input.type));
  EI_RETURN_IF_ERROR(options.get_int32("fft_length", fft_length));
  if (!is_supported_fft_length(*fft_length)) {
    return Status::error(StatusCode::kUnsupported, "fft_length %ld is not a power of two from %ld to %ld",
                         static_cast<long>(*fft_length), static_cast<long>(kMinFftLength),
                         static_cast<long>(kMaxFftLength));
  }
  return check_min_rank(input, "input", 1);
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
