#include "auth/callback_signature.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_join.h"
#include "auth/digest.h"

namespace wxgate {
namespace {

std::string SortedSha1(std::vector<absl::string_view> parts) {
  std::sort(parts.begin(), parts.end());
  return Sha1Hex(absl::StrJoin(parts, ""));
}

}  // namespace

std::string CallbackSignature(absl::string_view token, absl::string_view timestamp,
                              absl::string_view nonce) {
  return SortedSha1({token, timestamp, nonce});
}

std::string MessageSignature(absl::string_view token, absl::string_view timestamp,
                             absl::string_view nonce, absl::string_view encrypted) {
  return SortedSha1({token, timestamp, nonce, encrypted});
}

bool SignaturesEqual(absl::string_view expected, absl::string_view given) {
  return expected.size() == given.size() &&
         CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

}  // namespace wxgate
