#include "kernels/reference/svdf.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "edgeinfer/kernels.h"
#include "edgeinfer/schema/tflite_generated.h"
#include "kernels/common/op_checks.h"

namespace edgeinfer {
namespace reference {
namespace {

// Drops the oldest element of the whole state buffer; the last column of every filter is rewritten by
// the feature matmul right after, so shifting across filter boundaries is harmless (TFLM does the same).
template <class T>
void shift_state_left(const SvdfDims& dims, T* state) {
  const int64_t count = static_cast<int64_t>(dims.batch) * dims.num_filters * dims.memory_size;
  std::memmove(state, state + 1, static_cast<size_t>(count - 1) * sizeof(T));
}

// TFLM's ActivationValFloat (fmax / fmin, as its non-Zephyr TfLiteMax / TfLiteMin).
float apply_activation(FusedActivation activation, float x) {
  switch (activation) {
    case FusedActivation::kNone: return x;
    case FusedActivation::kRelu: return std::fmax(0.0f, x);
    case FusedActivation::kReluN1To1: return std::fmax(-1.0f, std::fmin(x, 1.0f));
    case FusedActivation::kRelu6: return std::fmax(0.0f, std::fmin(x, 6.0f));
    case FusedActivation::kTanh: return std::tanh(x);
    case FusedActivation::kSignBit: return std::signbit(x) ? 1.0f : 0.0f;
  }
  return 0.0f;
}

// Float arithmetic of the SVDF steps, in TFLM's operation order.
struct FloatArithmetic {
  float feature(float acc, float weight, float input) const { return acc + weight * input; }
  float to_state(float acc) const { return acc; }
  float time(float acc, float weight, float state) const { return acc + weight * state; }
  float add(float a, float b) const { return a + b; }
};

// Integer arithmetic of the SVDF steps: int32 accumulators that wrap as TFLM's do, states of type State.
template <class State>
struct IntegerArithmetic {
  const SvdfQuantParams& params;

