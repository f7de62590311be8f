// Digests the auth code shares, in the lower-case hex WeChat's signatures use.
#ifndef WXGATE_AUTH_DIGEST_H_
#define WXGATE_AUTH_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"

namespace wxgate {

std::string Sha1Hex(absl::string_view data);

}  // namespace wxgate

#endif  // WXGATE_AUTH_DIGEST_H_
