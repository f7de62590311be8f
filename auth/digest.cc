#include "auth/digest.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace wxgate {

namespace {

// Fetched once: EVP_sha1() makes OpenSSL 3 look the algorithm up in its provider
// tables on every digest, which costs more than hashing a signature's few bytes.
// Kept for the life of the process, never freed.
const EVP_MD* Sha1() {
  static const EVP_MD* const sha1 = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return fetched != nullptr ? fetched : EVP_sha1();
  }();
  return sha1;
}

}  // namespace

std::string Sha1Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, Sha1(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace wxgate
