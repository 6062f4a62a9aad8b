#include "util/utf8.h"

namespace sm::util {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

}  // namespace

Utf8Step decode_utf8(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return {c, 1};
  size_t need;
  int32_t cp;
  // The second byte's range depends on the first (Table 3-7 of the Unicode standard): this is
  // what rules out overlong forms, surrogates and code points above U+10FFFF.
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return {-1, 1};
  }
  size_t k = 1;
  for (; k <= need; ++k) {
    if (i + k >= s.size()) return {-1, k};
    unsigned char d = b(i + k);
    if (k == 1 ? (d < lo || d > hi) : !continuation(d)) return {-1, k};
    cp = (cp << 6) | (d & 0x3F);
  }
  return {cp, k};
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    Utf8Step st = decode_utf8(s, i);
    if (st.cp < 0)
      out += kReplacement;
    else
      out.append(s.substr(i, st.len));
    i += st.len;
  }
  return out;
}

}  // namespace sm::util
