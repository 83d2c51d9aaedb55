#include "compiler/npy.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>

#include "compiler/host_runner.h"

namespace edgeinfer::host {
namespace {

static_assert(std::endian::native == std::endian::little, "the .npy data is read as host floats");

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
// NumPy's own limit on dimensions (NPY_MAXDIMS in NumPy 2).
constexpr size_t kMaxDims = 64;

// "[2,3]"; with `first` "N", "[N,2,3]" (N samples of shape [2,3]). Appended piece by piece: GCC 12 warns
// (-Wrestrict, wrongly) about "," + std::to_string(...).
std::string shape_text(const std::vector<int64_t>& shape, const char* first = nullptr) {
  std::string text = "[";
  if (first) text += first;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0 || first) text += ',';
    text += std::to_string(shape[i]);
  }
  text += ']';
  return text;
}

// Strings from the file in messages: short, so that a hostile header cannot flood the error, and with bytes
// outside printable ASCII as \xNN, so that it stays one line.
std::string excerpt(std::string_view text) {
  std::string out;
  for (unsigned char c : text.substr(0, 40)) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02X", c);
      out += escaped;
    }
  }
  return text.size() > 40 ? out + "..." : out;
}

// Element count, or nullopt when it overflows int64.
std::optional<int64_t> element_count(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    if (dim != 0 && count > std::numeric_limits<int64_t>::max() / dim) return std::nullopt;
    count *= dim;
  }
  return count;
}

