// The reports `inspect` and `run` print, as functions of a loaded model or an invoked interpreter: the
// commands print them, and the libFuzzer target tests/fuzz/cli_report_fuzzer.cc feeds them arbitrary model
// bytes. Reports are built as a whole and printed at once, so a failing command prints no partial report.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "edgeinfer/interpreter.h"
#include "edgeinfer/model.h"
#include "edgeinfer/op_resolver.h"
#include "edgeinfer/status.h"

namespace edgeinfer::cli {

// printf onto a string.
inline void appendf(std::string& text, const char* format, ...) __attribute__((format(printf, 2, 3)));
inline void appendf(std::string& text, const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  const int length = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (length > 0) {
    const size_t start = text.size();
    text.resize(start + static_cast<size_t>(length) + 1);
    std::vsnprintf(text.data() + start, static_cast<size_t>(length) + 1, format, args);
    text.resize(start + static_cast<size_t>(length));
  }
  va_end(args);
}

// Writes a finished report to stdout.
void print_report(const std::string& report);

// ---- inspect ----------------------------------------------------------------------------------------------

struct ArenaFigures {
  Status status;  // why the arena is unknown, when not ok
  size_t arena_bytes = 0;
  size_t persistent_bytes = 0;  // tables, op data, state tensors
  size_t planned_bytes = 0;     // activations and scratch, shared by lifetime
};

// The exact arena `model` needs with `resolver` (measured in heap arenas of growing size).
ArenaFigures measure_arena(const Model& model, const OpResolver& resolver);

// `model_path` and `kernels` are only shown. Every string from the model is escaped (escape.h).
std::string inspect_report(const Model& model, const std::string& model_path, const std::string& kernels,
                           const ArenaFigures& arena, bool json);

// ---- run --------------------------------------------------------------------------------------------------

struct RunFigures {
  std::string model_path;
  size_t arena_bytes = 0;
  std::vector<double> micros;  // per invoke
  // --stream: the number of invokes (chunks) and the bytes written; the outputs shown are the last invoke's.
  bool stream = false;
  size_t chunk_bytes = 0;
  size_t output_bytes = 0;
};

// The outputs of `interpreter` (after an invoke) and the latency figures.
std::string run_report(const RunFigures& figures, const Interpreter& interpreter, bool json);

}  // namespace edgeinfer::cli
