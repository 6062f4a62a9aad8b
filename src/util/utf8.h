// UTF-8 as the Unicode standard defines it: the one decoder that input checks (file_read) and
// every output format (report/sanitize) share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sm::util {

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

}  // namespace sm::util