  int32_t feature(int32_t acc, int8_t weight, int8_t input) const {
    return wrapping_add(
        acc, static_cast<int32_t>(weight) * (static_cast<int32_t>(input) - params.input_zero_point));
  }
  State to_state(int32_t acc) const {
    acc = multiply_by_quantized_multiplier(acc, params.feature_multiplier, params.feature_shift);
    acc = clamp_int(acc, std::numeric_limits<State>::min(), std::numeric_limits<State>::max());
    // TFLM adds the state zero point after the clamp and narrows without saturating (for int8 states
    // with a nonzero zero point the sum can wrap); kept for exactness.
    return static_cast<State>(params.state_zero_point + acc);
  }
  int32_t time(int32_t acc, State weight, State state) const {
    return wrapping_add(
        acc, static_cast<int32_t>(weight) * (static_cast<int32_t>(state) - params.state_zero_point));
  }
  int32_t add(int32_t a, int32_t b) const { return wrapping_add(a, b); }
};

// The steps float and quantized SVDF share, with `arithmetic`'s operations: shift the state, write the
// feature matmul into its newest column, convolve each filter's memory with its time weights (into
// `scratch`), then add the bias and the sum over each unit's `rank` filters (into `sums`).
template <class Arithmetic, class In, class State, class Acc>
void svdf_accumulate(const SvdfDims& dims, const Arithmetic& arithmetic, const In* input,
                     const In* weights_feature, const State* weights_time, const Acc* bias, State* state,
                     Acc* scratch, Acc* sums) {
  const int batch = dims.batch;
  const int input_size = dims.input_size;
  const int num_filters = dims.num_filters;
  const int num_units = dims.num_units;
  const int rank = dims.rank;
  const int memory = dims.memory_size;
  const int64_t state_per_batch = static_cast<int64_t>(num_filters) * memory;

  shift_state_left(dims, state);

  for (int b = 0; b < batch; ++b) {
    const In* input_row = input + static_cast<int64_t>(b) * input_size;
    for (int f = 0; f < num_filters; ++f) {
      const In* weights_row = weights_feature + static_cast<int64_t>(f) * input_size;
      Acc acc = 0;
      for (int c = 0; c < input_size; ++c) acc = arithmetic.feature(acc, weights_row[c], input_row[c]);
      state[b * state_per_batch + static_cast<int64_t>(f) * memory + (memory - 1)] = arithmetic.to_state(acc);
    }
  }

  for (int b = 0; b < batch; ++b) {
    const State* state_batch = state + b * state_per_batch;
    Acc* scratch_batch = scratch + static_cast<int64_t>(b) * num_filters;
    for (int f = 0; f < num_filters; ++f) {
      const State* time_row = weights_time + static_cast<int64_t>(f) * memory;
      const State* state_row = state_batch + static_cast<int64_t>(f) * memory;
      Acc acc = 0;
      for (int m = 0; m < memory; ++m) acc = arithmetic.time(acc, time_row[m], state_row[m]);
      scratch_batch[f] = acc;
    }
  }

  for (int b = 0; b < batch; ++b) {
    Acc* sums_batch = sums + static_cast<int64_t>(b) * num_units;
    for (int u = 0; u < num_units; ++u) sums_batch[u] = bias != nullptr ? bias[u] : Acc{0};
  }
  for (int b = 0; b < batch; ++b) {
    Acc* sums_batch = sums + static_cast<int64_t>(b) * num_units;
    const Acc* scratch_batch = scratch + static_cast<int64_t>(b) * num_filters;
    for (int u = 0; u < num_units; ++u) {
      for (int r = 0; r < rank; ++r)
        sums_batch[u] = arithmetic.add(sums_batch[u], scratch_batch[u * rank + r]);
    }
  }
}

template <class T>
void svdf_integer(const SvdfDims& dims, const SvdfQuantParams& params, const int8_t* input,
                  const int8_t* weights_feature, const T* weights_time, const int32_t* bias, T* state,
                  int32_t* scratch, int32_t* scratch_output, int8_t* output) {
  svdf_accumulate(dims, IntegerArithmetic<T>{params}, input, weights_feature, weights_time, bias, state,
                  scratch, scratch_output);
  const int64_t output_count = static_cast<int64_t>(dims.batch) * dims.num_units;
  for (int64_t i = 0; i < output_count; ++i) {
    const int32_t scaled =
        multiply_by_quantized_multiplier(scratch_output[i], params.time_multiplier, params.time_shift) +
        params.output_zero_point;
    output[i] = static_cast<int8_t>(clamp_int(scaled, -128, 127));
  }
}

}  // namespace

void svdf_float(const SvdfDims& dims, FusedActivation activation, const float* input,
                const float* weights_feature, const float* weights_time, const float* bias, float* state,
                float* scratch, float* output) {
  svdf_accumulate(dims, FloatArithmetic{}, input, weights_feature, weights_time, bias, state, scratch,
                  output);
  const int64_t output_count = static_cast<int64_t>(dims.batch) * dims.num_units;
  for (int64_t i = 0; i < output_count; ++i) output[i] = apply_activation(activation, output[i]);
}

void svdf_int8(const SvdfDims& dims, const SvdfQuantParams& params, const int8_t* input,
               const int8_t* weights_feature, const int16_t* weights_time, const int32_t* bias,
               int16_t* state, int32_t* scratch, int32_t* scratch_output, int8_t* output) {
  svdf_integer(dims, params, input, weights_feature, weights_time, bias, state, scratch, scratch_output,
               output);
}

void svdf_int8(const SvdfDims& dims, const SvdfQuantParams& params, const int8_t* input,
               const int8_t* weights_feature, const int8_t* weights_time, const int32_t* bias, int8_t* state,
               int32_t* scratch, int32_t* scratch_output, int8_t* output) {
  svdf_integer(dims, params, input, weights_feature, weights_time, bias, state, scratch, scratch_output,
               output);
}

// ---- Kernel glue ----

namespace {

constexpr int kInput = 0;
constexpr int kWeightsFeature = 1;
constexpr int kWeightsTime = 2;
constexpr int kBias = 3;
constexpr int kState = 4;

struct SvdfOpData {
  SvdfDims dims;
  SvdfQuantParams quant;
  FusedActivation activation;
  int scratch_index;
  int scratch_output_index;  // quantized only
};

Status check_rank(const Tensor& tensor, int rank, const char* what) {
  if (tensor.shape.rank != rank) {
    return Status::error(StatusCode::kInvalidModel, "%s must have rank %d, has rank %d", what, rank,
                         static_cast<int>(tensor.shape.rank));
  }
  return Status::ok();
}

Status check_dim(const Tensor& tensor, int axis, int64_t expected, const char* what) {
  if (tensor.shape.dims[axis] != expected) {
    return Status::error(StatusCode::kInvalidModel, "%s dimension %d is %d, expected %lld", what, axis,
                         static_cast<int>(tensor.shape.dims[axis]), static_cast<long long>(expected));
  }
  return Status::ok();
}

Status check_per_tensor(const Tensor& tensor, const char* what) {
  if (!tensor.quant.is_quantized() || tensor.quant.is_per_channel()) {
    return Status::error(StatusCode::kInvalidModel, "%s needs per-tensor quantization", what);
  }
  if (!(tensor.quant.scale() > 0.0f)) {
    return Status::error(StatusCode::kInvalidModel, "%s has a non-positive scale", what);
  }
  return Status::ok();
}

Status prepare(KernelContext& context) {
  if (context.num_inputs() != 5 || context.num_outputs() != 1) {
    return Status::error(StatusCode::kInvalidModel, "SVDF needs 5 inputs and 1 output, has %d and %d",
                         context.num_inputs(), context.num_outputs());
  }
  for (int i : {kInput, kWeightsFeature, kWeightsTime, kState}) {
    if (!context.has_input(i)) return Status::error(StatusCode::kInvalidModel, "input %d is missing", i);
  }
  const auto* options = context.op()->builtin_options_as_SVDFOptions();
  if (options == nullptr || options->rank() < 1) {
    return Status::error(StatusCode::kInvalidModel, "SVDF needs SVDFOptions with rank >= 1");
  }
  const Tensor input = context.input(kInput);
  const Tensor weights_feature = context.input(kWeightsFeature);
  const Tensor weights_time = context.input(kWeightsTime);
  const Tensor state = context.input(kState);
  const Tensor output = context.output(0);
  const bool has_bias = context.has_input(kBias);

  EI_RETURN_IF_ERROR(check_rank(input, 2, "input"));
  EI_RETURN_IF_ERROR(check_rank(weights_feature, 2, "weights_feature"));
  EI_RETURN_IF_ERROR(check_rank(weights_time, 2, "weights_time"));
  EI_RETURN_IF_ERROR(check_rank(state, 2, "activation state"));
  EI_RETURN_IF_ERROR(check_rank(output, 2, "output"));

  SvdfDims dims;
  dims.batch = input.shape.dims[0];
  dims.input_size = input.shape.dims[1];
  dims.num_filters = weights_feature.shape.dims[0];
  dims.rank = options->rank();
  dims.memory_size = weights_time.shape.dims[1];
  if (dims.batch < 1 || dims.input_size < 1 || dims.num_filters < 1 || dims.memory_size < 1) {
    return Status::error(StatusCode::kInvalidModel,
                         "empty SVDF (batch %d, input size %d, filters %d, memory %d)",
                         static_cast<int>(dims.batch), static_cast<int>(dims.input_size),
                         static_cast<int>(dims.num_filters), static_cast<int>(dims.memory_size));
  }
  if (dims.num_filters % dims.rank != 0) {
    return Status::error(StatusCode::kInvalidModel, "%d filters are not a multiple of rank %d",
                         static_cast<int>(dims.num_filters), static_cast<int>(dims.rank));
  }
  dims.num_units = dims.num_filters / dims.rank;

  EI_RETURN_IF_ERROR(check_dim(weights_feature, 1, dims.input_size, "weights_feature"));
  EI_RETURN_IF_ERROR(check_dim(weights_time, 0, dims.num_filters, "weights_time"));
  EI_RETURN_IF_ERROR(check_dim(output, 0, dims.batch, "output"));
  EI_RETURN_IF_ERROR(check_dim(output, 1, dims.num_units, "output"));
  EI_RETURN_IF_ERROR(check_dim(state, 0, dims.batch, "activation state"));
  EI_RETURN_IF_ERROR(
      check_dim(state, 1, static_cast<int64_t>(dims.memory_size) * dims.num_filters, "activation state"));
  if (!state.is_variable) {
    return Status::error(StatusCode::kInvalidModel, "activation state (tensor %d) must be a variable tensor",
                         static_cast<int>(state.index));
  }
  Tensor bias;
  if (has_bias) {
    bias = context.input(kBias);
    EI_RETURN_IF_ERROR(check_rank(bias, 1, "bias"));
    EI_RETURN_IF_ERROR(check_dim(bias, 0, dims.num_units, "bias"));
  }

  auto* data = static_cast<SvdfOpData*>(context.allocate_persistent(sizeof(SvdfOpData)));
  if (data == nullptr) return context.arena_full_error();
  data->dims = dims;
  data->quant = SvdfQuantParams{};
  data->activation = static_cast<FusedActivation>(options->fused_activation_function());
  data->scratch_output_index = -1;
  const int64_t filter_outputs = static_cast<int64_t>(dims.batch) * dims.num_filters;

  if (input.type == DataType::kFloat32) {
    EI_RETURN_IF_ERROR(check_type(weights_feature, "weights_feature", {DataType::kFloat32}));
    EI_RETURN_IF_ERROR(check_type(weights_time, "weights_time", {DataType::kFloat32}));
    EI_RETURN_IF_ERROR(check_type(state, "activation state", {DataType::kFloat32}));
    if (has_bias) EI_RETURN_IF_ERROR(check_type(bias, "bias", {DataType::kFloat32}));
    EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kFloat32}));
    switch (data->activation) {
      case FusedActivation::kNone:
      case FusedActivation::kRelu:
      case FusedActivation::kReluN1To1:
      case FusedActivation::kRelu6:
      case FusedActivation::kTanh:
      case FusedActivation::kSignBit: break;
      default:
        return Status::error(StatusCode::kUnsupported, "fused activation %d is not supported",
                             static_cast<int>(data->activation));
    }
    EI_RETURN_IF_ERROR(
        context.request_scratch(static_cast<size_t>(filter_outputs) * sizeof(float), &data->scratch_index));
  } else if (input.type == DataType::kInt8) {
    EI_RETURN_IF_ERROR(check_type(weights_feature, "weights_feature", {DataType::kInt8}));
    if (weights_time.type != DataType::kInt16 && weights_time.type != DataType::kInt8) {
      return Status::error(StatusCode::kUnsupported, "weights_time has type %s, expected int16 or int8",
                           data_type_name(weights_time.type));
    }
    // One element type for both: eval reads the state with the time weights' type.
    EI_RETURN_IF_ERROR(check_same_type(state, "activation state", weights_time, "weights_time"));
    if (has_bias) EI_RETURN_IF_ERROR(check_type(bias, "bias", {DataType::kInt32}));
    EI_RETURN_IF_ERROR(check_type(output, "output", {DataType::kInt8}));
    EI_RETURN_IF_ERROR(check_per_tensor(input, "input"));
    EI_RETURN_IF_ERROR(check_per_tensor(weights_feature, "weights_feature"));
    EI_RETURN_IF_ERROR(check_per_tensor(weights_time, "weights_time"));
    EI_RETURN_IF_ERROR(check_per_tensor(state, "activation state"));
    EI_RETURN_IF_ERROR(check_per_tensor(output, "output"));

    const float input_scale = input.quant.scale();
    const float feature_scale = weights_feature.quant.scale();
    const float time_scale = weights_time.quant.scale();
    const float state_scale = state.quant.scale();
    const float output_scale = output.quant.scale();
    // TFLM computes both effective scales in float before widening them.
    const double feature_effective = static_cast<double>(input_scale * feature_scale / state_scale);
    const double time_effective = static_cast<double>(state_scale * time_scale / output_scale);
    if (has_bias) {
      // TFLM's consistency check between the bias scale and state * time weights.
      const double expected = static_cast<double>(state_scale * time_scale);
      if (!(std::fabs(static_cast<double>(bias.quant.scale()) - expected) < 1e-5)) {
        return Status::error(StatusCode::kInvalidModel,
                             "bias scale %g differs from state scale x weights_time scale %g",
                             static_cast<double>(bias.quant.scale()), expected);
      }
    }
    quantize_multiplier(feature_effective, &data->quant.feature_multiplier, &data->quant.feature_shift);
    quantize_multiplier(time_effective, &data->quant.time_multiplier, &data->quant.time_shift);
    data->quant.input_zero_point = input.quant.zero_point();
    data->quant.state_zero_point = state.quant.zero_point();
    data->quant.output_zero_point = output.quant.zero_point();
    EI_RETURN_IF_ERROR(
        context.request_scratch(static_cast<size_t>(filter_outputs) * sizeof(int32_t), &data->scratch_index));
    EI_RETURN_IF_ERROR(context.request_scratch(
        static_cast<size_t>(dims.batch) * static_cast<size_t>(dims.num_units) * sizeof(int32_t),
        &data->scratch_output_index));
  } else {
    return Status::error(StatusCode::kUnsupported, "input type %s is not supported (float32 or int8)",
                         data_type_name(input.type));
  }
  context.set_op_data(data);
  return Status::ok();
}

