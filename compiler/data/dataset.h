// Labelled datasets for training and evaluation: float samples [N, sample shape] and optional integer class
// labels, loaded from the forms users have. Host only (C++20).
//
// DATA is one of:
//   - a directory of IDX files (MNIST's format; Debian's dataset-fashion-mnist installs them in
//     /usr/share/datasets/fashion-mnist): train-images-idx3-ubyte and train-labels-idx1-ubyte for the split
//     "train", t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte for "test", each plain or gzipped (.gz; a
//     plain file is preferred when both exist). Pixels (unsigned bytes) become x / 255; images [N, rows,
//     cols] give samples [rows, cols, 1] (other ranks keep their dimensions after N). Without the labels file
//     the set is unlabelled.
//   - a .npy of float32 samples [N, ...] (compiler/npy.h), or a directory of them without IDX files (name
//     order). Labels: LoadOptions::labels, else NAME_labels.npy beside NAME.npy when it exists (x.npy ->
//     x_labels.npy); an integer .npy (int8 ... int64, uint8 ... uint64) of shape [N] or [N, 1].
//   - a .csv (or .csv.gz): one sample per line, the label first, then the sample's values, comma-separated.
//     A first line whose first field is not a number is a header and skipped; blank lines are skipped;
//     labels may be written as integral decimals ("3.0"). Values are taken as they are (no scaling).
//     Samples are flat ([values]); fit_to_input() shapes them like the model's input.
// Files are untrusted: a missing file, bad magic, truncation, a count mismatch between images and labels,
// labels that are negative or (with LoadOptions::num_classes) too large, NaN or infinite values and empty
// sets give a one-line error naming the file (and the line, for CSV). Memory stays bounded by what the files
// really hold: an IDX header's shape is checked against kMaxDecodedBytes before reading, and gzip data is
// decompressed only as far as the header's shape needs.
//
//   std::string error;
//   auto set = data::load_dataset("/usr/share/datasets/fashion-mnist", {.split = "test"}, &error);
//   if (!set || !data::fit_to_input(&*set, input.shape, "input 0", &error)) puts(error.c_str());
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/npy.h"
#include "edgeinfer/tensor.h"

namespace edgeinfer::compiler::data {

// The largest decoded file (IDX data, decompressed CSV text) read: 1 GiB.
constexpr uint64_t kMaxDecodedBytes = uint64_t{1} << 30;

struct Dataset {
  std::string format;           // "idx", "npy" or "csv"
  host::NpySamples samples;     // values, sample shape, and the files they came from
  std::vector<int32_t> labels;  // one per sample; empty: unlabelled
  std::string labels_file;      // where the labels came from (empty: none)
  // CSV rows carry no shape: fit_to_input() may give them the input's.
  bool flat = false;

  // Where the samples and labels came from, for reports: "DIR/t10k-images-idx3-ubyte.gz +
  // t10k-labels-idx1-ubyte.gz".
  std::string source;

  bool has_labels() const { return !labels.empty(); }
  // The largest label + 1 (0 without labels).
  int32_t num_classes() const;
};

struct LoadOptions {
  std::string split = "train";  // IDX directories: "train" or "test"
  std::string labels;           // .npy samples: the labels file (empty: NAME_labels.npy if present)
  int64_t limit = 0;            // keep the first N samples (0: all); every sample is checked all the same
  int32_t num_classes = 0;      // > 0: every label must be below it
};

std::optional<Dataset> load_dataset(const std::string& path, const LoadOptions& options, std::string* error);

// Whether `path` is a directory holding IDX image files (train- or t10k-images-idx3-ubyte[.gz]).
bool is_idx_directory(const std::string& path);

// Whether the samples fit a model input of `input_shape` (host::check_samples_fit_input: the same shape with
// or without the batch of 1, finite values). Flat samples (CSV), and any samples for a flat input ([1, K] or
// [K]), are first given the input's shape when their value counts agree. `what` names the input ("input 0").
bool fit_to_input(Dataset* dataset, const Shape& input_shape, const std::string& what, std::string* error);

// ---- Parsers of untrusted bytes (the loader's parts; the fuzzer and tests call them) ---------------------

// An IDX array of unsigned bytes (type 0x08): big-endian uint32 dimensions, then the data.
struct IdxArray {
  std::vector<int64_t> shape;
  std::vector<uint8_t> values;
};
// `data` plain or gzipped (told by the gzip magic). `name` is only used in errors ("x-idx3-ubyte.gz: ...").
std::optional<IdxArray> parse_idx(const uint8_t* data, size_t size, const std::string& name,
                                  std::string* error, uint64_t max_bytes = kMaxDecodedBytes);

// `data`, gunzipped when it starts with the gzip magic (concatenated members too), else as it is; more than
// `max_bytes` decoded is an error.
std::optional<std::vector<uint8_t>> gunzip_if_gzipped(const uint8_t* data, size_t size,
                                                      const std::string& name, std::string* error,
                                                      uint64_t max_bytes = kMaxDecodedBytes);

// CSV text as described above; `num_classes` > 0 bounds the labels. Errors name `name` and the line.
std::optional<Dataset> parse_csv(std::string_view text, const std::string& name, int32_t num_classes,
                                 std::string* error);

}  // namespace edgeinfer::compiler::data
