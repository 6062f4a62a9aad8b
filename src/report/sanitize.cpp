#include "report/sanitize.h"

#include <fmt/format.h>

namespace sm::report {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  append_json_quoted(out, s);
  return out;
}

void append_json_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    // Printable ASCII other than '"' and '\\' is copied as it is, a run at a time.
    size_t plain = i;
    while (plain < s.size()) {
      auto c = static_cast<unsigned char>(s[plain]);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') break;
      ++plain;
    }
    if (plain > i) {
      out.append(s.substr(i, plain - i));
      i = plain;
      continue;
    }
    Utf8Step st = decode_utf8(s, i);
    switch (st.cp) {
      case -1: out += kReplacement; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (st.cp < 0x20 || (st.cp >= 0x7F && st.cp <= 0x9F))  // C0, DEL, C1: safe on a terminal too
          out += fmt::format("\\u{:04x}", st.cp);
        else
          out.append(s.substr(i, st.len));
    }
    i += st.len;
  }
  out += '"';
}

std::string printable(std::string_view s, bool keep_layout) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    Utf8Step st = decode_utf8(s, i);
    if (st.cp < 0) {
      for (size_t k = 0; k < st.len; ++k)
        out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i + k]));
    } else if (keep_layout && (st.cp == '\n' || st.cp == '\t')) {
      out += static_cast<char>(st.cp);
    } else if (st.cp < 0x20 || st.cp == 0x7F) {
      out += fmt::format("\\x{:02x}", st.cp);
    } else if (st.cp >= 0x80 && st.cp <= 0x9F) {
      out += fmt::format("\\u{:04x}", st.cp);
    } else {
      out.append(s.substr(i, st.len));
    }
    i += st.len;
  }
  return out;
}

void PrintableStream::Buf::write_lines(bool all) {
  size_t end = pending_.size();
  if (!all) {
    end = pending_.rfind('\n');
    if (end == std::string::npos) return;
    ++end;
  }
  to_ << printable(std::string_view(pending_).substr(0, end), true);
  pending_.erase(0, end);
}

int PrintableStream::Buf::overflow(int c) {
  if (c == traits_type::eof()) return traits_type::not_eof(c);
  pending_ += static_cast<char>(c);
  if (c == '\n') write_lines(false);
  return c;
}

std::streamsize PrintableStream::Buf::xsputn(const char* s, std::streamsize n) {
  pending_.append(s, static_cast<size_t>(n));
  write_lines(false);
  return n;
}

int PrintableStream::Buf::sync() {
  write_lines(true);
  to_.flush();
  return 0;
}

}  // namespace sm::report
