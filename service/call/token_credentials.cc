#include "service/call/token_credentials.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/token/permission_sets.h"

namespace wxgate {
namespace {

// The token manager's kind for a managed credential kind it serves for `account`.
std::optional<TokenKind> ManagedKind(const Account& account, CredentialKind kind) {
  switch (kind) {
    case CredentialKind::kAccessToken:
      return TokenKind::kAccessToken;
    case CredentialKind::kAuthorizerAccessToken:
      if (account.component == nullptr) return std::nullopt;
      return TokenKind::kAccessToken;
    case CredentialKind::kJsapiTicket:
      return TokenKind::kJsapiTicket;
    case CredentialKind::kWxCardTicket:
      return TokenKind::kWxCardTicket;
    case CredentialKind::kComponentAccessToken:
      return TokenKind::kComponentAccessToken;
    default:
      return std::nullopt;
  }
}

absl::Status LacksPermission(const Account& authorizer, absl::Span<const int> needed) {
  std::vector<std::string> names;
  for (int id : needed) names.push_back(absl::StrCat(id, " ", PermissionSetName(id)));
  return GatewayError(
      Reason::kAuthorizerLacksPermission,
      absl::StrCat(
          authorizer.appid, " granted the third-party platform ", authorizer.component->appid,
          " none of the permission sets this method needs (", absl::StrJoin(names, ", "),
          "); the account must grant one on the authorization page; WeChat was not called"),
      {{"appid", authorizer.appid}, {"permission_sets", absl::StrJoin(needed, ",")}});
}

}  // namespace

void TokenCredentials::Get(const Account& account, CredentialKind kind,
                           absl::Span<const int> permission_sets, Done done) {
  switch (kind) {
    case CredentialKind::kNone:
    case CredentialKind::kOAuthUserToken:
      return std::move(done)(CallCredential{.kind = kind, .appid = account.appid});
    case CredentialKind::kAppidSecret:
      if (account.component != nullptr) {
        return std::move(done)(GatewayError(
            Reason::kCredentialNotServed,
            absl::StrCat("this method sends the account's AppSecret, which the gateway does not "
                         "hold for ",
                         account.appid, ", an account that authorized the third-party platform ",
                         account.component->appid)));
      }
      return std::move(done)(
          CallCredential{.kind = kind, .appid = account.appid, .secret = account.secret});
    default:
      break;
  }
  std::optional<TokenKind> managed = ManagedKind(account, kind);
  if (!managed) {
    return std::move(done)(GatewayError(
        Reason::kCredentialNotServed,
        kind == CredentialKind::kAuthorizerAccessToken
            ? absl::StrCat("this method needs the authorizer_access_token of an account that "
                           "authorized a third-party platform, and ",
                           account.appid,
                           " is an account of this gateway's own: name the authorizer in "
                           "x-wx-appid")
            : absl::StrCat("this method needs a ", CredentialKindName(kind),
                           ", which this gateway does not serve; no other credential is sent in "
                           "its place")));
  }
  if (account.component == nullptr || permission_sets.empty()) {
    return GetToken(account, kind, *managed, std::move(done));
  }
  tokens_.Grant(account, [this, &account, kind, managed = *managed, permission_sets,
                          done = std::move(done)](absl::StatusOr<AuthorizerGrant> grant) mutable {
    if (!grant.ok()) return std::move(done)(grant.status());
    if (!GrantsAnyOf(grant->permission_sets, permission_sets)) {
      return std::move(done)(LacksPermission(account, permission_sets));
    }
    GetToken(account, kind, managed, std::move(done));
  });
}

void TokenCredentials::GetToken(const Account& account, CredentialKind kind, TokenKind managed,
                                Done done) {
  tokens_.Get(
      account, managed,
      [kind, appid = account.appid,
       done = std::move(done)](absl::StatusOr<std::string> token) mutable {
        if (!token.ok()) return std::move(done)(token.status());
        std::move(done)(CallCredential{.kind = kind, .token = *std::move(token), .appid = appid});
      });
}

void TokenCredentials::Invalidate(const Account& account, CredentialKind kind,
                                  absl::string_view token) {
  if (std::optional<TokenKind> managed = ManagedKind(account, kind)) {
    tokens_.Invalidate(account, *managed, token);
  }
}

}  // namespace wxgate
