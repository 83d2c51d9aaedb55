#include "kernels/reference/shape.h"

#include <cstring>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {

void shape_values(const Shape& input, DataType output_type, void* output) {
  uint8_t* out = static_cast<uint8_t*>(output);
  for (int i = 0; i < input.rank; ++i) {
    if (output_type == DataType::kInt64) {
      const int64_t v = input.dims[i];
      std::memcpy(out + i * 8, &v, 8);
    } else {
      const int32_t v = input.dims[i];
      std::memcpy(out + i * 4, &v, 4);
    }
  }
}

namespace {

Status shape_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt32, DataType::kInt64}));
  if (const auto* options = context.op()->builtin_options_as_ShapeOptions()) {
    // out_type defaults to int32 (0 is float32 in the enum, which TensorFlow Lite reads as "unset").
    const auto out_type = static_cast<DataType>(options->out_type());
    if (out_type != DataType::kFloat32 && out_type != output.type)
      return Status::error(StatusCode::kInvalidModel, "out_type is %s, output has type %s",
                           data_type_name(out_type), data_type_name(output.type));
  }
  Shape expected;
  expected.rank = 1;
  expected.dims[0] = input.shape.rank;
  return check_shape(output.shape, "output", expected);
}

Status shape_eval(KernelContext& context) {
  const Tensor output = context.output(0);
  shape_values(context.input(0).shape, output.type, output.data);
  return Status::ok();
}

}  // namespace

const Kernel& shape() {
  static const Kernel kernel = {"reference/shape", shape_prepare, shape_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
