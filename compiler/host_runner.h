// Host-side conveniences for running models: aligned loading from files or memory, arena measurement, and
// an interpreter that owns its heap arena. Used by the CLI, tests and benchmarks; not for firmware.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/interpreter.h"
#include "edgeinfer/model.h"
#include "edgeinfer/op_resolver.h"
#include "edgeinfer/status.h"

namespace edgeinfer::host {

// A heap buffer aligned to 16 bytes (the alignment models and arenas need).
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t size);
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

// Model bytes held in aligned memory and verified.
class LoadedModel {
 public:
  // Errors name the file: "model.tflite: cannot open: No such file or directory".
  Status load_file(const std::string& path);
  Status load_bytes(const void* data, size_t size);
  const Model& model() const { return model_; }
  const AlignedBuffer& bytes() const { return bytes_; }

 private:
  AlignedBuffer bytes_;
  Model model_;
};

// The exact arena a model needs with `resolver`, found by allocating in growing heap arenas.
Status measure_arena_bytes(const Model& model, const OpResolver& resolver, size_t* arena_bytes);

// An interpreter over a heap arena of exactly the bytes requested (default: exactly what the model needs).
class HostInterpreter {
 public:
  // arena_bytes == 0: measure first, then allocate in exactly the measured size.
  Status init(const Model& model, const OpResolver& resolver, size_t arena_bytes = 0);
  Interpreter& interpreter() { return *interpreter_; }
  size_t arena_bytes() const { return arena_.size(); }

 private:
  AlignedBuffer arena_;
  std::unique_ptr<Interpreter> interpreter_;
};

// All output tensors' bytes concatenated in output order.
std::vector<uint8_t> output_bytes(const Interpreter& interpreter);

// Reads a whole file; nullopt with `error` set when it cannot.
std::optional<std::vector<uint8_t>> read_file(const std::string& path, std::string* error);

// "lcg:SEED" (SEED a decimal 32-bit unsigned number) -> SEED; nullopt with `error` set otherwise.
std::optional<uint32_t> parse_lcg_fill(const std::string& fill, std::string* error);

}  // namespace edgeinfer::host
