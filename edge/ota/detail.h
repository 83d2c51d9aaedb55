// What the OTA package parser and the slot logic share: little-endian fields and one-line refusals.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "edge/ota/package.h"

namespace edgeinfer::ota::detail {

inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

inline void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Writes the message (when there is room for one) and returns `reason`.
inline Reason refuse(Reason reason, char* message, size_t message_size, const char* format, ...)
    __attribute__((format(printf, 4, 5)));
inline Reason refuse(Reason reason, char* message, size_t message_size, const char* format, ...) {
  if (message != nullptr && message_size > 0) {
    va_list args;
    va_start(args, format);
    std::vsnprintf(message, message_size, format, args);
    va_end(args);
  }
  return reason;
}

}  // namespace edgeinfer::ota::detail
