// The credentials the token manager owns for each account, and for each
// third-party platform (component): its component_verify_ticket, which WeChat
// pushes and is never fetched, and the component_access_token fetched with it.
#ifndef WXGATE_SERVICE_TOKEN_TOKEN_KIND_H_
#define WXGATE_SERVICE_TOKEN_TOKEN_KIND_H_

#include "absl/strings/string_view.h"

namespace wxgate {

enum class TokenKind {
  kAccessToken,
  kJsapiTicket,
  kWxCardTicket,
  kComponentVerifyTicket,
  kComponentAccessToken,
};

// "access_token", "jsapi_ticket", "wx_card_ticket", "component_verify_ticket",
// "component_access_token": for store keys and logs.
absl::string_view TokenKindName(TokenKind kind);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_TOKEN_KIND_H_
