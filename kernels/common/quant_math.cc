#include "kernels/common/quant_math.h"

#include <cmath>

namespace edgeinfer {

void quantize_multiplier(double real_multiplier, int32_t* multiplier, int* shift) {
  if (real_multiplier == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return;
  }
  const double fraction = std::frexp(real_multiplier, shift);
  int64_t fixed = static_cast<int64_t>(std::round(fraction * static_cast<double>(1ll << 31)));
  if (fixed == (1ll << 31)) {
    fixed /= 2;
    ++*shift;
  }
  if (*shift < -31) {
    *shift = 0;
    fixed = 0;
  }
  *multiplier = static_cast<int32_t>(fixed);
}

Status activation_range_quantized(FusedActivation activation, DataType output_type, float output_scale,
                                  int32_t output_zero_point, int32_t* min, int32_t* max) {
  const int32_t qmin = type_min(output_type);
  const int32_t qmax = type_max(output_type);
  // Clamped before the int32 conversion, which would be undefined for tiny scales; results inside the type's
  // range are unchanged.
  auto quantize = [&](float value) {
    const float steps = std::round(value / output_scale);
    const float limited = steps < -1e9f ? -1e9f : (steps > 1e9f ? 1e9f : steps);
    const int64_t q = static_cast<int64_t>(output_zero_point) + static_cast<int64_t>(limited);
    return static_cast<int32_t>(q < INT32_MIN ? INT32_MIN : (q > INT32_MAX ? INT32_MAX : q));
  };
  switch (activation) {
    case FusedActivation::kNone:
      *min = qmin;
      *max = qmax;
      return Status::ok();
    case FusedActivation::kRelu:
      *min = quantize(0.0f) > qmin ? quantize(0.0f) : qmin;
      *max = qmax;
      return Status::ok();
    case FusedActivation::kRelu6:
      *min = quantize(0.0f) > qmin ? quantize(0.0f) : qmin;
      *max = quantize(6.0f) < qmax ? quantize(6.0f) : qmax;
      return Status::ok();
    case FusedActivation::kReluN1To1:
      *min = quantize(-1.0f) > qmin ? quantize(-1.0f) : qmin;
      *max = quantize(1.0f) < qmax ? quantize(1.0f) : qmax;
      return Status::ok();
    default:
      return Status::error(StatusCode::kUnsupported, "fused activation %d is not supported on quantized outputs",
                           static_cast<int>(activation));
  }
}

Status activation_range_float(FusedActivation activation, float* min, float* max) {
  switch (activation) {
    case FusedActivation::kNone:
      *min = std::numeric_limits<float>::lowest();
      *max = std::numeric_limits<float>::max();
      return Status::ok();
    case FusedActivation::kRelu:
      *min = 0.0f;
      *max = std::numeric_limits<float>::max();
      return Status::ok();
    case FusedActivation::kRelu6:
      *min = 0.0f;
      *max = 6.0f;
      return Status::ok();
    case FusedActivation::kReluN1To1:
      *min = -1.0f;
      *max = 1.0f;
      return Status::ok();
    default:
      return Status::error(StatusCode::kUnsupported, "fused activation %d is not supported",
                           static_cast<int>(activation));
  }
}

}  // namespace edgeinfer
