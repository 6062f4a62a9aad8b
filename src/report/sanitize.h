// Text from the input (folder names, statements, identifiers, server messages) made safe for
// each kind of output: every reporter goes through these, so no format passes bytes it cannot
// hold (invalid UTF-8 in JSON) or that a terminal would obey (ESC, BEL, C1 controls).
#pragma once

#include <cstdint>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

#include "util/utf8.h"

namespace sm::report {

using util::decode_utf8;
using util::Utf8Step;
using util::valid_utf8;

// `s` as a JSON string literal (quotes included): well-formed UTF-8, control characters (C0, DEL
// and C1) escaped as \u00XX.
std::string json_quote(std::string_view s);
// The same, appended to `out`.
void append_json_quoted(std::string& out, std::string_view s);

// Output for the JSON and SARIF writers: collected in a buffer that goes to the stream 64 KiB at
// a time, so that a field costs an append, not a trip through the stream (std::cout synchronised
// with stdio writes each `<<` on its own). Everything is written when it goes out of scope.
class BufferedOut {
 public:
  explicit BufferedOut(std::ostream& out) : out_(out) { buf_.reserve(kChunk + 4096); }
  ~BufferedOut() { flush(); }
  BufferedOut(const BufferedOut&) = delete;
  BufferedOut& operator=(const BufferedOut&) = delete;

  // A string of the input, written as a JSON string literal (json_quote).
  struct Quoted {
    std::string_view text;
  };

  BufferedOut& operator<<(std::string_view s) {
    buf_.append(s);
    return spill();
  }
  BufferedOut& operator<<(const char* s) { return *this << std::string_view(s); }
  BufferedOut& operator<<(const std::string& s) { return *this << std::string_view(s); }
  BufferedOut& operator<<(Quoted q) {
    append_json_quoted(buf_, q.text);
    return spill();
  }
  BufferedOut& operator<<(uint64_t v) { return *this << std::string_view(std::to_string(v)); }
  BufferedOut& operator<<(uint32_t v) { return *this << uint64_t{v}; }
  BufferedOut& operator<<(int v) { return *this << std::string_view(std::to_string(v)); }

  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    buf_.clear();
  }

 private:
  static constexpr size_t kChunk = 64u << 10;
  BufferedOut& spill() {
    if (buf_.size() >= kChunk) flush();
    return *this;
  }
  std::ostream& out_;
  std::string buf_;
};

inline BufferedOut::Quoted json_string(std::string_view s) {
  return {s};
}

// `s` for a terminal or a CI log: well-formed UTF-8 in which nothing is a control character.
// Bytes that are not UTF-8 and C0 controls are shown as \xNN, DEL as \x7f, C1 controls
// (U+0080–U+009F) as \u0080…; `\n` and `\t` stay when `keep_layout` (multi-line messages).
std::string printable(std::string_view s, bool keep_layout = false);

// A stream that passes what is written to `to` through printable(…, true), a line at a time: for
// commands whose messages quote migration names, SQL and server errors in many places (status,
// apply, resolve, rehearse), so that no message can forget it.
class PrintableStream : public std::ostream {
 public:
  explicit PrintableStream(std::ostream& to) : std::ostream(&buf_), buf_(to) {}
  ~PrintableStream() override { buf_.pubsync(); }

 private:
  class Buf : public std::streambuf {
   public:
    explicit Buf(std::ostream& to) : to_(to) {}

   protected:
    int overflow(int c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

   private:
    void write_lines(bool all);
    std::ostream& to_;
    std::string pending_;  // up to the next newline: a UTF-8 sequence is never cut in two
  };
  Buf buf_;
};

}  // namespace sm::report
