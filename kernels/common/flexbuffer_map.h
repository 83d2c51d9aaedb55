// A bounds-checked reader for the FlexBuffers map that custom ops keep their options in (the op's
// `custom_options`, e.g. TFLM's Signal ops: {"fft_length": 512, "prefill": false, ...}). Only what custom op
// options use: a root map whose values are inline integers, unsigned integers, booleans or floats. Every
// offset and width is checked against the buffer, so a hostile model gives an error, never a wild read.
// Freestanding: no heap, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "edgeinfer/kernel.h"
#include "edgeinfer/status.h"

namespace edgeinfer {

class FlexbufferMap {
 public:
  // Parses `size` bytes whose root must be a map. Fails with kInvalidModel naming what is wrong.
  static Status parse(const uint8_t* data, size_t size, FlexbufferMap* map);

  int size() const { return static_cast<int>(count_); }
  bool has(const char* key) const { return find(key) >= 0; }

  // The value under `key`: an integer (signed or unsigned, or a boolean as 0/1) that fits the result type.
  // Fails naming the key when it is missing, of another kind, or out of range.
  Status get_int64(const char* key, int64_t* value) const;
  Status get_int32(const char* key, int32_t* value) const;
  Status get_bool(const char* key, bool* value) const;
  Status get_float(const char* key, float* value) const;

 private:
  // Index of `key` among the map's entries, or -1.
  int find(const char* key) const;
  // The packed type byte and the position of entry `index`'s inline value.
  Status entry(const char* key, int* type, const uint8_t** value) const;

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  const uint8_t* values_ = nullptr;  // `count_` values of `width_` bytes, then `count_` packed types
  const uint8_t* keys_ = nullptr;    // `count_` key offsets of `keys_width_` bytes
  uint64_t count_ = 0;
  uint32_t width_ = 0;
  uint32_t keys_width_ = 0;
};

// Parses the op's custom options as a FlexbufferMap; fails when the op has none.
Status read_custom_options(const KernelContext& context, FlexbufferMap* map);

}  // namespace edgeinfer
