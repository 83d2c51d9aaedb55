// Post-training quantization of a float (or hybrid) .tflite model. Host-only (C++20).
//
//   int8     activations asymmetric int8 from calibration ranges, weights per-channel symmetric int8, biases
//            int32 (scale = input scale x weight scale), TFLite's int8 op constraints (SOFTMAX/LOGISTIC
//            output 1/256 and -128, TANH 1/128 and 0, pooling/RESHAPE/CONCATENATION/PAD/... share their
//            input's parameters).
//   int16x8  the same with int16 activations (zero point 0) and int64 biases, as TFLite's 16x8 mode.
//   dynamic  int8 weights of FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D, float activations (hybrid
//   kernels). float16  float16 constants, each followed by a DEQUANTIZE to float32, as TFLite's float16 mode.
//
// Errors (an integer model, an op that cannot be quantized, bad calibration data) throw
// std::invalid_argument with a one-line message.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/quantize/calibration.h"

namespace edgeinfer::compiler::quantize {

enum class Mode { kInt8, kInt16x8, kDynamic, kFloat16 };
std::string_view mode_name(Mode mode);
std::optional<Mode> parse_mode(std::string_view name);

// Float samples: samples[s][i] holds the values of model input i for sample s (its element count).
using SampleSet = std::vector<std::vector<std::vector<float>>>;

struct QuantizeOptions {
  Mode mode = Mode::kInt8;
  CalibrationMethod method = CalibrationMethod::kMse;
  CalibrationOptions calibration;
  // true: the quantized model's inputs and outputs are integer (--io int8); false: float, with QUANTIZE and
  // DEQUANTIZE ops at the edges (--io float).
  bool integer_io = true;
  // Correct each layer's bias for the mean error its weight rounding adds to its outputs (int8, int16x8).
  bool bias_correction = true;
  // Round FULLY_CONNECTED weights with error compensation over the calibration inputs (GPTQ) rather than to
  // nearest (int8, int16x8).
  bool error_compensation = true;
  // Called after each calibration sample: (done, total).
  std::function<void(size_t, size_t)> progress;
};

// A quantized activation tensor: its calibrated float range and the parameters chosen.
struct TensorRangeReport {
  int tensor = 0;
  std::string name;
  float observed_min = 0, observed_max = 0;  // over the calibration set
  float scale = 0;
  int64_t zero_point = 0;
  std::string constraint;  // empty, or why the parameters are fixed / shared ("softmax output", ...)
};

struct QuantizeResult {
  std::vector<uint8_t> model;
  std::vector<TensorRangeReport> ranges;  // int8 / int16x8 only
  size_t calibration_samples = 0;
};

// Quantizes `float_model`. `calibration` is needed for int8 and int16x8 (at least one sample) and ignored
// otherwise.
QuantizeResult quantize_model(std::span<const uint8_t> float_model, const SampleSet& calibration,
                              const QuantizeOptions& options);

// The float range of each input that samples should be drawn from when no data is given: [-1, 1].
}  // namespace edgeinfer::compiler::quantize
