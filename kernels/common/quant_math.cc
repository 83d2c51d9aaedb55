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

namespace {

// The real interval a fused activation clamps to, one side open where it has no limit. False for
// activations that are not a clamp (tanh, sign bit).
struct ActivationBounds {
  bool has_min = false;
  bool has_max = false;
  float min = 0.0f;
  float max = 0.0f;
};

bool activation_bounds(FusedActivation activation, ActivationBounds* bounds) {
  switch (activation) {
    case FusedActivation::kNone: *bounds = {false, false, 0.0f, 0.0f}; return true;
    case FusedActivation::kRelu: *bounds = {true, false, 0.0f, 0.0f}; return true;
    case FusedActivation::kRelu6: *bounds = {true, true, 0.0f, 6.0f}; return true;
    case FusedActivation::kReluN1To1: *bounds = {true, true, -1.0f, 1.0f}; return true;
    default: return false;
  }
}

Status unsupported_activation(FusedActivation activation, const char* outputs) {
  return Status::error(StatusCode::kUnsupported, "fused activation %d is not supported%s",
                       static_cast<int>(activation), outputs);
}

}  // namespace

Status activation_range_quantized(FusedActivation activation, DataType output_type, float output_scale,
                                  int32_t output_zero_point, int32_t* min, int32_t* max) {
  ActivationBounds bounds;
  if (!activation_bounds(activation, &bounds))
    return unsupported_activation(activation, " on quantized outputs");
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
  *min = bounds.has_min && quantize(bounds.min) > qmin ? quantize(bounds.min) : qmin;
  *max = bounds.has_max && quantize(bounds.max) < qmax ? quantize(bounds.max) : qmax;
  return Status::ok();
}

Status activation_range_float(FusedActivation activation, float* min, float* max) {
  ActivationBounds bounds;
  if (!activation_bounds(activation, &bounds)) return unsupported_activation(activation, "");
  *min = bounds.has_min ? bounds.min : std::numeric_limits<float>::lowest();
  *max = bounds.has_max ? bounds.max : std::numeric_limits<float>::max();
  return Status::ok();
}

Status activation_range_int32(FusedActivation activation, int32_t* min, int32_t* max) {
  ActivationBounds bounds;
  if (!activation_bounds(activation, &bounds)) return unsupported_activation(activation, " on int32 outputs");
  *min = bounds.has_min ? static_cast<int32_t>(bounds.min) : std::numeric_limits<int32_t>::min();
  *max = bounds.has_max ? static_cast<int32_t>(bounds.max) : std::numeric_limits<int32_t>::max();
  return Status::ok();
}

bool checked_log2(float x, int* log2) {
  const float x_log2 = std::log(x) * (1.0f / std::log(2.0f));
  const float rounded = std::round(x_log2);
  *log2 = static_cast<int>(rounded);
  return std::abs(x_log2 - rounded) < 1e-3f;
}

}  // namespace edgeinfer
