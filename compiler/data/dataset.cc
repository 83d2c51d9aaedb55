#include "compiler/data/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "compiler/host_runner.h"

namespace edgeinfer::compiler::data {
namespace {

namespace fs = std::filesystem;

// IDX files say how many dimensions in one byte; real ones have 1 to 4.
constexpr int kMaxIdxDims = 16;
// Data is read in pieces of this size, so that memory follows what a file holds, not what its header claims.
constexpr size_t kReadChunk = size_t{1} << 20;

bool is_gzip(const uint8_t* data, size_t size) {
  return size >= 2 && data[0] == 0x1F && data[1] == 0x8B;
}

// "[2,3]". Appended piece by piece: GCC 12 warns (-Wrestrict, wrongly) about "," + std::to_string(...).
std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

// Plain or gzipped bytes, read in order; gzip data is decompressed only as far as it is read.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size), gzip_(is_gzip(data, size)) {}
  ~ByteReader() {
    if (inflating_) inflateEnd(&stream_);
  }
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  bool gzip() const { return gzip_; }

  // Reads up to `n` bytes into `out`: how many (fewer only at the end of the data), or nullopt with
  // `message` when the gzip data is corrupt or truncated.
  std::optional<size_t> read(uint8_t* out, size_t n, std::string* message) {
    if (!gzip_) {
      const size_t count = std::min(n, size_ - position_);
      if (count > 0) std::memcpy(out, data_ + position_, count);
      position_ += count;
      return count;
    }
    size_t done = 0;
    while (done < n) {
      if (!inflating_) {
        if (position_ == size_) break;
        // gzip files may hold several members, one after another.
        if (!is_gzip(data_ + position_, size_ - position_)) {
          *message = std::to_string(size_ - position_) + " bytes after the gzip data are not gzip data";
          return std::nullopt;
        }
        stream_ = {};
        if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) {
          *message = "cannot start zlib";
          return std::nullopt;
        }
        inflating_ = true;
      }
      stream_.next_in = const_cast<Bytef*>(data_ + position_);
      stream_.avail_in = static_cast<uInt>(std::min<size_t>(size_ - position_, UINT_MAX));
      stream_.next_out = out + done;
      stream_.avail_out = static_cast<uInt>(std::min<size_t>(n - done, UINT_MAX));
      const int status = inflate(&stream_, Z_NO_FLUSH);
      position_ = static_cast<size_t>(stream_.next_in - data_);
      done = static_cast<size_t>(stream_.next_out - out);
      if (status == Z_STREAM_END) {
        inflateEnd(&stream_);
        inflating_ = false;
      } else if (status == Z_BUF_ERROR || (status == Z_OK && position_ == size_ && stream_.avail_out > 0)) {
        // No progress with output room left: the input ended inside the stream.
        *message = "truncated gzip data (the compressed stream ends early)";
        return std::nullopt;
      } else if (status != Z_OK) {
        *message = std::string("corrupt gzip data: ") + (stream_.msg ? stream_.msg : "zlib error");
        return std::nullopt;
      }
    }
    return done;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  bool gzip_;
  size_t position_ = 0;  // input consumed
  z_stream stream_{};
  bool inflating_ = false;  // inside a gzip member
};

const char* idx_type_name(uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

// Keeps the first `limit` samples (0: all).
void keep_first(int64_t limit, Dataset* set) {
  if (limit <= 0 || limit >= set->samples.num_samples) return;
  host::NpySamples& samples = set->samples;
  samples.values.resize(static_cast<size_t>(limit * samples.sample_elements()));
  samples.num_samples = limit;
  std::erase_if(samples.sources, [&](const host::NpySamples::Source& s) { return s.first_sample >= limit; });
  for (auto& source : samples.sources)
    source.num_samples = std::min(source.num_samples, limit - source.first_sample);
  if (!set->labels.empty()) set->labels.resize(static_cast<size_t>(limit));
}

// Class labels from a file: each a class index, below `num_classes` when that is known.
bool check_label(int64_t label, int32_t num_classes, std::string* message) {
  if (label < 0 || label > std::numeric_limits<int32_t>::max()) {
    *message = "label " + std::to_string(label) + " is not a class index (0, 1, ...)";
    return false;
  }
  if (num_classes > 0 && label >= num_classes) {
    *message = "label " + std::to_string(label) + " is outside the " + std::to_string(num_classes) +
               " classes 0.." + std::to_string(num_classes - 1);
    return false;
  }
  return true;
}

// The first non-finite value of the samples: "x.npy sample 3, value 5 is NaN".
bool check_finite(const host::NpySamples& samples, std::string* error) {
  const int64_t per_sample = samples.sample_elements();
  for (size_t i = 0; i < samples.values.size(); ++i) {
    if (std::isfinite(samples.values[i])) continue;
    const int64_t sample = static_cast<int64_t>(i) / per_sample;
    *error = samples.describe_sample(sample) + ", value " + std::to_string(i - sample * per_sample) + " is " +
             (std::isnan(samples.values[i]) ? "NaN" : "infinite");
    return false;
  }
  return true;
}

// ---- IDX directories ----

// DIR/PREFIX-KIND[.-]idxN-ubyte, plain preferred over .gz; empty when absent. The dot form is how some
// copies of MNIST name them.
std::string find_idx_file(const fs::path& dir, const std::string& prefix, const std::string& kind) {
  std::error_code code;
  for (const char* separator : {"-", "."})
    for (const char* suffix : {"", ".gz"}) {
      const fs::path file =
          dir / (prefix + "-" + kind + separator + (kind == "images" ? "idx3" : "idx1") + "-ubyte" + suffix);
      if (fs::is_regular_file(file, code)) return file.string();
    }
  return "";
}

std::optional<IdxArray> read_idx(const std::string& path, std::string* error) {
  const auto bytes = host::read_file(path, error);
  if (!bytes) return std::nullopt;
  return parse_idx(bytes->data(), bytes->size(), path, error);
}

std::optional<Dataset> load_idx_directory(const std::string& dir, const LoadOptions& options,
                                          std::string* error) {
  auto fail = [&](const std::string& message) {
    *error = message;
    return std::nullopt;
  };
  const std::string prefix = options.split == "train" ? "train" : "t10k";
  const std::string images_path = find_idx_file(dir, prefix, "images");
  if (images_path.empty())
    return fail(dir + ": no " + prefix + "-images-idx3-ubyte[.gz] (the " + options.split +
                " split of an IDX dataset)");
  const auto images = read_idx(images_path, error);
  if (!images) return std::nullopt;
  if (images->shape.size() < 2)
    return fail(images_path + ": shape " + shape_text(images->shape) +
                " is not images: need [N, rows, cols]");
  Dataset set;
  set.format = "idx";
  set.samples.sample_shape.assign(images->shape.begin() + 1, images->shape.end());
  if (set.samples.sample_shape.size() == 2) set.samples.sample_shape.push_back(1);  // [rows, cols, 1]
  const int64_t count = images->shape[0];
  const int64_t per_image = set.samples.sample_elements();
  if (count == 0) return fail(images_path + ": no images (the first dimension is 0)");
  if (per_image == 0)
    return fail(images_path + ": images of shape " + shape_text(images->shape) + " hold no pixels");
  set.source = images_path;

  const std::string labels_path = find_idx_file(dir, prefix, "labels");
  if (!labels_path.empty()) {
    const auto labels = read_idx(labels_path, error);
    if (!labels) return std::nullopt;
    if (labels->shape.size() != 1)
      return fail(labels_path + ": shape " + shape_text(labels->shape) + " is not labels: need [N]");
    if (labels->shape[0] != count)
      return fail(labels_path + ": " + std::to_string(labels->shape[0]) + " labels for " +
                  std::to_string(count) + " images in " + images_path);
    std::string message;
    for (size_t i = 0; i < labels->values.size(); ++i)
      if (!check_label(labels->values[i], options.num_classes, &message))
        return fail(labels_path + ": sample " + std::to_string(i) + ": " + message);
    set.labels.assign(labels->values.begin(), labels->values.end());
    set.labels_file = labels_path;
    set.source += " + " + fs::path(labels_path).filename().string();
  }

  // Only the samples kept become floats.
  const int64_t kept = options.limit > 0 ? std::min(options.limit, count) : count;
  set.samples.num_samples = kept;
  set.samples.values.resize(static_cast<size_t>(kept * per_image));
  for (size_t i = 0; i < set.samples.values.size(); ++i)
    set.samples.values[i] = static_cast<float>(images->values[i]) / 255.0f;
  set.samples.sources.push_back({images_path, 0, kept});
  if (!set.labels.empty()) set.labels.resize(static_cast<size_t>(kept));
  return set;
}

// ---- .npy ----

std::optional<Dataset> load_npy(const std::string& path, const LoadOptions& options, std::string* error) {
  auto fail = [&](const std::string& message) {
    *error = message;
    return std::nullopt;
  };
  auto samples = host::load_npy_samples(path, error);
  if (!samples) return std::nullopt;
  if (!check_finite(*samples, error)) return std::nullopt;
  Dataset set;
  set.format = "npy";
  set.samples = std::move(*samples);
  set.source = path;

  std::string labels_path = options.labels;
  std::error_code code;
  if (labels_path.empty() && !fs::is_directory(path, code)) {
    fs::path beside = path;
    beside.replace_filename(beside.stem().string() + "_labels.npy");
    if (fs::is_regular_file(beside, code)) labels_path = beside.string();
  }
  if (!labels_path.empty()) {
    const auto labels = host::read_npy_int(labels_path, error);
    if (!labels) return std::nullopt;
    const auto& shape = labels->shape;
    if (shape.empty() || shape.size() > 2 || (shape.size() == 2 && shape[1] != 1))
      return fail(labels_path + ": shape " + shape_text(shape) + " is not labels: need [N] or [N,1]");
    if (shape[0] != set.samples.num_samples)
      return fail(labels_path + ": " + std::to_string(shape[0]) + " labels for " +
                  std::to_string(set.samples.num_samples) + " samples in " + path);
    std::string message;
    for (size_t i = 0; i < labels->values.size(); ++i) {
      if (!check_label(labels->values[i], options.num_classes, &message))
        return fail(labels_path + ": sample " + std::to_string(i) + ": " + message);
      set.labels.push_back(static_cast<int32_t>(labels->values[i]));
    }
    set.labels_file = labels_path;
    set.source += " + " + labels_path;
  }
  keep_first(options.limit, &set);
  return set;
}

// ---- CSV ----

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// A whole field as a number (from_chars takes no '+').
template <class T>
bool parse_number(std::string_view field, T* value) {
  if (!field.empty() && field.front() == '+') field.remove_prefix(1);
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), *value);
  return ec == std::errc() && end == field.data() + field.size() && !field.empty();
}

