// Text from the input (folder names, statements, identifiers, server messages) made safe for
// each kind of output: every reporter goes through these, so no format passes bytes it cannot
// hold (invalid UTF-8 in JSON) or that a terminal would obey (ESC, BEL, C1 controls).
#pragma once

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
