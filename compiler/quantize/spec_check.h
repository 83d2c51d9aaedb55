// Checks a quantized model against TensorFlow Lite's integer quantization spec (int8, or 16x8 with int16
// activations): what a standard runtime (TFLM, TensorFlow Lite) relies on. Host-only (C++20).
#pragma once

#include <string>
#include <vector>

#include "compiler/graph/graph.h"

namespace edgeinfer::compiler::quantize {

// Every violation as one line naming the op and tensor; empty when the model follows the spec:
//  - activations int8 (int16 with zero point 0 in 16x8) per tensor, zero point within the type;
//  - CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED weights int8 symmetric (zero points 0), per tensor or per
//    channel along dimension 0 (3 for depthwise); bias int32 (int64 in 16x8) with zero point 0 and scale
//    input scale x weight scale per channel;
//  - SOFTMAX and LOGISTIC outputs scale 1/256 zero point -128 (int16: 1/32768, 0), TANH 1/128 and 0
//    (int16: 1/32768, 0);
//  - pooling, RESHAPE, SQUEEZE, PAD, CONCATENATION and the like: outputs (and concatenated inputs) with the
//    parameters of their first input.
std::vector<std::string> check_integer_spec(const Graph& graph);

}  // namespace edgeinfer::compiler::quantize
