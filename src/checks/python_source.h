// Scanning the Python source of a data migration (Django's RunPython) with RE2, line by line.
#pragma once

#include <re2/re2.h>

#include <string>
#include <vector>

#include "model/migration.h"

namespace sm::checks {

struct PythonLine {
  uint32_t line = 0;  // in the code's file
  std::string text;
  size_t indent = 0;
  bool in_loop = false;  // inside the body of a `for` or `while` of this code
};

// The lines of `code.source`, numbered as in its file, with comments and blank lines left out.
std::vector<PythonLine> python_lines(const model::PythonCode& code);

// RunPython.noop: Django's function that does nothing (a forward or reverse placeholder).
inline bool is_noop(const model::PythonCode& code) {
  return code.qualname == "RunPython.noop" && code.module == "django.db.migrations.operations.special";
}

// The Python a RunPython runs, forwards then backwards (RunPython.noop left out): both run on
// production, so both are checked.
std::vector<const model::PythonCode*> python_codes(const model::Operation& op);

// The text of line `line` of `code` (in its file's numbering), or "" when it is not one of its lines.
std::string python_line_text(const model::PythonCode& code, uint32_t line);

// The lines of `code` that `pattern` matches (RE2 partial match).
std::vector<PythonLine> matching_lines(const model::PythonCode& code, const re2::RE2& pattern);

}  // namespace sm::checks
