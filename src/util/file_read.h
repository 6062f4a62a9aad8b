// Reading a whole input file with clear, user-facing errors, and UTF-8 validation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sm::util {

// Default for --max-file-size: no migration file is this large, a mistaken path may be.
inline constexpr uint64_t kDefaultMaxFileSize = 10ull * 1024 * 1024;

struct FileReadResult {
  bool ok = false;
  std::string bytes;  // the whole file, unchanged (CRLF, BOM and all)
  std::string error;  // when !ok: a sentence naming the file, e.g. "cannot read x: it is a directory"
};

// Reads the file at `path`. Fails (ok == false, with a message) when it is missing, a
// dangling symbolic link, a directory or another non-regular file, unreadable, larger than
// `max_size` bytes, or contains a NUL byte (a binary file).
FileReadResult read_whole_file(const std::filesystem::path& path, uint64_t max_size = kDefaultMaxFileSize);

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (Unicode
// table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF, no truncation), or
// nullopt when all of `bytes` is valid UTF-8.
std::optional<size_t> first_invalid_utf8(std::string_view bytes);

// 1-based line and byte column of `offset` in `text`; lines end at '\n'.
struct LineColumn {
  uint32_t line = 1;
  uint32_t column = 1;
};
LineColumn line_column_at(std::string_view text, size_t offset);

// "512 bytes", "3.2 KiB", "12.0 MiB".
std::string human_size(uint64_t bytes);

}  // namespace sm::util
