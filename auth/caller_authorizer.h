// Who is calling, and may they: the gateway's access rules (config Access) applied
// to one call.
//
//   CallerAuthorizer authorizer(access);  // callers {name: "shop" api_key_sha256: [sha256("k1")]
//                                          //          policy {appids: ["wx1"] methods:
//                                          ["wechat.mp.v1.*"]}}
//   authorizer.Check("Bearer k1", "wechat.mp.v1.UserService/GetUserInfo", "wx1") -> "shop"
//   authorizer.Check("", ...)           -> UNAUTHENTICATED (unless `anonymous` allows it)
//   authorizer.Check("Bearer nope", ...) -> UNAUTHENTICATED
//   authorizer.Check("Bearer k1", "wxgate.v1.TokenService/GetAccessToken", "wx1")
//                                       -> PERMISSION_DENIED
//
// A call is known by the first of these it presents (CallerCredentials): an API key
// (which must be valid), a verified client certificate, the configured identity
// header, else it is anonymous. A certificate or header identity that matches no
// caller's tls_identities is PERMISSION_DENIED with the same message as a known
// caller outside its policy:
//
//   authorizer.Check({.has_certificate = true,
//                     .certificate_identities = {"spiffe://test/shop"}}, ...) -> "shop"
//   authorizer.Check({.has_certificate = true,
//                     .certificate_identities = {"spiffe://test/nobody"}}, ...)
//                                       -> PERMISSION_DENIED
//
// Keys are known only by their SHA-256; a presented key is hashed and compared with
// every configured hash in constant time, so timing tells nothing about the keys.
// Messages never say which keys, identities or callers exist.
#ifndef WXGATE_AUTH_CALLER_AUTHORIZER_H_
#define WXGATE_AUTH_CALLER_AUTHORIZER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "auth/token_bucket.h"
#include "wxgate/config/v1/config.pb.h"

namespace wxgate {

// The appid a call names when it acts for every account (a Subscribe without an
// appid filter): only a policy with appid "*" allows it.
inline constexpr absl::string_view kAllAppids = "*";

// What one call presents to say who is calling.
struct CallerCredentials {
  // The authorization metadata ("" when absent).
  std::string authorization;
  // Whether the connection has a client certificate that the TLS handshake
  // verified, and its identities (CertificateIdentities in caller_identity.h).
  bool has_certificate = false;
  std::vector<std::string> certificate_identities;
  // The value of the header access.identity_header names ("" when absent).
  std::string identity_header;
};

class CallerAuthorizer {
 public:
  explicit CallerAuthorizer(const config::v1::Access& access,
                            std::function<absl::Time()> now = absl::Now);

  // The caller's name ("anonymous" for a call that presents nothing) if it may
  // call `method` ("package.Service/Method") for `appid`.
  absl::StatusOr<std::string> Check(const CallerCredentials& credentials, absl::string_view method,
                                    absl::string_view appid) const;
  // The same for a call that presents at most an API key: `authorization` is the
  // call's authorization metadata ("" when absent).
  absl::StatusOr<std::string> Check(absl::string_view authorization, absl::string_view method,
                                    absl::string_view appid) const;
  // Counts one call of `caller` (a name Check returned) against its rate limit: zero
  // when allowed, else how long until it may call again.
  absl::Duration Throttle(absl::string_view caller) const;

  // Only who is calling: the caller's name, "anonymous" when calls that present
  // nothing are allowed at all, UNAUTHENTICATED, or PERMISSION_DENIED for an
  // identity no caller has.
  absl::StatusOr<std::string> Identify(const CallerCredentials& credentials) const;
  absl::StatusOr<std::string> Identify(absl::string_view authorization) const;

  // The header a trusted proxy names the caller in (access.identity_header);
  // empty: none is read.
  const std::string& identity_header() const { return identity_header_; }

 private:
  struct Caller {
    std::string name;
    std::vector<std::string> key_digests;  // raw 32-byte SHA-256 digests
    config::v1::Policy policy;
    std::unique_ptr<TokenBucket> rate_limit;  // null: no limit
  };
  // Who the credentials name: a caller, the anonymous caller, or (neither) an
  // identity that no caller has.
  struct Resolved {
    const Caller* caller = nullptr;
    bool anonymous = false;
  };

  // The caller whose key this is, or nullptr.
  const Caller* FindByKey(absl::string_view key) const;
  // The caller an authorization value ("Bearer <key>") names, or UNAUTHENTICATED.
  absl::StatusOr<const Caller*> CallerOf(absl::string_view authorization) const;
  // The caller that has one of `identities`, or nullptr.
  const Caller* FindByIdentity(const std::vector<std::string>& identities) const;
  absl::StatusOr<Resolved> Resolve(const CallerCredentials& credentials) const;

  std::vector<Caller> callers_;
  // tls_identities -> index in callers_.
  absl::flat_hash_map<std::string, size_t> caller_of_identity_;
  std::optional<config::v1::Policy> anonymous_;
  std::string identity_header_;
};

// Whether `policy` allows `method` for `appid`.
bool PolicyAllows(const config::v1::Policy& policy, absl::string_view method,
                  absl::string_view appid);

// Whether `pattern` is a method pattern PolicyAllows understands.
bool IsMethodPattern(absl::string_view pattern);

}  // namespace wxgate

#endif  // WXGATE_AUTH_CALLER_AUTHORIZER_H_
