// The signatures WeChat puts on every callback request, as its message-encryption
// document defines them: the sha1, in lower-case hex, of the parts sorted as byte
// strings and concatenated.
//
//   CallbackSignature("token", "1409659813", "1372623149")
//     == sha1("1372623149" "1409659813" "token")          // ?signature= (plain mode, GET)
//   MessageSignature("token", "1409659813", "1372623149", "<Encrypt>")
//     == sha1(sorted {"token", "1409659813", "1372623149", "<Encrypt>"})   // ?msg_signature=
#ifndef WXGATE_AUTH_CALLBACK_SIGNATURE_H_
#define WXGATE_AUTH_CALLBACK_SIGNATURE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace wxgate {

std::string CallbackSignature(absl::string_view token, absl::string_view timestamp,
                              absl::string_view nonce);

std::string MessageSignature(absl::string_view token, absl::string_view timestamp,
                             absl::string_view nonce, absl::string_view encrypted);

// Compares in time independent of where the strings differ, so a forger learns
// nothing from how fast a wrong signature is refused.
bool SignaturesEqual(absl::string_view expected, absl::string_view given);

}  // namespace wxgate

#endif  // WXGATE_AUTH_CALLBACK_SIGNATURE_H_
