#include "util/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace sm::util {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up in its providers at every
  // EVP_Digest, once per migration file here. Never freed (one per process).
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (!sha256 || EVP_Digest(bytes.data(), bytes.size(), digest, &length, sha256, nullptr) != 1)
    throw std::runtime_error("OpenSSL could not compute a SHA-256 digest");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}

}  // namespace sm::util
