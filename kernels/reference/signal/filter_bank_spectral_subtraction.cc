#include "kernels/reference/signal/filter_bank_spectral_subtraction.h"

#include <cstring>

#include "edgeinfer/kernels.h"
#include "kernels/common/flexbuffer_map.h"
#include "kernels/common/op_checks.h"
#include "kernels/reference/signal/signal_checks.h"
#include "kernels/reference/signal/signal_op_checks.h"

namespace edgeinfer {
namespace reference {
namespace signal {

void spectral_subtraction(const SpectralSubtractionParams& p, const uint32_t* input, uint32_t* output,
                          uint32_t* noise_estimate) {
  for (int32_t i = 0; i < p.num_channels; ++i) {
    const bool odd = (i & 1) != 0;
    const uint64_t smoothing = odd ? p.alternate_smoothing : p.smoothing;
    const uint64_t keep = odd ? p.alternate_one_minus_smoothing : p.one_minus_smoothing;
    const uint32_t signal = input[i] << p.smoothing_bits;
    noise_estimate[i] =
        static_cast<uint32_t>((signal * smoothing + noise_estimate[i] * keep) >> p.spectral_subtraction_bits);
    // The subtraction must not go below zero.
    uint32_t estimate = noise_estimate[i];
    if (estimate > signal) {
      estimate = signal;
      if (p.clamping) noise_estimate[i] = estimate;
    }
    const uint32_t floor = static_cast<uint32_t>((static_cast<uint64_t>(input[i]) * p.min_signal_remaining) >>
                                                 p.spectral_subtraction_bits);
    const uint32_t subtracted = (signal - estimate) >> p.smoothing_bits;
    output[i] = subtracted > floor ? subtracted : floor;
  }
}

namespace {

struct SpectralSubtractionOpData {
  SpectralSubtractionParams params;
  uint32_t* noise_estimate;  // num_channels values, persistent
  int32_t noise_output_count;
};

// Options TFLM stores as int32 and reinterprets as uint32.
Status read_coefficient(const FlexbufferMap& map, const char* key, uint32_t* value) {
  int32_t v = 0;
  EI_RETURN_IF_ERROR(map.get_int32(key, &v));
  *value = static_cast<uint32_t>(v);
  return Status::ok();
}

Status spectral_subtraction_prepare(KernelContext& context) {
  EI_RETURN_IF_ERROR(check_tensor_counts(context, 1, 1, 2));
  const Tensor input = context.input(0);
  const Tensor output = context.output(0);
  const Tensor noise = context.output(1);
  EI_RETURN_IF_ERROR(check_type(input, "input", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(input, "input", 1));
  EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(output, "output", 1));
  EI_RETURN_IF_ERROR(check_type(noise, "noise estimate output", {DataType::kUInt32}));
  EI_RETURN_IF_ERROR(check_rank(noise, "noise estimate output", 1));

  FlexbufferMap options;
  EI_RETURN_IF_ERROR(read_custom_options(context, &options));
  SpectralSubtractionOpData data = {};
  SpectralSubtractionParams& p = data.params;
  EI_RETURN_IF_ERROR(read_int_option(options, "num_channels", 1, INT32_MAX, &p.num_channels));
  EI_RETURN_IF_ERROR(read_coefficient(options, "smoothing", &p.smoothing));
  EI_RETURN_IF_ERROR(read_coefficient(options, "one_minus_smoothing", &p.one_minus_smoothing));
  EI_RETURN_IF_ERROR(read_coefficient(options, "alternate_smoothing", &p.alternate_smoothing));
  EI_RETURN_IF_ERROR(
      read_coefficient(options, "alternate_one_minus_smoothing", &p.alternate_one_minus_smoothing));
  EI_RETURN_IF_ERROR(read_coefficient(options, "min_signal_remaining", &p.min_signal_remaining));
  EI_RETURN_IF_ERROR(read_int_option(options, "smoothing_bits", 0, 31, &p.smoothing_bits));
  EI_RETURN_IF_ERROR(
      read_int_option(options, "spectral_subtraction_bits", 0, 63, &p.spectral_subtraction_bits));
  EI_RETURN_IF_ERROR(options.get_bool("clamping", &p.clamping));

  // TFLM reads num_channels inputs (a longer input's tail is ignored), writes num_channels outputs, and
  // copies the noise output's size worth of its num_channels estimates.
  EI_RETURN_IF_ERROR(check_min_element_count(input, "input", p.num_channels, "num_channels"));
  EI_RETURN_IF_ERROR(check_element_count(output, "output", p.num_channels, "num_channels"));
  if (noise.num_elements() > p.num_channels) {
    return Status::error(StatusCode::kInvalidModel,
                         "noise estimate output has %lld elements, more than num_channels %d",
                         static_cast<long long>(noise.num_elements()), static_cast<int>(p.num_channels));
  }
  data.noise_output_count = static_cast<int32_t>(noise.num_elements());

  // The estimate starts at zero (allocate_persistent zeroes it).
  data.noise_estimate = static_cast<uint32_t*>(
      context.allocate_persistent(static_cast<size_t>(p.num_channels) * sizeof(uint32_t)));
  if (data.noise_estimate == nullptr) return context.arena_full_error();
  return store_op_data(context, data);
}

// Interpreter::reset_state(): the noise estimate starts from zero again, as after prepare() (TFLM's Reset).
Status spectral_subtraction_reset_state(KernelContext& context) {
  const auto* data = context.op_data_as<SpectralSubtractionOpData>();
  std::memset(data->noise_estimate, 0, static_cast<size_t>(data->params.num_channels) * sizeof(uint32_t));
  return Status::ok();
}

Status spectral_subtraction_eval(KernelContext& context) {
  const auto* data = context.op_data_as<SpectralSubtractionOpData>();
  spectral_subtraction(data->params, context.input(0).data_as<const uint32_t>(),
                       context.output(0).data_as<uint32_t>(), data->noise_estimate);
  if (data->noise_output_count > 0) {
    std::memcpy(context.output(1).data, data->noise_estimate,
                static_cast<size_t>(data->noise_output_count) * sizeof(uint32_t));
  }
  return Status::ok();
}

}  // namespace

const Kernel& filter_bank_spectral_subtraction() {
  static const Kernel kernel = {"reference/signal_filter_bank_spectral_subtraction",
                                spectral_subtraction_prepare, spectral_subtraction_eval,
                                spectral_subtraction_reset_state};
  return kernel;
}

}  // namespace signal
}  // namespace reference
}  // namespace edgeinfer
