#include "service/token/token_kind.h"

namespace wxgate {

absl::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kAccessToken:
      return "access_token";
    case TokenKind::kJsapiTicket:
      return "jsapi_ticket";
    case TokenKind::kWxCardTicket:
      return "wx_card_ticket";
    case TokenKind::kComponentVerifyTicket:
      return "component_verify_ticket";
    case TokenKind::kComponentAccessToken:
      return "component_access_token";
  }
  return "unknown";
}

}  // namespace wxgate
