#include <filesystem>
#include <system_error>

#include "report/report.h"

namespace sm::report {

namespace fs = std::filesystem;

std::string path_from_cwd(const std::string& file) {
  if (file.empty()) return file;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (ec) return file;
  fs::path abs = fs::absolute(fs::path(file), ec).lexically_normal();
  if (ec) return file;
  fs::path rel = abs.lexically_relative(cwd);
  // Outside the working folder a relative path would climb with "..": CI tools cannot map
  // that to the repository, so give the absolute path instead.
  if (rel.empty() || *rel.begin() == "..") return abs.generic_string();
  return rel.generic_string();
}

uint32_t column_in_code_points(const model::Finding& f) {
  // The finding's source line starts at column 1 (a statement's first line is padded), so the
  // code points before the byte column can be counted; without it the byte column stands.
  if (f.source_line.empty() || f.loc.column == 0) return f.loc.column;
  uint32_t col = 1;
  for (size_t i = 0; i + 1 < f.loc.column && i < f.source_line.size(); ++i)
    if ((static_cast<unsigned char>(f.source_line[i]) & 0xC0) != 0x80) ++col;
  return col;
}

}  // namespace sm::report
