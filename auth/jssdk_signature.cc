#include "auth/jssdk_signature.h"

#include "absl/strings/str_cat.h"
#include "auth/digest.h"

namespace wxgate {

std::string JsSdkSignature(absl::string_view jsapi_ticket, absl::string_view nonce_str,
                           int64_t timestamp, absl::string_view url) {
  url = url.substr(0, url.find('#'));
  return Sha1Hex(absl::StrCat("jsapi_ticket=", jsapi_ticket, "&noncestr=", nonce_str,
                              "&timestamp=", timestamp, "&url=", url));
}

}  // namespace wxgate
