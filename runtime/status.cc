#include "edgeinfer/status.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace edgeinfer {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidModel: return "invalid model";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kArenaTooSmall: return "arena too small";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kFailedPrecondition: return "failed precondition";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

Status Status::error(StatusCode code, const char* format, ...) {
  Status status;
  status.code_ = code == StatusCode::kOk ? StatusCode::kInternal : code;
  va_list args;
  va_start(args, format);
  vsnprintf(status.message_, kMaxMessage, format, args);
  va_end(args);
  return status;
}

Status& Status::prefix(const char* format, ...) {
  char head[kMaxMessage];
  va_list args;
  va_start(args, format);
  int head_length = vsnprintf(head, kMaxMessage, format, args);
  va_end(args);
  if (head_length <= 0) return *this;
  char joined[kMaxMessage];
  // Too long for kMaxMessage, the result keeps the prefix and as much of the old message as fits (by design).
  if (snprintf(joined, kMaxMessage, "%s%s", head, message_) < 0) return *this;
  memcpy(message_, joined, kMaxMessage);
  return *this;
}

}  // namespace edgeinfer