bool ends_with(const std::string& text, const std::string& suffix) {
  if (text.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), text.rbegin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

bool has_npy_files(const std::string& dir) {
  std::error_code code;
  for (fs::directory_iterator it(dir, code), end; !code && it != end; it.increment(code))
    if (it->path().extension() == ".npy") return true;
  return false;
}

}  // namespace

int32_t Dataset::num_classes() const {
  return labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
}

std::optional<std::vector<uint8_t>> gunzip_if_gzipped(const uint8_t* data, size_t size,
                                                      const std::string& name, std::string* error,
                                                      uint64_t max_bytes) {
  if (!is_gzip(data, size)) return std::vector<uint8_t>(data, data + size);
  ByteReader reader(data, size);
  std::vector<uint8_t> out;
  std::string message;
  for (;;) {
    const size_t start = out.size();
    out.resize(start + kReadChunk);
    const auto got = reader.read(out.data() + start, kReadChunk, &message);
    if (!got) {
      *error = name + ": " + message;
      return std::nullopt;
    }
    out.resize(start + *got);
    if (out.size() > max_bytes) {
      *error = name + ": decompresses to more than " + std::to_string(max_bytes) + " bytes";
      return std::nullopt;
    }
    if (*got < kReadChunk) return out;
  }
}

std::optional<IdxArray> parse_idx(const uint8_t* data, size_t size, const std::string& name,
                                  std::string* error, uint64_t max_bytes) {
  auto fail = [&](const std::string& message) {
    *error = name + ": " + message;
    return std::nullopt;
  };
  ByteReader reader(data, size);
  std::string message;
  uint8_t magic[4];
  auto got = reader.read(magic, sizeof(magic), &message);
  if (!got) return fail(message);
  if (*got == 0) return fail("empty file");
  if (*got < sizeof(magic) || magic[0] != 0 || magic[1] != 0) {
    std::string hex;
    for (size_t i = 0; i < *got; ++i) {
      char byte[4];
      std::snprintf(byte, sizeof(byte), i ? " %02X" : "%02X", magic[i]);
      hex += byte;
    }
    return fail("not an IDX file (starts with " + hex + ", expected 00 00 08 and the number of dimensions)");
  }
  if (magic[2] != 0x08) {
    char type[8];
    std::snprintf(type, sizeof(type), "0x%02X", magic[2]);
    return fail(std::string("IDX element type ") + type + " (" + idx_type_name(magic[2]) +
                ") is not supported: only unsigned bytes (0x08)");
  }
  const int dims = magic[3];
  if (dims == 0 || dims > kMaxIdxDims)
    return fail("IDX file with " + std::to_string(dims) + " dimensions (1 to " + std::to_string(kMaxIdxDims) +
                " are read)");
  uint8_t dim_bytes[4 * kMaxIdxDims];
  got = reader.read(dim_bytes, 4 * static_cast<size_t>(dims), &message);
  if (!got) return fail(message);
  if (*got < 4 * static_cast<size_t>(dims))
    return fail("truncated: the file ends inside the " + std::to_string(dims) + " dimensions");
  IdxArray array;
  uint64_t count = 1;
  bool too_large = false;
  for (int d = 0; d < dims; ++d) {
    const uint8_t* p = dim_bytes + 4 * d;
    const uint64_t dim = uint64_t{p[0]} << 24 | uint64_t{p[1]} << 16 | uint64_t{p[2]} << 8 | p[3];
    array.shape.push_back(static_cast<int64_t>(dim));
    if (dim != 0 && count > max_bytes / dim) too_large = true;
    if (!too_large) count *= dim;
  }
  // A shape holding no values overrides one that overflows: [0, huge] is empty.
  if (std::find(array.shape.begin(), array.shape.end(), 0) != array.shape.end()) count = 0, too_large = false;
  if (too_large)
    return fail("shape " + shape_text(array.shape) + " holds more than the " + std::to_string(max_bytes) +
                " bytes read at most");

  // In pieces: a header claiming more than the file holds costs no more memory than the file.
  while (array.values.size() < count) {
    const size_t start = array.values.size();
    const size_t piece = std::min<uint64_t>(kReadChunk, count - start);
    array.values.resize(start + piece);
    got = reader.read(array.values.data() + start, piece, &message);
    if (!got) return fail(message);
    array.values.resize(start + *got);
    if (*got < piece)
      return fail("truncated: shape " + shape_text(array.shape) + " needs " + std::to_string(count) +
                  " bytes of data, the file has " + std::to_string(array.values.size()));
  }
  uint8_t extra;
  got = reader.read(&extra, 1, &message);
  if (!got) return fail(message);
  if (*got > 0)
    return fail("more data than shape " + shape_text(array.shape) + " holds (" + std::to_string(count) +
                " bytes)");
  return array;
}