// The header dict: a Python literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  bool parse(std::string* descr, bool* fortran_order, std::vector<int64_t>* shape, std::string* error) {
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    if (!take('{')) return fail("header is not a dict (no '{')", error);
    for (;;) {
      skip_space();
      if (take('}')) break;
      std::string key;
      if (!parse_string(&key)) return fail("header dict: expected a quoted key at byte " + at(), error);
      skip_space();
      if (!take(':')) return fail("header dict: expected ':' after '" + excerpt(key) + "'", error);
      skip_space();
      bool* seen = key == "descr"           ? &have_descr
                   : key == "fortran_order" ? &have_order
                   : key == "shape"         ? &have_shape
                                            : nullptr;
      if (seen == nullptr) return fail("header has an unexpected key '" + excerpt(key) + "'", error);
      if (*seen) return fail("header repeats the key '" + excerpt(key) + "'", error);
      *seen = true;
      if (key == "descr") {
        if (peek() == '[' || peek() == '{')
          return fail("descr is a structured dtype; only little-endian float32 ('<f4') is supported", error);
        if (!parse_string(descr)) return fail("descr: expected a quoted dtype string", error);
      } else if (key == "fortran_order") {
        if (take_word("True")) {
          *fortran_order = true;
        } else if (take_word("False")) {
          *fortran_order = false;
        } else {
          return fail("fortran_order: expected True or False", error);
        }
      } else if (!parse_shape(shape, error)) {
        return false;
      }
      skip_space();
      if (take(',')) continue;
      if (take('}')) break;
      return fail("header dict: expected ',' or '}' at byte " + at(), error);
    }
    skip_space();
    if (pos_ != text_.size()) return fail("header has bytes after the dict (at byte " + at() + ")", error);
    if (!have_descr) return fail("header lacks 'descr'", error);
    if (!have_order) return fail("header lacks 'fortran_order'", error);
    if (!have_shape) return fail("header lacks 'shape'", error);
    return true;
  }

 private:
  static bool fail(const std::string& message, std::string* error) {
    *error = message;
    return false;
  }
  std::string at() const { return std::to_string(pos_); }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool take_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  // 'text' or "text"; escapes never occur in the keys and dtypes that matter, so a backslash is an error.
  bool parse_string(std::string* out) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') return false;
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) return false;
    const std::string_view body = text_.substr(pos_ + 1, end - pos_ - 1);
    if (body.find('\\') != std::string_view::npos) return false;
    *out = std::string(body);
    pos_ = end + 1;
    return true;
  }
  // (), (5,), (3, 4) (a trailing comma and Python 2's 3L accepted).
  bool parse_shape(std::vector<int64_t>* shape, std::string* error) {
    shape->clear();
    if (!take('(')) return fail("shape: expected a tuple such as (3, 4)", error);
    for (;;) {
      skip_space();
      if (take(')')) return true;
      if (peek() < '0' || peek() > '9')
        return fail("shape: expected a non-negative integer at byte " + at(), error);
      int64_t dim = 0;
      while (peek() >= '0' && peek() <= '9') {
        const int digit = peek() - '0';
        if (dim > (std::numeric_limits<int64_t>::max() - digit) / 10)
          return fail("shape: dimension too large", error);
        dim = dim * 10 + digit;
        ++pos_;
      }
      take('L');
      if (shape->size() == kMaxDims)
        return fail("shape has more than " + std::to_string(kMaxDims) + " dimensions", error);
      shape->push_back(dim);
      skip_space();
      if (take(',')) continue;
      if (take(')')) return true;
      return fail("shape: expected ',' or ')' at byte " + at(), error);
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

uint32_t read_le(const uint8_t* p, int bytes) {
  uint32_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = value << 8 | p[i];
  return value;
}

std::string dtype_hint(const std::string& descr) {
  if (descr == ">f4") return " (big-endian float32)";
  if (descr == "<f8" || descr == "<f2") return " (convert with array.astype(numpy.float32))";
  return "";
}

// What every dtype shares: the magic, version, header dict and shape; the data that follows the header.
struct NpyLayout {
  std::string descr;
  std::vector<int64_t> shape;
  int64_t count = 0;  // elements
  const uint8_t* data = nullptr;
  size_t data_bytes = 0;
};

// A malformed file: nullopt and `message` (without the file name).
std::optional<NpyLayout> parse_layout(const uint8_t* data, size_t size, std::string* message) {
  auto fail = [&](const std::string& text) {
    *message = text;
    return std::nullopt;
  };
  if (size < kMagicBytes || std::memcmp(data, kMagic, kMagicBytes) != 0)
    return fail("not a .npy file (no \\x93NUMPY magic)");
  if (size < kMagicBytes + 2) return fail("truncated: the file ends before the format version");
  const int major = data[6], minor = data[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    return fail("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                " (1.0, 2.0 and 3.0 are read)");
  const int length_bytes = major == 1 ? 2 : 4;
  const size_t header_start = kMagicBytes + 2 + length_bytes;
  if (size < header_start) return fail("truncated: the file ends inside the header length");
  const uint64_t header_length = read_le(data + kMagicBytes + 2, length_bytes);
  if (header_length > size - header_start)
    return fail("header of " + std::to_string(header_length) + " bytes runs past the end of the file (" +
                std::to_string(size) + " bytes)");
  const size_t data_start = header_start + header_length;

  NpyLayout layout;
  bool fortran_order = false;
  std::string header_error;
  HeaderParser parser(std::string_view(reinterpret_cast<const char*>(data + header_start), header_length));
  if (!parser.parse(&layout.descr, &fortran_order, &layout.shape, &header_error)) return fail(header_error);
  const auto count = element_count(layout.shape);
  if (!count) return fail("shape " + shape_text(layout.shape) + " has too many elements");
  // Column-major data differs from row-major only when two or more dimensions exceed 1.
  if (fortran_order &&
      std::count_if(layout.shape.begin(), layout.shape.end(), [](int64_t d) { return d > 1; }) > 1)
    return fail("fortran_order is True: only C-order arrays are supported");
  layout.count = *count;
  layout.data = data + data_start;
  layout.data_bytes = size - data_start;
  return layout;
}

// Whether the data after the header holds exactly `count` elements of `element_bytes`; `type` names them.
bool check_data_size(const NpyLayout& layout, size_t element_bytes, const char* type, std::string* message) {
  const int64_t max_count = std::numeric_limits<int64_t>::max() / static_cast<int64_t>(element_bytes);
  if (layout.count <= static_cast<int64_t>(layout.data_bytes / element_bytes) &&
      static_cast<uint64_t>(layout.count) * element_bytes == layout.data_bytes)
    return true;
  *message = "data is " + std::to_string(layout.data_bytes) + " bytes, shape " + shape_text(layout.shape) +
             " of " + type + " needs " +
             (layout.count > max_count ? std::string("more")
                                       : std::to_string(layout.count * static_cast<int64_t>(element_bytes)));
  return false;
}

// Integer dtypes: bytes per element and signedness; 0 bytes when `descr` is none.
struct IntegerDtype {
  size_t bytes = 0;
  bool is_signed = false;
};
IntegerDtype integer_dtype(const std::string& descr) {
  // One-byte types have no byte order ('|'); NumPy also accepts '<' and '=' for them.
  static const struct {
    const char* descr;
    IntegerDtype dtype;
  } kTypes[] = {{"|i1", {1, true}}, {"<i1", {1, true}},  {"|u1", {1, false}}, {"<u1", {1, false}},
                {"<i2", {2, true}}, {"<u2", {2, false}}, {"<i4", {4, true}},  {"<u4", {4, false}},
                {"<i8", {8, true}}, {"<u8", {8, false}}};
  for (const auto& type : kTypes)
    if (descr == type.descr) return type.dtype;
  return {};
}

}  // namespace

std::optional<NpyArray> parse_npy(const uint8_t* data, size_t size, const std::string& name,
                                  std::string* error) {
  std::string message;
  auto fail = [&](const std::string& text) {
    *error = name + ": " + text;
    return std::nullopt;
  };
  const auto layout = parse_layout(data, size, &message);
  if (!layout) return fail(message);
  if (layout->descr != "<f4")
    return fail("dtype '" + excerpt(layout->descr) + "'" + dtype_hint(layout->descr) +
                " is not supported: need little-endian float32 ('<f4')");
  if (!check_data_size(*layout, sizeof(float), "float32", &message)) return fail(message);
  NpyArray array;
  array.shape = layout->shape;
  array.values.resize(static_cast<size_t>(layout->count));
  if (layout->data_bytes > 0) std::memcpy(array.values.data(), layout->data, layout->data_bytes);
  return array;
}

std::optional<NpyIntArray> parse_npy_int(const uint8_t* data, size_t size, const std::string& name,
                                         std::string* error) {
  std::string message;
  auto fail = [&](const std::string& text) {
    *error = name + ": " + text;
    return std::nullopt;
  };
  const auto layout = parse_layout(data, size, &message);
  if (!layout) return fail(message);
  const IntegerDtype dtype = integer_dtype(layout->descr);
  if (dtype.bytes == 0)
    return fail("dtype '" + excerpt(layout->descr) +
                "' is not supported: need little-endian integers (int8 to int64, uint8 to uint64; convert "
                "with array.astype(numpy.int64))");
  const std::string type = (dtype.is_signed ? "int" : "uint") + std::to_string(dtype.bytes * 8);
  if (!check_data_size(*layout, dtype.bytes, type.c_str(), &message)) return fail(message);
  NpyIntArray array;
  array.shape = layout->shape;
  array.values.resize(static_cast<size_t>(layout->count));
  for (size_t i = 0; i < array.values.size(); ++i) {
    const uint8_t* p = layout->data + i * dtype.bytes;
    uint64_t bits = 0;
    for (size_t b = dtype.bytes; b-- > 0;) bits = bits << 8 | p[b];
    if (dtype.is_signed) {
      const uint64_t sign = uint64_t{1} << (dtype.bytes * 8 - 1);
      array.values[i] = static_cast<int64_t>((bits ^ sign) - sign);  // sign-extends without overflow
    } else if (bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return fail("value " + std::to_string(i) + " (" + std::to_string(bits) + ") does not fit int64");
    } else {
      array.values[i] = static_cast<int64_t>(bits);
    }
  }
  return array;
}

std::optional<NpyArray> read_npy(const std::string& path, std::string* error) {
  const auto bytes = read_file(path, error);
  if (!bytes) return std::nullopt;
  return parse_npy(bytes->data(), bytes->size(), path, error);
}

std::optional<NpyIntArray> read_npy_int(const std::string& path, std::string* error) {
  const auto bytes = read_file(path, error);
  if (!bytes) return std::nullopt;
  return parse_npy_int(bytes->data(), bytes->size(), path, error);
}

std::optional<std::vector<uint8_t>> encode_npy(const NpyArray& array, std::string* error) {
  const auto count = element_count(array.shape);
  if (!count || static_cast<uint64_t>(*count) != array.values.size()) {
    *error = "npy: " + std::to_string(array.values.size()) + " values do not fill shape " +
             shape_text(array.shape);
    return std::nullopt;
  }
  // What numpy.save writes: a 1-tuple keeps its comma, the header is padded with spaces to a multiple of 64
  // bytes (counting the 10-byte preamble) and ends with a newline.
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(array.shape[i]);
  shape += array.shape.size() == 1 ? ",)" : ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  const size_t preamble = kMagicBytes + 2 + 2;
  header.append(63 - (preamble + header.size()) % 64, ' ');
  header += '\n';
  if (header.size() > 0xFFFF) {
    *error = "npy: header too long for format 1.0 (" + std::to_string(array.shape.size()) + " dimensions)";
    return std::nullopt;
  }
  std::vector<uint8_t> bytes(kMagic, kMagic + kMagicBytes);
  bytes.insert(bytes.end(),
               {1, 0, static_cast<uint8_t>(header.size() & 0xFF), static_cast<uint8_t>(header.size() >> 8)});
  bytes.insert(bytes.end(), header.begin(), header.end());
  const auto* values = reinterpret_cast<const uint8_t*>(array.values.data());
  bytes.insert(bytes.end(), values, values + array.values.size() * sizeof(float));
  return bytes;
}

bool write_npy(const std::string& path, const NpyArray& array, std::string* error) {
  const auto bytes = encode_npy(array, error);
  if (!bytes) {
    *error = path + ": " + error->substr(5);  // "npy: ..." named by the file instead
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
  out.close();
  if (!out) {
    *error = path + ": cannot write: " + std::strerror(errno);
    return false;
  }
  return true;
}

int64_t NpySamples::sample_elements() const {
  return element_count(sample_shape).value_or(0);
}

std::string NpySamples::describe_sample(int64_t sample) const {
  for (const Source& source : sources)
    if (sample >= source.first_sample && sample < source.first_sample + source.num_samples)
      return source.file + " sample " + std::to_string(sample - source.first_sample) +
             (sources.size() > 1 ? " (sample " + std::to_string(sample) + " of the set)" : "");
  return "sample " + std::to_string(sample);
}

std::optional<NpySamples> load_npy_samples(const std::string& path, std::string* error) {
  namespace fs = std::filesystem;
  std::error_code code;
  std::vector<std::string> files;
  if (fs::is_directory(path, code)) {
    fs::directory_iterator it(path, code), end;
    for (; !code && it != end; it.increment(code)) {
      std::error_code file_code;
      if (it->path().extension() == ".npy" && it->is_regular_file(file_code))
        files.push_back(it->path().string());
    }
    if (code) {
      *error = path + ": cannot list the directory: " + code.message();
      return std::nullopt;
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      *error = path + ": no .npy files in the directory";
      return std::nullopt;
    }
  } else {
    files.push_back(path);
  }

  NpySamples set;
  std::string first_file;
  for (const std::string& file : files) {
    auto array = read_npy(file, error);
    if (!array) return std::nullopt;
    if (array->shape.empty()) {
      *error = file + ": a 0-d array has no sample axis (need shape [N,...])";
      return std::nullopt;
    }
    const std::vector<int64_t> sample_shape(array->shape.begin() + 1, array->shape.end());
    if (first_file.empty()) {
      first_file = file;
      set.sample_shape = sample_shape;
    } else if (sample_shape != set.sample_shape) {
      *error = file + ": shape " + shape_text(array->shape) + ": samples of shape " +
               shape_text(sample_shape) + " differ from " + shape_text(set.sample_shape) + " in " +
               first_file;
      return std::nullopt;
    }
    set.sources.push_back({file, set.num_samples, array->shape[0]});
    set.num_samples += array->shape[0];
    set.values.insert(set.values.end(), array->values.begin(), array->values.end());
  }
  if (set.num_samples == 0) {
    *error = path + ": no samples (the first axis is 0)";
    return std::nullopt;
  }
  return set;
}

bool check_samples_fit_input(const NpySamples& samples, const Shape& input_shape, const std::string& what,
                             std::string* error) {
  const std::vector<int64_t> full(input_shape.dims, input_shape.dims + input_shape.rank);
  const bool batch_of_one = !full.empty() && full[0] == 1;
  const std::vector<int64_t> unbatched =
      batch_of_one ? std::vector<int64_t>(full.begin() + 1, full.end()) : full;
  const std::string source = samples.sources.empty() ? "samples" : samples.sources.front().file;
  if (samples.sample_shape != full && samples.sample_shape != unbatched) {
    std::string expected = shape_text(unbatched, "N");
    if (batch_of_one) expected += " or " + shape_text(full, "N");
    *error = source + ": arrays of shape " + shape_text(samples.sample_shape, "N") + " do not fit " + what +
             " " + shape_text(full) + ": expected " + expected;
    return false;
  }
  const int64_t per_sample = samples.sample_elements();
  for (size_t i = 0; i < samples.values.size(); ++i) {
    if (std::isfinite(samples.values[i])) continue;
    const int64_t sample = per_sample > 0 ? static_cast<int64_t>(i) / per_sample : 0;
    *error = samples.describe_sample(sample) + ", value " + std::to_string(i - sample * per_sample) + " is " +
             (std::isnan(samples.values[i]) ? "NaN" : "infinite") + ": " + what + " needs finite values";
    return false;
  }
  return true;
}

}  // namespace edgeinfer::host
