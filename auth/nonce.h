// Nonces for what the gateway signs: the JS-SDK's nonceStr and the Nonce of a
// sealed callback reply.
//
//   NewNonce()  -> "Wm3WZYTPz0wzccnW"   // 16 letters and digits, fresh each call
//
// Thread-safe: OpenSSL's CSPRNG is.
#ifndef WXGATE_AUTH_NONCE_H_
#define WXGATE_AUTH_NONCE_H_

#include <string>

namespace wxgate {

// 16 random letters and digits, from OpenSSL's CSPRNG.
std::string NewNonce();

}  // namespace wxgate

#endif  // WXGATE_AUTH_NONCE_H_
