#include "kernels/reference/dequantize.h"

#include <cmath>
#include <limits>

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "kernels/common/float16.h"
#include "kernels/common/op_checks.h"
#include "kernels/common/quant_math.h"
#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {
namespace {

struct DequantizeOpData {
  DequantizeParams params;  // scale and zero point pointers refer to the model
};

Status dequantize_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 1));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(
      check_type(input, "input", {DataType::kInt8, DataType::kUInt8, DataType::kInt16, DataType::kFloat16}));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kFloat32}));
  EI_RETURN_IF_ERROR(check_shape(output.shape, "output", input.shape));
  if (input.num_elements() > std::numeric_limits<int32_t>::max())
    return Status::error(StatusCode::kUnsupported, "input has more than 2^31 - 1 elements");
  DequantizeParams params;
  params.count = static_cast<int32_t>(input.num_elements());
  const Quantization& quant = input.quant;
  if (input.type == DataType::kFloat16) {
    // float16 -> float32 (TFLite's float16 weights): exact widening, no quantization parameters.
  } else if (!quant.is_per_channel()) {
    EI_RETURN_IF_ERROR(check_per_tensor_quantization(input, "input"));
    params.inner = params.count;  // one channel: a single loop
  } else {
    const int axis = quant.quantized_dimension;
    if (quant.scales == nullptr) return Status::error(StatusCode::kInvalidModel, "input has no scales");
    if (axis < 0 || axis >= input.shape.rank || input.shape.dims[axis] != quant.count)
      return Status::error(StatusCode::kInvalidModel,
                           "input has %d scales along dimension %d, which does not match its shape",
                           static_cast<int>(quant.count), axis);
    for (int c = 0; c < quant.count; ++c) {
      if (!(quant.scales[c] > 0.0f) || !std::isfinite(quant.scales[c]))
        return Status::error(StatusCode::kInvalidModel, "input scale %d is not a finite positive number", c);
      const int64_t zero_point = quant.zero_points ? quant.zero_points[c] : 0;
      if (zero_point < type_min(input.type) || zero_point > type_max(input.type))
        return Status::error(StatusCode::kInvalidModel, "input zero point %d is %ld, outside %s", c,
                             static_cast<long>(zero_point), data_type_name(input.type));
    }
    params.channels = quant.count;
    params.inner = static_cast<int32_t>(input.shape.product(axis + 1, input.shape.rank));
  }
  params.scales = quant.scales;
  params.zero_points = quant.zero_points;
  auto* data = static_cast<DequantizeOpData*>(context.allocate_persistent(sizeof(DequantizeOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->params = params;
  context.set_op_data(data);
  return Status::ok();
}

Status dequantize_eval(KernelContext& context) {
  const DequantizeParams& params = context.op_data_as<DequantizeOpData>()->params;
  const Tensor input = context.input(0);
  float* output = context.output(0).data_as<float>();
  switch (input.type) {
    case DataType::kInt8: dequantize(params, input.data_as<const int8_t>(), output); break;
    case DataType::kUInt8: dequantize(params, input.data_as<const uint8_t>(), output); break;
    case DataType::kInt16: dequantize(params, input.data_as<const int16_t>(), output); break;
    case DataType::kFloat16: {
      const uint16_t* halves = input.data_as<const uint16_t>();
      for (int32_t i = 0; i < params.count; ++i) output[i] = half_to_float(halves[i]);
      break;
    }
    default:
      return Status::error(StatusCode::kInternal, "type %s was not prepared", data_type_name(input.type));
  }
  return Status::ok();
}

}  // namespace

const Kernel& dequantize() {
  static const Kernel kernel = {"reference/dequantize", dequantize_prepare, dequantize_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
