// AccessTokenProvider: the one place callers get an account's access_token from.
//
//   provider.GetAccessToken(account, [](absl::StatusOr<std::string> token) { … });
//   provider.Invalidate(account, token_that_failed);   // only if still the current one
//
// `done` runs exactly once, possibly on the calling thread (cached token), on the
// upstream client's thread (after a fetch) or on the token store's thread; it must
// not block.
#ifndef WXGATE_SERVICE_TOKEN_ACCESS_TOKEN_PROVIDER_H_
#define WXGATE_SERVICE_TOKEN_ACCESS_TOKEN_PROVIDER_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token/account.h"

namespace wxgate {

class AccessTokenProvider {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<std::string>) &&>;
  virtual ~AccessTokenProvider() = default;

  virtual void GetAccessToken(const Account& account, Done done) = 0;
  // Forgets `token` if it is still the account's current token (compare-and-swap),
  // so that the next GetAccessToken fetches a new one.
  virtual void Invalidate(const Account& account, absl::string_view token) = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_ACCESS_TOKEN_PROVIDER_H_