std::optional<Dataset> parse_csv(std::string_view text, const std::string& name, int32_t num_classes,
                                 std::string* error) {
  Dataset set;
  set.format = "csv";
  set.flat = true;
  set.source = name;
  int64_t values_per_row = -1, first_data_line = 0;
  int64_t line_number = 0;
  std::string message;
  auto fail = [&](const std::string& what) {
    *error = name + " line " + std::to_string(line_number) + ": " + what;
    return std::nullopt;
  };
  bool first_line = true;
  while (!text.empty()) {
    ++line_number;
    const size_t end = text.find('\n');
    const std::string_view line = trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty()) continue;
    const bool may_be_header = first_line;
    first_line = false;

    size_t comma = line.find(',');
    const std::string_view label_field = trim(line.substr(0, comma));
    double label;
    if (!parse_number(label_field, &label)) {
      if (may_be_header) continue;
      return fail(label_field.empty() ? "the label is empty" : "the label is not a number");
    }
    if (!std::isfinite(label) || label != std::floor(label))
      return fail("the label is not an integer (a class index 0, 1, ...)");
    // Beyond int32 a label is no class index; the field is a number, so quoting it keeps the line clean.
    if (std::fabs(label) > std::numeric_limits<int32_t>::max())
      return fail("label " + std::string(label_field.substr(0, 24)) + " is not a class index (0, 1, ...)");
    const int64_t integral = static_cast<int64_t>(label);
    if (!check_label(integral, num_classes, &message)) return fail(message);
    if (comma == std::string_view::npos) return fail("no values after the label");

    int64_t column = 1, row_values = 0;
    std::string_view rest = line.substr(comma + 1);
    for (;;) {
      ++column;
      comma = rest.find(',');
      const std::string_view field = trim(rest.substr(0, comma));
      float value;
      if (field.empty()) return fail("column " + std::to_string(column) + " is empty");
      if (!parse_number(field, &value)) return fail("column " + std::to_string(column) + " is not a number");
      if (!std::isfinite(value))
        return fail("column " + std::to_string(column) + " is " + (std::isnan(value) ? "NaN" : "infinite"));
      set.samples.values.push_back(value);
      ++row_values;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (values_per_row < 0) {
      values_per_row = row_values;
      first_data_line = line_number;
    } else if (row_values != values_per_row) {
      return fail(std::to_string(row_values) + " values, line " + std::to_string(first_data_line) + " has " +
                  std::to_string(values_per_row));
    }
    set.labels.push_back(static_cast<int32_t>(integral));
    ++set.samples.num_samples;
  }
  if (set.samples.num_samples == 0) {
    *error = name + ": no samples";
    return std::nullopt;
  }
  set.samples.sample_shape = {values_per_row};
  set.samples.sources.push_back({name, 0, set.samples.num_samples});
  set.labels_file = name;
  return set;
}

