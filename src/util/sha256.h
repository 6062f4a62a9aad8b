// SHA-256 of a byte string, as lowercase hex (what `sha256sum` prints and what Prisma stores
// in `_prisma_migrations.checksum`).
#pragma once

#include <string>
#include <string_view>

namespace sm::util {

std::string sha256_hex(std::string_view bytes);

}  // namespace sm::util
