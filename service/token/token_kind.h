// The credentials the token manager owns for each account.
#ifndef WXGATE_SERVICE_TOKEN_TOKEN_KIND_H_
#define WXGATE_SERVICE_TOKEN_TOKEN_KIND_H_

#include "absl/strings/string_view.h"

namespace wxgate {

enum class TokenKind { kAccessToken, kJsapiTicket, kWxCardTicket };

// "access_token", "jsapi_ticket", "wx_card_ticket": for store keys and logs.
absl::string_view TokenKindName(TokenKind kind);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_TOKEN_KIND_H_