Status eval(KernelContext& context) {
  const auto* data = context.op_data_as<SvdfOpData>();
  const Tensor input = context.input(kInput);
  const Tensor weights_feature = context.input(kWeightsFeature);
  const Tensor weights_time = context.input(kWeightsTime);
  const Tensor state = context.input(kState);
  const Tensor output = context.output(0);
  const bool has_bias = context.has_input(kBias);
  const void* bias = has_bias ? context.input(kBias).data : nullptr;

  if (input.type == DataType::kFloat32) {
    svdf_float(data->dims, data->activation, input.data_as<const float>(),
               weights_feature.data_as<const float>(), weights_time.data_as<const float>(),
               static_cast<const float*>(bias), state.data_as<float>(),
               static_cast<float*>(context.scratch(data->scratch_index)), output.data_as<float>());
    return Status::ok();
  }
  auto* scratch = static_cast<int32_t*>(context.scratch(data->scratch_index));
  auto* scratch_output = static_cast<int32_t*>(context.scratch(data->scratch_output_index));
  if (weights_time.type == DataType::kInt16) {
    svdf_int8(data->dims, data->quant, input.data_as<const int8_t>(), weights_feature.data_as<const int8_t>(),
              weights_time.data_as<const int16_t>(), static_cast<const int32_t*>(bias),
              state.data_as<int16_t>(), scratch, scratch_output, output.data_as<int8_t>());
  } else {
    svdf_int8(data->dims, data->quant, input.data_as<const int8_t>(), weights_feature.data_as<const int8_t>(),
              weights_time.data_as<const int8_t>(), static_cast<const int32_t*>(bias),
              state.data_as<int8_t>(), scratch, scratch_output, output.data_as<int8_t>());
  }
  return Status::ok();
}

}  // namespace

const Kernel& svdf() {
  static const Kernel kernel = {"reference/svdf", prepare, eval};
  return kernel;
}

}  // namespace reference
}  // namespace edgeinfer
