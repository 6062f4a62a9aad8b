// Text from the input (folder names, statements, identifiers, server messages) made safe for
// each kind of output: every reporter goes through these, so no format passes bytes it cannot
// hold (invalid UTF-8 in JSON) or that a terminal would obey (ESC, BEL, C1 controls).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sm::report {

// One step of UTF-8 decoding at `s[i]`: the code point and its length in bytes, or, for bytes
// that are not well-formed UTF-8 (overlong forms, surrogates, beyond U+10FFFF, truncated
// sequences), cp = -1 and the length of the maximal ill-formed subpart (Unicode 15, ch. 3),
// which is what decoders replace by one U+FFFD.
struct Utf8Step {
  int32_t cp;
  size_t len;
};
Utf8Step decode_utf8(std::string_view s, size_t i);

// `s` as well-formed UTF-8: each ill-formed subpart replaced by U+FFFD.
std::string valid_utf8(std::string_view s);

// `s` as a JSON string literal (quotes included): well-formed UTF-8, control characters escaped.
std::string json_quote(std::string_view s);

// `s` for a terminal or a CI log: well-formed UTF-8 in which nothing is a control character.
// Bytes that are not UTF-8 and C0 controls are shown as \xNN, DEL as \x7f, C1 controls
// (U+0080–U+009F) as \u0080…; `\n` and `\t` stay when `keep_layout` (multi-line messages).
std::string printable(std::string_view s, bool keep_layout = false);

}  // namespace sm::report
