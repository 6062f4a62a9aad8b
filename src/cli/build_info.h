#pragma once

namespace sm::cli {

// The git commit the binary was built from (7 hex digits, "-dirty" when tracked files differed
// from it, "unknown" outside a git checkout); generated at build time by cmake/build_info.cmake.
const char* build_commit();

}  // namespace sm::cli
