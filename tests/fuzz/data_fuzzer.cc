// libFuzzer target: untrusted bytes -> the dataset parsers (compiler/data/dataset.h): IDX (plain or gzipped),
// CSV, gunzip and integer .npy labels. Any crash, sanitizer report, hang or out-of-memory is a bug; so is an
// error that is not one line naming the file, an IDX array that does not fill its shape, or a CSV set whose
// counts disagree, whose values are not finite or whose labels are not below its classes. Run it with
// scripts/fuzz.sh SECONDS.
//
// Replay one input: build/fuzz/bin/edgeinfer_data_fuzzer crash-FILE
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "compiler/data/dataset.h"
#include "compiler/npy.h"

namespace {

// Decoded bytes at most: gzip bombs in the fuzzer's inputs stay cheap to run.
constexpr uint64_t kMaxBytes = uint64_t{1} << 24;
constexpr int32_t kClasses = 10;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "data_fuzzer: %s: %s\n", what, detail.c_str());
  std::abort();
}

void check_error(const std::string& error, const std::string& name) {
  if (error.rfind(name, 0) != 0 || error.find('\n') != std::string::npos)
    fail("error not one line naming the file", error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace edgeinfer;
  using namespace edgeinfer::compiler;
  std::string error;

  if (const auto idx = data::parse_idx(data, size, "fuzz-idx", &error, kMaxBytes)) {
    uint64_t count = 1;
    for (int64_t dim : idx->shape) count *= static_cast<uint64_t>(dim);  // parse_idx bounded the product
    if (idx->values.size() != count) fail("IDX values do not fill the shape", "");
  } else {
    check_error(error, "fuzz-idx: ");
  }

  if (const auto plain = data::gunzip_if_gzipped(data, size, "fuzz.gz", &error, kMaxBytes)) {
    if (plain->size() > kMaxBytes) fail("gunzip went past its limit", std::to_string(plain->size()));
  } else {
    check_error(error, "fuzz.gz: ");
  }

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto csv = data::parse_csv(text, "fuzz.csv", kClasses, &error)) {
    const int64_t n = csv->samples.num_samples, per_sample = csv->samples.sample_elements();
    if (n < 1 || per_sample < 1 || static_cast<int64_t>(csv->labels.size()) != n ||
        static_cast<int64_t>(csv->samples.values.size()) != n * per_sample)
      fail("CSV counts disagree", std::to_string(n) + " samples");
    for (float value : csv->samples.values)
      if (!std::isfinite(value)) fail("CSV value not finite", "");
    for (int32_t label : csv->labels)
      if (label < 0 || label >= kClasses) fail("CSV label out of range", std::to_string(label));
    // Shaping the rows like an input of as many values, or refusing another, ends cleanly.
    Shape input;
    input.rank = 2;
    input.dims[0] = 1;
    input.dims[1] = static_cast<int32_t>(per_sample % 7 == 0 ? per_sample : per_sample + 1);
    if (!data::fit_to_input(&*csv, input, "input 0", &error)) check_error(error, "fuzz.csv: ");
  } else {
    check_error(error, "fuzz.csv");
  }

  if (const auto labels = host::parse_npy_int(data, size, "fuzz.npy", &error)) {
    int64_t count = 1;
    for (int64_t dim : labels->shape) count *= dim;  // parse_npy_int checked it against the data size
    if (static_cast<int64_t>(labels->values.size()) != count) fail("npy values do not fill the shape", "");
  } else {
    check_error(error, "fuzz.npy: ");
  }
  return 0;
}
