// Operator codes: TensorFlow Lite's BuiltinOperator values for the ops EdgeInfer knows by name.
#pragma once

#include <cstdint>

namespace edgeinfer {

enum class BuiltinOp : int32_t {
  kAdd = 0,
  kAveragePool2D = 1,
  kConcatenation = 2,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2D = 17,
  kMul = 18,
  kRelu = 19,
  kReluN1To1 = 20,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kSvdf = 27,
  kTanh = 28,
  kCustom = 32,
  kPad = 34,
  kTranspose = 39,
  kMean = 40,
  kSub = 41,
  kDiv = 42,
  kSqueeze = 43,
  kUnidirectionalSequenceLstm = 44,
  kStridedSlice = 45,
  kSplit = 49,
  kCast = 53,
  kMaximum = 55,
  kArgMax = 56,
  kMinimum = 57,
  kPadV2 = 60,
  kSlice = 65,
  kTransposeConv = 67,
  kExpandDims = 70,
  kShape = 77,
  kArgMin = 79,
  kPack = 83,
  kUnpack = 88,
  kResizeNearestNeighbor = 97,
  kLeakyRelu = 98,
  kSplitV = 102,
  kQuantize = 114,
  kHardSwish = 117,
};

// TensorFlow Lite's name of a builtin operator code ("CONV_2D"), or "UNKNOWN" for codes it does not define.
const char* builtin_op_name(int32_t code);

}  // namespace edgeinfer
