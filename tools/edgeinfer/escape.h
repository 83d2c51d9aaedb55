// The one place where the CLI makes untrusted strings printable. Model files (tensor names, custom op names,
// descriptions, metadata names), linker maps and run logs may hold any bytes: invalid UTF-8, control
// characters, terminal escape sequences. Everything the CLI prints goes through one of these functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace edgeinfer::cli {

// Text output (reports and error lines): valid UTF-8 text is kept, except that control characters and
// characters that reorder or break lines are escaped (\n, \t, \r, \\, \xNN for C0 and DEL, \u{XXXX} for C1
// controls, bidirectional overrides and line separators); every byte of invalid UTF-8 becomes \xNN. The
// result is valid UTF-8 on one line.
std::string printable(std::string_view text);

// JSON output: the document as ASCII, every string (keys included) written as valid UTF-8 with invalid
// sequences replaced by U+FFFD (nlohmann::json would throw type_error 316 on them). indent < 0: compact.
std::string json_text(const nlohmann::json& json, int indent = -1);

// Length of the well-formed UTF-8 sequence starting at text[0] (1 to 4), or 0 when it is not one.
size_t utf8_sequence_length(std::string_view text);

// True when `text` is well-formed UTF-8 (tests check reports with it).
bool is_valid_utf8(std::string_view text);

}  // namespace edgeinfer::cli
