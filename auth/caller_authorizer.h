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
// Keys are known only by their SHA-256; a presented key is hashed and compared with
// every configured hash in constant time, so timing tells nothing about the keys.
// Messages never say which keys or callers exist.
#ifndef WXGATE_AUTH_CALLER_AUTHORIZER_H_
#define WXGATE_AUTH_CALLER_AUTHORIZER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "auth/token_bucket.h"
#include "wxgate/config/v1/config.pb.h"

namespace wxgate {

// The appid a call names when it acts for every account (a Subscribe without an
// appid filter): only a policy with appid "*" allows it.
inline constexpr absl::string_view kAllAppids = "*";

class CallerAuthorizer {
 public:
  explicit CallerAuthorizer(const config::v1::Access& access,
                            std::function<absl::Time()> now = absl::Now);

  // The caller's name ("anonymous" without a key) if it may call `method`
  // ("package.Service/Method") for `appid`. `authorization` is the call's
  // authorization metadata ("" when absent).
  absl::StatusOr<std::string> Check(absl::string_view authorization, absl::string_view method,
                                    absl::string_view appid) const;
  // Counts one call of `caller` (a name Check returned) against its rate limit: zero
  // when allowed, else how long until it may call again.
  absl::Duration Throttle(absl::string_view caller) const;

  // Only who is calling: the caller's name, "anonymous" when calls without a key
  // are allowed at all, or UNAUTHENTICATED.
  absl::StatusOr<std::string> Identify(absl::string_view authorization) const;

 private:
  struct Caller {
    std::string name;
    std::vector<std::string> key_digests;  // raw 32-byte SHA-256 digests
    config::v1::Policy policy;
    std::unique_ptr<TokenBucket> rate_limit;  // null: no limit
  };

  // The caller whose key this is, or nullptr.
  const Caller* FindByKey(absl::string_view key) const;
  // The caller an authorization value ("Bearer <key>") names, or UNAUTHENTICATED.
  absl::StatusOr<const Caller*> CallerOf(absl::string_view authorization) const;

  std::vector<Caller> callers_;
  std::optional<config::v1::Policy> anonymous_;
};

// Whether `policy` allows `method` for `appid`.
bool PolicyAllows(const config::v1::Policy& policy, absl::string_view method,
                  absl::string_view appid);

// Whether `pattern` is a method pattern PolicyAllows understands.
bool IsMethodPattern(absl::string_view pattern);

}  // namespace wxgate

#endif  // WXGATE_AUTH_CALLER_AUTHORIZER_H_
