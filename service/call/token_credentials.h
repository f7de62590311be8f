// TokenCredentials: the CredentialSource of an account-holding gateway. The
// account's own values come from the account; managed tokens from the TokenManager:
//
//   kNone, kOAuthUserToken   → the appid only (the request carries the rest)
//   kAppidSecret             → the account's appid and secret
//   kAccessToken, kJsapiTicket, kWxCardTicket → TokenManager::Get (for an
//                              authorizer: through its component, grant checked)
//   kComponentAccessToken    → TokenManager::Get of the component's token; the
//                              `account` given is then the component (see
//                              CredentialAccount in admitted_service.h)
//   kAuthorizerAccessToken   → an authorizer's access token, as kAccessToken; for an
//                              account of the gateway's own, FAILED_PRECONDITION
//                              CREDENTIAL_NOT_SERVED
//   kAppidSecret for an authorizer → CREDENTIAL_NOT_SERVED (its secret is not held)
// For an authorizer, `permission_sets` (the method's service's) are checked against
// the sets it granted before any token is fetched: none of them granted →
// PERMISSION_DENIED AUTHORIZER_LACKS_PERMISSION naming each set's id and name.
//
// Does not own `tokens`, which must outlive it.
#ifndef WXGATE_SERVICE_CALL_TOKEN_CREDENTIALS_H_
#define WXGATE_SERVICE_CALL_TOKEN_CREDENTIALS_H_

#include "service/call/credential_source.h"
#include "service/token/token_manager.h"

namespace wxgate {

class TokenCredentials : public CredentialSource {
 public:
  explicit TokenCredentials(TokenManager& tokens) : tokens_(tokens) {}

  void Get(const Account& account, CredentialKind kind, absl::Span<const int> permission_sets,
           Done done) override;
  void Invalidate(const Account& account, CredentialKind kind, absl::string_view token) override;

 private:
  void GetToken(const Account& account, CredentialKind kind, TokenKind managed, Done done);

  TokenManager& tokens_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_TOKEN_CREDENTIALS_H_
