#include "kernels/reference/maximum_minimum.h"

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {
namespace {

Status maximum_minimum_prepare(KernelContext& context) {
  BinaryBroadcast broadcast;
  EI_RETURN_IF_ERROR(prepare_binary_op(
      context, {DataType::kFloat32, DataType::kInt8, DataType::kInt16, DataType::kInt32, DataType::kInt64},
      &broadcast));
  return store_op_data(context, broadcast);
}

template <bool kMaximum, class T>
void run(const BinaryBroadcast& b, const Tensor& input1, const Tensor& input2, const Tensor& output) {
  (kMaximum ? elementwise_maximum<T> : elementwise_minimum<T>)(b, input1.data_as<const T>(),
                                                               input2.data_as<const T>(),
                                                               output.data_as<T>());
}

template <bool kMaximum>
Status maximum_minimum_eval(KernelContext& context) {
  const auto& b = *context.op_data_as<BinaryBroadcast>();
  const Tensor input1 = context.input(0);
  const Tensor input2 = context.input(1);
  const Tensor output = context.output(0);
  switch (output.type) {
    case DataType::kFloat32: run<kMaximum, float>(b, input1, input2, output); break;
    case DataType::kInt8: run<kMaximum, int8_t>(b, input1, input2, output); break;
    case DataType::kInt16: run<kMaximum, int16_t>(b, input1, input2, output); break;
    case DataType::kInt32: run<kMaximum, int32_t>(b, input1, input2, output); break;
    case DataType::kInt64: run<kMaximum, int64_t>(b, input1, input2, output); break;
    default:
      return Status::error(StatusCode::kInternal, "type %s was not prepared", data_type_name(output.type));
  }
  return Status::ok();
}

}  // namespace

const Kernel& maximum() {
  static const Kernel kernel = {"reference/maximum", maximum_minimum_prepare, maximum_minimum_eval<true>};
  return kernel;
}

const Kernel& minimum() {
  static const Kernel kernel = {"reference/minimum", maximum_minimum_prepare, maximum_minimum_eval<false>};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
