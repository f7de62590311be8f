// CredentialSource: where the call pipeline gets the credential a request's kind
// needs, for the account the call acts for.
//
//   source.Get(account, CredentialKind::kAccessToken, /*permission_sets=*/{}, done)
//     → done({.kind = kAccessToken, .token = "T", .appid = "wx…"})
//   source.Get(account, CredentialKind::kComponentAccessToken, {}, done)
//     → done(FAILED_PRECONDITION CREDENTIAL_NOT_SERVED naming component_access_token)
//   source.Invalidate(account, CredentialKind::kAccessToken, "T");  // WeChat rejected T
//
// `done` runs exactly once, on the calling thread or on a thread of the source's
// own, and must not block. A kind the source cannot serve fails naming it; it is
// never answered with another kind's value. Implementations are thread-safe.
#ifndef WXGATE_SERVICE_CALL_CREDENTIAL_SOURCE_H_
#define WXGATE_SERVICE_CALL_CREDENTIAL_SOURCE_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/token/account.h"
#include "service/upstream/credential.h"

namespace wxgate {

class CredentialSource {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<CallCredential>) &&>;
  virtual ~CredentialSource() = default;

  // `permission_sets`: for an authorizer, the platform must have been granted one
  // of them (else PERMISSION_DENIED AUTHORIZER_LACKS_PERMISSION); empty: none needed.
  virtual void Get(const Account& account, CredentialKind kind,
                   absl::Span<const int> permission_sets, Done done) = 0;
  // Forgets `token` if it is still the current value of its kind (compare-and-swap),
  // so that the next Get fetches a fresh one.
  virtual void Invalidate(const Account& account, CredentialKind kind, absl::string_view token) = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_CREDENTIAL_SOURCE_H_
