// Tensor views: what kernels and applications see of a model's tensors.
//
// A Tensor is a small value type pointing into the model (shape, quantization, constant data) and into the
// arena (activations). It owns nothing; copy it freely.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/status.h"

namespace edgeinfer {

// Element types; the values are TensorFlow Lite's TensorType codes.
enum class DataType : int8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt32 = 2,
  kUInt8 = 3,
  kInt64 = 4,
  kString = 5,
  kBool = 6,
  kInt16 = 7,
  kComplex64 = 8,
  kInt8 = 9,
  kFloat64 = 10,
  kComplex128 = 11,
  kUInt64 = 12,
  kResource = 13,
  kVariant = 14,
  kUInt32 = 15,
  kUInt16 = 16,
  kInt4 = 17,
};

const char* data_type_name(DataType type);
// Bytes per element; 0 for types the runtime cannot hold in a dense buffer (string, resource, int4, ...).
size_t data_type_size(DataType type);

constexpr int kMaxRank = 6;

struct Shape {
  int32_t rank = 0;
  int32_t dims[kMaxRank] = {};

  int32_t dim(int i) const { return dims[i]; }
  // Negative index counts from the back: dim_from_end(1) is the last dimension.
  int32_t dim_from_end(int i) const { return dims[rank - i]; }
  int64_t num_elements() const {
    int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= dims[i];
    return n;
  }
  // Product of dims [begin, end).
  int64_t product(int begin, int end) const {
    int64_t n = 1;
    for (int i = begin; i < end; ++i) n *= dims[i];
    return n;
  }
  bool operator==(const Shape& other) const {
    if (rank != other.rank) return false;
    for (int i = 0; i < rank; ++i)
      if (dims[i] != other.dims[i]) return false;
    return true;
  }
  bool operator!=(const Shape& other) const { return !(*this == other); }
  // Writes "[1,10,10,4]" into `out` (always terminated).
  void format(char* out, size_t out_size) const;
};

// Affine quantization: real = scale * (q - zero_point). Per-tensor when count == 1, per-channel along
// `quantized_dimension` when count > 1. Pointers refer to the model's bytes.
struct Quantization {
  const float* scales = nullptr;
  const int64_t* zero_points = nullptr;  // may be null: zero points are then 0
  int32_t count = 0;                     // 0: not quantized
  int32_t quantized_dimension = 0;

  bool is_quantized() const { return count > 0 && scales != nullptr; }
  bool is_per_channel() const { return count > 1; }
  float scale(int channel = 0) const { return scales ? scales[channel] : 0.0f; }
  int32_t zero_point(int channel = 0) const {
    return zero_points ? static_cast<int32_t>(zero_points[channel]) : 0;
  }
};

struct Tensor {
  DataType type = DataType::kFloat32;
  Shape shape;
  void* data = nullptr;
  size_t bytes = 0;
  Quantization quant;
  int32_t index = -1;          // index in the subgraph's tensor list
  bool is_constant = false;    // data lives in the model (read-only)
  bool is_variable = false;    // state kept across invokes (LSTM/SVDF)
  const char* name = nullptr;  // may be null

  template <class T>
  T* data_as() const {
    return static_cast<T*>(data);
  }
  int64_t num_elements() const { return shape.num_elements(); }

  // Quantizes `count` floats into this tensor (int8, int16 or uint8, per-tensor quantization), rounding half
  // away from zero and saturating, as TensorFlow Lite's reference Quantize does. For float32 tensors, copies.
  Status set_from_float(const float* values, size_t count) const;
  // Dequantizes (or copies, for float32) this tensor into `out`.
  Status get_as_float(float* out, size_t count) const;
  // One element as a float (dequantized when quantized).
  float element_as_float(int64_t i) const;
};

}  // namespace edgeinfer
