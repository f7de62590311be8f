#include "service/upstream/credential.h"

#include "service/errors/wechat_errors.h"

namespace wxgate {

absl::string_view CredentialKindName(CredentialKind kind) {
  switch (kind) {
    case CredentialKind::kNone:
      return "none";
    case CredentialKind::kAccessToken:
      return "access_token";
    case CredentialKind::kAppidSecret:
      return "appid_secret";
    case CredentialKind::kOAuthUserToken:
      return "oauth_access_token";
    case CredentialKind::kComponentAccessToken:
      return "component_access_token";
    case CredentialKind::kAuthorizerAccessToken:
      return "authorizer_access_token";
    case CredentialKind::kJsapiTicket:
      return "jsapi_ticket";
    case CredentialKind::kWxCardTicket:
      return "wx_card_ticket";
  }
  return "unknown";
}

bool IsManagedToken(CredentialKind kind) {
  switch (kind) {
    case CredentialKind::kAccessToken:
    case CredentialKind::kComponentAccessToken:
    case CredentialKind::kAuthorizerAccessToken:
    case CredentialKind::kJsapiTicket:
    case CredentialKind::kWxCardTicket:
      return true;
    default:
      return false;
  }
}

bool CredentialWasStale(const absl::Status& answer, CredentialKind kind) {
  return IsManagedToken(kind) && IsStaleTokenError(answer);
}

}  // namespace wxgate
