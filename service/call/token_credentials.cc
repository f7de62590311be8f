#include "service/call/token_credentials.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"

namespace wxgate {
namespace {

// The token manager's kind for a managed credential kind it serves.
std::optional<TokenKind> ManagedKind(CredentialKind kind) {
  switch (kind) {
    case CredentialKind::kAccessToken:
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

}  // namespace

void TokenCredentials::Get(const Account& account, CredentialKind kind, Done done) {
  switch (kind) {
    case CredentialKind::kNone:
    case CredentialKind::kOAuthUserToken:
      return std::move(done)(CallCredential{.kind = kind, .appid = account.appid});
    case CredentialKind::kAppidSecret:
      return std::move(done)(
          CallCredential{.kind = kind, .appid = account.appid, .secret = account.secret});
    default:
      break;
  }
  std::optional<TokenKind> managed = ManagedKind(kind);
  if (!managed) {
    return std::move(done)(GatewayError(
        Reason::kCredentialNotServed,
        absl::StrCat("this method needs a ", CredentialKindName(kind),
                     ", which this gateway does not serve yet (authorizers of a third-party "
                     "platform are a later step); no other credential is sent in its place")));
  }
  tokens_.Get(
      account, *managed,
      [kind, appid = account.appid,
       done = std::move(done)](absl::StatusOr<std::string> token) mutable {
        if (!token.ok()) return std::move(done)(token.status());
        std::move(done)(CallCredential{.kind = kind, .token = *std::move(token), .appid = appid});
      });
}

void TokenCredentials::Invalidate(const Account& account, CredentialKind kind,
                                  absl::string_view token) {
  if (std::optional<TokenKind> managed = ManagedKind(kind)) {
    tokens_.Invalidate(account, *managed, token);
  }
}

}  // namespace wxgate
