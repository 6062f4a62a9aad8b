// Text from the input (folder names, statements, identifiers, server messages) made safe for
// each kind of output: every reporter goes through these, so no format passes bytes it cannot
// hold (invalid UTF-8 in JSON) or that a terminal would obey (ESC, BEL, C1 controls).
#pragma once

#include <string>
#include <string_view>

#include "util/utf8.h"

namespace sm::report {

using util::decode_utf8;
using util::Utf8Step;
using util::valid_utf8;

// `s` as a JSON string literal (quotes included): well-formed UTF-8, control characters escaped.
std::string json_quote(std::string_view s);

// `s` for a terminal or a CI log: well-formed UTF-8 in which nothing is a control character.
// Bytes that are not UTF-8 and C0 controls are shown as \xNN, DEL as \x7f, C1 controls
// (U+0080–U+009F) as \u0080…; `\n` and `\t` stay when `keep_layout` (multi-line messages).
std::string printable(std::string_view s, bool keep_layout = false);

}  // namespace sm::report
