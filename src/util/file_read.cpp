#include "util/file_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <utility>

#include "util/utf8.h"

namespace sm::util {

namespace {

FileReadResult failure(std::string message) {
  FileReadResult r;
  r.error = std::move(message);
  return r;
}

std::string describe_open_error(const std::filesystem::path& path, int err) {
  const std::string p = path.string();
  switch (err) {
    case ENOENT: {
      struct stat st {};
      if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
        return "cannot read " + p + ": it is a symbolic link whose target does not exist";
      return "cannot read " + p + ": no such file";
    }
    case ENOTDIR: return "cannot read " + p + ": a folder in its path is not a folder";
    case EACCES:
    case EPERM: return "cannot read " + p + ": permission denied";
    case ELOOP: return "cannot read " + p + ": too many levels of symbolic links (a symbolic link loop?)";
    default: return "cannot read " + p + ": " + std::strerror(err);
  }
}

std::string describe_file_type(mode_t mode) {
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

std::string too_large(const std::filesystem::path& path, uint64_t size, uint64_t max_size, bool at_least) {
  return path.string() + " is " + (at_least ? "at least " : "") + human_size(size) + " (" +
         std::to_string(size) + " bytes), larger than the limit of " + human_size(max_size) + " (" +
         std::to_string(max_size) + " bytes); raise the limit with --max-file-size";
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

FileReadResult read_whole_file(const std::filesystem::path& path, uint64_t max_size) {
  // O_NONBLOCK: opening a named pipe must not hang; it has no effect on regular files.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return failure(describe_open_error(path, errno));

  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return failure("cannot read " + path.string() + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return failure("cannot read " + path.string() + ": it is a directory, not a file");
  if (!S_ISREG(st.st_mode))
    return failure("cannot read " + path.string() + ": it is " + describe_file_type(st.st_mode));
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_size) return failure(too_large(path, size, max_size, false));

  FileReadResult r;
  r.bytes.reserve(static_cast<size_t>(size));
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return failure(describe_open_error(path, errno));
    }
    if (n == 0) break;
    r.bytes.append(buffer, static_cast<size_t>(n));
    // The file may grow while we read it.
    if (r.bytes.size() > max_size) return failure(too_large(path, r.bytes.size(), max_size, true));
  }

  if (const void* nul = std::memchr(r.bytes.data(), '\0', r.bytes.size())) {
    size_t offset = static_cast<size_t>(static_cast<const char*>(nul) - r.bytes.data());
    return failure(path.string() + " contains a NUL byte at byte offset " + std::to_string(offset) +
                   ": binary file, not SQL text");
  }
  r.ok = true;
  return r;
}

std::optional<size_t> first_invalid_utf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {  // ASCII, most of any migration: no call
      ++i;
      continue;
    }
    Utf8Step st = decode_utf8(bytes, i);
    if (st.cp < 0) return i;
    i += st.len;
  }
  return std::nullopt;
}

LineColumn line_column_at(std::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  LineColumn lc;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      line_start = i + 1;
    }
  }
  lc.column = static_cast<uint32_t>(offset - line_start + 1);
  return lc;
}

std::string human_size(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  char out[32];
  std::snprintf(out, sizeof out, "%.1f %s", value, kUnits[unit]);
  return out;
}

}  // namespace sm::util
