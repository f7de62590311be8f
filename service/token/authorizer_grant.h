// AuthorizerGrant: what the gateway keeps about an account that authorized a
// third-party platform (an authorizer), as one token-store record:
//
//   key   "<component_appid>/<authorizer appid>/authorizer_grant"
//   value {"refresh_token":"R1","permission_sets":[1,2],"revoked":false}
//
// The refresh token renews the authorizer_access_token (api_authorizer_token) and
// is a credential: never logged, never returned to a caller. A revoked grant (the
// account sent `unauthorized`) keeps no refresh token.
#ifndef WXGATE_SERVICE_TOKEN_AUTHORIZER_GRANT_H_
#define WXGATE_SERVICE_TOKEN_AUTHORIZER_GRANT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token/account.h"

namespace wxgate {

struct AuthorizerGrant {
  std::string refresh_token;
  std::vector<int> permission_sets;  // func_info's funcscope_category ids
  bool revoked = false;

  bool operator==(const AuthorizerGrant&) const = default;
};

// The store key of `authorizer`'s grant (its `component` must be set).
std::string AuthorizerGrantKey(const Account& authorizer);

std::string EncodeAuthorizerGrant(const AuthorizerGrant& grant);
// DATA_LOSS for a value EncodeAuthorizerGrant did not write.
absl::StatusOr<AuthorizerGrant> DecodeAuthorizerGrant(absl::string_view value);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_AUTHORIZER_GRANT_H_
