#include "kernels/reference/quantize.h"

#include "edgeinfer/kernel.h"
#include "edgeinfer/kernels.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/elementwise_common.h"

namespace edgeinfer {
namespace reference {

Status make_requantize_params(AffineQuant input, AffineQuant output, RequantizeParams* params) {
  RequantizeParams p;
  p.input_zero_point = input.zero_point;
  p.output_zero_point = output.zero_point;
  const double real_multiplier = static_cast<double>(input.scale) / static_cast<double>(output.scale);
  EI_RETURN_IF_ERROR(quantize_multiplier_checked(real_multiplier, "requantization", &p.multiplier, &p.shift));
  *params = p;
  return Status::ok();
}

namespace {

struct QuantizeOpData;
using QuantizeRun = void (*)(const QuantizeOpData& data, const void* input, void* output);

struct QuantizeOpData {
  QuantizeRun run;
  int32_t count;
  float output_scale;
  int32_t output_zero_point;
  RequantizeParams requantize;
};

template <class Out>
void run_quantize(const QuantizeOpData& data, const void* input, void* output) {
  quantize_float(data.output_scale, data.output_zero_point, static_cast<const float*>(input), data.count,
                 static_cast<Out*>(output));
}

template <class In, class Out>
void run_requantize(const QuantizeOpData& data, const void* input, void* output) {
  requantize(data.requantize, static_cast<const In*>(input), data.count, static_cast<Out*>(output));
}

// The conversion for an (input, output) type pair; null when TFLM has none.
QuantizeRun select_run(DataType in, DataType out) {
  using T = DataType;
  if (in == T::kFloat32) {
    if (out == T::kInt8) return run_quantize<int8_t>;
    if (out == T::kInt16) return run_quantize<int16_t>;
  } else if (in == T::kInt8) {
    if (out == T::kInt8) return run_requantize<int8_t, int8_t>;
    if (out == T::kUInt8) return run_requantize<int8_t, uint8_t>;
    if (out == T::kInt16) return run_requantize<int8_t, int16_t>;
    if (out == T::kInt32) return run_requantize<int8_t, int32_t>;
  } else if (in == T::kUInt8) {
    if (out == T::kInt8) return run_requantize<uint8_t, int8_t>;
  } else if (in == T::kInt16) {
    if (out == T::kInt8) return run_requantize<int16_t, int8_t>;
    if (out == T::kInt16) return run_requantize<int16_t, int16_t>;
    if (out == T::kInt32) return run_requantize<int16_t, int32_t>;
  } else if (in == T::kInt32) {
    if (out == T::kInt8) return run_requantize<int32_t, int8_t>;
    if (out == T::kInt16) return run_requantize<int32_t, int16_t>;
  }
  return nullptr;
}

Status quantize_prepare(KernelContext& context) {
  QuantizeOpData data = {};
  EI_RETURN_IF_ERROR(prepare_conversion(context, "QUANTIZE", select_run, &data.run, &data.count));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  EI_RETURN_IF_ERROR(check_per_tensor_quantization(output, "output"));
  data.output_scale = output.quant.scale();
  data.output_zero_point = output.quant.zero_point();
  if (input.type != DataType::kFloat32) {
    EI_RETURN_IF_ERROR(check_per_tensor_quantization(input, "input"));
    EI_RETURN_IF_ERROR(make_requantize_params(affine_quant(input), affine_quant(output), &data.requantize));
  }
  return store_op_data(context, data);
}

Status quantize_eval(KernelContext& context) {
  const auto& data = *context.op_data_as<QuantizeOpData>();
  data.run(data, context.input(0).data, context.output(0).data);
  return Status::ok();
}

}  // namespace

const Kernel& quantize() {
  static const Kernel kernel = {"reference/quantize", quantize_prepare, quantize_eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
