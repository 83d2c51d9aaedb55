#include "tools/edgeinfer/escape.h"

#include <cstdio>

namespace edgeinfer::cli {
namespace {

uint8_t byte_at(std::string_view text, size_t i) {
  return static_cast<uint8_t>(text[i]);
}

bool in_range(uint8_t byte, uint8_t low, uint8_t high) {
  return byte >= low && byte <= high;
}

// Characters that must not reach a terminal or a log as they are: C1 controls (some terminals take U+009B as
// CSI), bidirectional formatting (can make a name read as something else) and line/paragraph separators.
bool needs_escape(uint32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9F) || code_point == 0x200E || code_point == 0x200F ||
         (code_point >= 0x202A && code_point <= 0x202E) || (code_point >= 0x2066 && code_point <= 0x2069) ||
         code_point == 0x2028 || code_point == 0x2029 || code_point == 0x061C || code_point == 0xFEFF;
}

uint32_t decode(std::string_view text, size_t length) {
  const uint8_t first = byte_at(text, 0);
  if (length == 1) return first;
  uint32_t code_point = first & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07);
  for (size_t i = 1; i < length; ++i) code_point = (code_point << 6) | (byte_at(text, i) & 0x3F);
  return code_point;
}

}  // namespace

// Well-formed sequences as in the Unicode standard, table 3-7: no overlong forms, no surrogates, nothing
// above U+10FFFF.
size_t utf8_sequence_length(std::string_view text) {
  if (text.empty()) return 0;
  const uint8_t b0 = byte_at(text, 0);
  if (b0 < 0x80) return 1;
  size_t length;
  uint8_t low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (in_range(b0, 0xC2, 0xDF)) {
    length = 2;
  } else if (in_range(b0, 0xE0, 0xEF)) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (in_range(b0, 0xF0, 0xF4)) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length || !in_range(byte_at(text, 1), low, high)) return 0;
  for (size_t i = 2; i < length; ++i)
    if (!in_range(byte_at(text, i), 0x80, 0xBF)) return 0;
  return length;
}

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  char escaped[16];
  for (size_t i = 0; i < text.size();) {
    const size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) {  // not UTF-8: show the byte
      std::snprintf(escaped, sizeof(escaped), "\\x%02X", byte_at(text, i));
      out += escaped;
      ++i;
      continue;
    }
    const uint32_t code_point = decode(text.substr(i), length);
    if (code_point == '\\') {
      out += "\\\\";  // so that an escape in the output always means an escaped character
    } else if (code_point == '\n') {
      out += "\\n";
    } else if (code_point == '\t') {
      out += "\\t";
    } else if (code_point == '\r') {
      out += "\\r";
    } else if (code_point < 0x20 || code_point == 0x7F) {
      std::snprintf(escaped, sizeof(escaped), "\\x%02X", static_cast<unsigned>(code_point));
      out += escaped;
    } else if (needs_escape(code_point)) {
      std::snprintf(escaped, sizeof(escaped), "\\u{%04X}", static_cast<unsigned>(code_point));
      out += escaped;
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

std::string json_text(const nlohmann::json& json, int indent) {
  // ASCII only (\uXXXX for the rest): JSON readers decode it to the same strings, and no C1 control or
  // bidirectional override reaches a terminal as it is.
  return json.dump(indent, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgeinfer::cli
