// Status: the result of every fallible call in EdgeInfer. No exceptions in the core: a call returns a Status
// whose message names what is wrong (op, tensor, field, expected vs got).
#pragma once

#include <cstddef>

namespace edgeinfer {

enum class StatusCode : unsigned char {
  kOk = 0,
  kInvalidModel,      // the model bytes or their meaning are wrong
  kUnsupported,       // valid, but an op, type or feature we do not run
  kArenaTooSmall,     // the arena cannot hold what the model needs
  kInvalidArgument,   // a caller passed something wrong (index, size, state)
  kFailedPrecondition,// called in the wrong state (e.g. invoke before allocate)
  kInternal,
};

const char* status_code_name(StatusCode code);

class Status {
 public:
  static constexpr size_t kMaxMessage = 240;

  Status() = default;
  static Status ok() { return Status(); }
  // printf-style message. Avoid %f in freestanding code: newlib's float printing needs the heap.
  static Status error(StatusCode code, const char* format, ...) __attribute__((format(printf, 2, 3)));

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const char* message() const { return message_; }

  // Prepends context ("op 3 (CONV_2D): ") to the message, keeping the code.
  Status& prefix(const char* format, ...) __attribute__((format(printf, 2, 3)));

 private:
  StatusCode code_ = StatusCode::kOk;
  char message_[kMaxMessage] = {};
};

}  // namespace edgeinfer

// Returns early from the enclosing function when `expr` is an error.
#define EI_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::edgeinfer::Status ei_status_ = (expr);     \
    if (!ei_status_.is_ok()) return ei_status_;  \
  } while (0)