bool is_idx_directory(const std::string& path) {
  std::error_code code;
  if (!fs::is_directory(path, code)) return false;
  return !find_idx_file(path, "train", "images").empty() || !find_idx_file(path, "t10k", "images").empty();
}

std::optional<Dataset> load_dataset(const std::string& path, const LoadOptions& options, std::string* error) {
  auto fail = [&](const std::string& message) {
    *error = message;
    return std::nullopt;
  };
  if (options.split != "train" && options.split != "test")
    return fail("split '" + options.split + "': expected train or test");
  if (options.limit < 0) return fail("a limit of " + std::to_string(options.limit) + " samples");
  std::error_code code;
  const bool directory = fs::is_directory(path, code);
  const bool idx = directory && is_idx_directory(path);
  const bool npy = (directory && !idx) || ends_with(path, ".npy");
  const bool csv = !directory && (ends_with(path, ".csv") || ends_with(path, ".csv.gz"));
  if (!options.labels.empty() && !npy)
    return fail(path + ": a labels file (" + options.labels +
                ") goes with .npy samples: IDX directories and CSV files hold their labels");
  if (idx) return load_idx_directory(path, options, error);
  if (directory && !has_npy_files(path))
    return fail(
        path + ": neither IDX files (train- or t10k-images-idx3-ubyte[.gz]) nor .npy files in the directory");
  if (npy) return load_npy(path, options, error);
  if (!csv) {
    if (!fs::exists(path, code)) return fail(path + ": no such file or directory");
    return fail(path + ": unknown data format: expected a directory of IDX files, a .npy or a .csv file");
  }
  const auto bytes = host::read_file(path, error);
  if (!bytes) return std::nullopt;
  const auto text = gunzip_if_gzipped(bytes->data(), bytes->size(), path, error);
  if (!text) return std::nullopt;
  auto set = parse_csv(std::string_view(reinterpret_cast<const char*>(text->data()), text->size()), path,
                       options.num_classes, error);
  if (set) keep_first(options.limit, &*set);
  return set;
}

bool fit_to_input(Dataset* dataset, const Shape& input_shape, const std::string& what, std::string* error) {
  host::NpySamples& samples = dataset->samples;
  const std::vector<int64_t> full(input_shape.dims, input_shape.dims + input_shape.rank);
  const bool flat_input = full.size() == 1 || (full.size() == 2 && full[0] == 1);
  if ((dataset->flat || flat_input) && samples.sample_shape != full) {
    const int64_t needed = input_shape.num_elements();
    if (samples.sample_elements() == needed) {
      samples.sample_shape = full;
      if (!full.empty() && full[0] == 1 && full.size() > 1)
        samples.sample_shape.erase(samples.sample_shape.begin());
    } else if (dataset->flat) {
      *error = dataset->source + ": rows of " + std::to_string(samples.sample_elements()) +
               " values do not fit " + what + " " + shape_text(full) + " (" + std::to_string(needed) +
               " values)";
      return false;
    }
  }
  return host::check_samples_fit_input(samples, input_shape, what, error);
}

}  // namespace edgeinfer::compiler::data
