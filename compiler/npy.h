// NumPy .npy files: float32 arrays to and from disk, and sample sets for model inputs. Host only (C++20).
//
// Reads format versions 1.0, 2.0 and 3.0 and writes 1.0. The header (a Python dict literal with 'descr',
// 'fortran_order' and 'shape') is parsed in general; the data must be little-endian float32 ('<f4') in C
// order, or, for labels (parse_npy_int), little-endian integers. Files are untrusted: every malformed one
// gives a one-line error naming the file and what is wrong.
//
//   std::string error;
//   auto set = host::load_npy_samples("calibration/", &error);  // a.npy, b.npy, ... in name order
//   if (!set || !host::check_samples_fit_input(*set, input.shape, "input 0", &error)) puts(error.c_str());
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/tensor.h"

namespace edgeinfer::host {

struct NpyArray {
  std::vector<int64_t> shape;  // empty: a 0-d array (one value)
  std::vector<float> values;   // C (row-major) order
};

// `name` is only used in errors ("x.npy: ...").
std::optional<NpyArray> parse_npy(const uint8_t* data, size_t size, const std::string& name,
                                  std::string* error);
std::optional<NpyArray> read_npy(const std::string& path, std::string* error);

// Integer arrays (class labels): int8, int16, int32, int64, uint8, ..., uint64 ('|i1', '<i8', '|u1', ...),
// read as int64; a uint64 value above the int64 range is an error.
struct NpyIntArray {
  std::vector<int64_t> shape;
  std::vector<int64_t> values;
};
std::optional<NpyIntArray> parse_npy_int(const uint8_t* data, size_t size, const std::string& name,
                                         std::string* error);
std::optional<NpyIntArray> read_npy_int(const std::string& path, std::string* error);

// Format 1.0, '<f4', C order. Fails when the values do not fill the shape.
std::optional<std::vector<uint8_t>> encode_npy(const NpyArray& array, std::string* error);
bool write_npy(const std::string& path, const NpyArray& array, std::string* error);

// Samples along the first axis of one or more arrays.
struct NpySamples {
  std::vector<int64_t> sample_shape;  // the arrays' shape without the first axis
  int64_t num_samples = 0;
  std::vector<float> values;  // num_samples x product(sample_shape)

  // Which file each sample came from, for messages.
  struct Source {
    std::string file;
    int64_t first_sample = 0;  // in the set
    int64_t num_samples = 0;
  };
  std::vector<Source> sources;

  int64_t sample_elements() const;
  // "b.npy sample 3 (sample 10 of the set)".
  std::string describe_sample(int64_t sample) const;
};

// A .npy file, or a directory whose *.npy files are taken in name order (other entries are ignored) and
// concatenated along the first axis; all must share the shape after it. Zero samples in all is an error.
std::optional<NpySamples> load_npy_samples(const std::string& path, std::string* error);

// Whether each sample fits a model input of `input_shape`, with or without its leading batch of 1 (samples
// [N,49,10,1] or [N,1,49,10,1] for an input [1,49,10,1]), and every value is finite. `what` names the input
// in messages ("input 0"); NaN and infinities are named by file and sample.
bool check_samples_fit_input(const NpySamples& samples, const Shape& input_shape, const std::string& what,
                             std::string* error);

}  // namespace edgeinfer::host
