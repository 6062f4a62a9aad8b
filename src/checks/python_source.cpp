#include "checks/python_source.h"

#include <sstream>

namespace sm::checks {

std::vector<PythonLine> python_lines(const model::PythonCode& code) {
  std::vector<PythonLine> out;
  std::istringstream in(code.source);
  std::string text;
  std::vector<size_t> loops;  // indentation of the enclosing for/while statements
  static const re2::RE2 loop_head(R"(^\s*(async\s+)?(for|while)\b.*:\s*(#.*)?$)");
  uint32_t line = code.line ? code.line : 1;
  for (; std::getline(in, text); ++line) {
    size_t indent = text.find_first_not_of(" \t");
    if (indent == std::string::npos || text[indent] == '#') continue;
    while (!loops.empty() && indent <= loops.back()) loops.pop_back();
    out.push_back({line, text, indent, !loops.empty()});
    if (RE2::PartialMatch(text, loop_head)) loops.push_back(indent);
  }
  return out;
}

std::string python_line_text(const model::PythonCode& code, uint32_t line) {
  for (auto& l : python_lines(code))
    if (l.line == line) return std::move(l.text);
  return {};
}

std::vector<PythonLine> matching_lines(const model::PythonCode& code, const re2::RE2& pattern) {
  std::vector<PythonLine> out;
  for (auto& l : python_lines(code))
    if (RE2::PartialMatch(l.text, pattern)) out.push_back(std::move(l));
  return out;
}

std::vector<const model::PythonCode*> python_codes(const model::Operation& op) {
  std::vector<const model::PythonCode*> out;
  for (const auto* code : {&op.code, &op.reverse_code})
    if (*code && !is_noop(**code) &&
        !(!out.empty() && out.front()->file == (*code)->file && out.front()->line == (*code)->line))
      out.push_back(&**code);  // one function given both ways is checked once
  return out;
}

}  // namespace sm::checks
