#include "compiler/host_runner.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace edgeinfer::host {

// Exactly `size` bytes (not rounded up), so AddressSanitizer sees a read one byte past the end.
AlignedBuffer::AlignedBuffer(size_t size) : size_(size) {
  void* memory = nullptr;
  if (posix_memalign(&memory, 16, size == 0 ? 1 : size) != 0) memory = nullptr;
  data_.reset(static_cast<uint8_t*>(memory));
}

void AlignedBuffer::Free::operator()(uint8_t* p) const {
  std::free(p);
}

std::optional<std::vector<uint8_t>> read_file(const std::string& path, std::string* error) {
  // A directory opens as a stream on Linux and then fails inside the read: refuse it by name first.
  std::error_code status_error;
  if (std::filesystem::is_directory(path, status_error)) {
    *error = path + ": is a directory, not a file";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open: " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    *error = path + ": read error";
    return std::nullopt;
  }
  return bytes;
}

Status LoadedModel::load_file(const std::string& path) {
  std::string error;
  auto bytes = read_file(path, &error);
  if (!bytes) return Status::error(StatusCode::kInvalidArgument, "%s", error.c_str());
  Status status = load_bytes(bytes->data(), bytes->size());
  if (!status.is_ok()) status.prefix("%s: ", path.c_str());
  return status;
}

Status LoadedModel::load_bytes(const void* data, size_t size) {
  bytes_ = AlignedBuffer(size);
  if (bytes_.data() == nullptr)
    return Status::error(StatusCode::kInvalidArgument, "cannot allocate %zu bytes for the model", size);
  if (size > 0) std::memcpy(bytes_.data(), data, size);
  return Model::from_bytes(bytes_.data(), size, &model_);
}

Status measure_arena_bytes(const Model& model, const OpResolver& resolver, size_t* arena_bytes) {
  size_t trial = 1 << 20;
  constexpr size_t kLimit = size_t{1} << 32;
  for (;;) {
    AlignedBuffer arena(trial);
    Interpreter interpreter(model, resolver, arena.data(), arena.size());
    Status status = interpreter.allocate();
    if (status.is_ok()) {
      *arena_bytes = interpreter.arena_used_bytes();
      return status;
    }
    if (status.code() != StatusCode::kArenaTooSmall) return status;
    const size_t required = interpreter.arena_required_bytes();
    const size_t next = required > trial ? required : trial * 4;
    if (next > kLimit) return status;
    trial = next;
  }
}

Status HostInterpreter::init(const Model& model, const OpResolver& resolver, size_t arena_bytes) {
  if (arena_bytes == 0) EI_RETURN_IF_ERROR(measure_arena_bytes(model, resolver, &arena_bytes));
  arena_ = AlignedBuffer(arena_bytes);
  interpreter_ = std::make_unique<Interpreter>(model, resolver, arena_.data(), arena_.size());
  return interpreter_->allocate();
}

std::vector<uint8_t> output_bytes(const Interpreter& interpreter) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    const Tensor output = interpreter.output(i);
    const uint8_t* data = static_cast<const uint8_t*>(output.data);
    if (data) bytes.insert(bytes.end(), data, data + output.bytes);
  }
  return bytes;
}

std::optional<uint32_t> parse_lcg_fill(const std::string& fill, std::string* error) {
  const std::string prefix = "lcg:";
  if (fill.rfind(prefix, 0) != 0) {
    *error = "--fill must be lcg:SEED (e.g. lcg:12345), got '" + fill + "'";
    return std::nullopt;
  }
  const std::string digits = fill.substr(prefix.size());
  uint64_t seed = 0;
  if (digits.size() > 10 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::from_chars(digits.data(), digits.data() + digits.size(), seed).ec != std::errc() ||
      digits.empty()) {
    *error = "--fill seed must be a decimal 32-bit unsigned number, got '" + digits + "'";
    return std::nullopt;
  }
  if (seed > 0xFFFFFFFFu) {
    *error = "--fill seed " + digits + " does not fit in 32 bits";
    return std::nullopt;
  }
  return static_cast<uint32_t>(seed);
}

}  // namespace edgeinfer::host
