// The credentials an upstream request can carry, by kind, from the annotation to
// the query string:
//
//   CredentialKind::kAccessToken      → ?access_token=<the account's token>
//   CredentialKind::kAppidSecret      → appid=…&secret=… (query, or the JSON body)
//   CredentialKind::kOAuthUserToken   → nothing added: the request carries the user's token
//   CredentialKind::kNone             → nothing added
//
// A kind is served by a CredentialSource (service/call/credential_source.h); one it
// cannot serve fails naming the kind, never with another kind's value.
#ifndef WXGATE_SERVICE_UPSTREAM_CREDENTIAL_H_
#define WXGATE_SERVICE_UPSTREAM_CREDENTIAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wxgate {

enum class CredentialKind {
  kNone,                   // the request itself carries what WeChat needs
  kAccessToken,            // the account's access_token
  kAppidSecret,            // the account's appid and AppSecret
  kOAuthUserToken,         // a user's web-authorization token, in the request
  kComponentAccessToken,   // the third-party platform's component_access_token
  kAuthorizerAccessToken,  // an authorizing account's authorizer_access_token
  kJsapiTicket,            // the account's JS-SDK ticket
  kWxCardTicket,           // the account's card ticket
};

// "access_token", "component_access_token", "jsapi_ticket", …: for messages and keys.
absl::string_view CredentialKindName(CredentialKind kind);

// Whether the gateway holds values of this kind that WeChat may reject as stale
// (40001, 40014, 42001), so that a call refreshes one and retries once.
bool IsManagedToken(CredentialKind kind);

// The one rule for a credential WeChat rejects: true when `answer` says the managed
// token a request of `kind` carried is stale (40001, 40014, 42001). The caller then
// invalidates that token (only if it is still the current one), gets a fresh one
// and retries once, never more.
bool CredentialWasStale(const absl::Status& answer, CredentialKind kind);

// What the gateway adds to one request.
struct CallCredential {
  CredentialKind kind = CredentialKind::kNone;
  std::string token;   // the managed token's value
  std::string appid;   // the account's; also fills an endpoint's appid parameter
  std::string secret;  // kAppidSecret only
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_CREDENTIAL_H_
