// AuthorizationExchange: turns a third-party platform's authorization code into the
// authorizer it names, once per code. A code reaches the gateway two ways, usually
// moments apart: in the account's `authorized` push (AuthorizationPushes) and on
// the platform's redirect page (AuthorizationService/CompleteAuthorization).
// WeChat takes a code once, so the second answers from memory: the codes this
// replica exchanged in the last hour (at most kRemembered) with what they granted.
//
//   exchange.Exchange(component, "CODE", /*expected_appid=*/"", done);
//     → {authorizer, permission_sets}; api_query_auth only for a code not seen yet
//
// `expected_appid` (the push's AuthorizerAppid) refuses an answer for another
// account with INTERNAL UPSTREAM_SCHEMA. Thread-safe; does not own what it is given.
#ifndef WXGATE_SERVICE_SERVER_AUTHORIZATION_EXCHANGE_H_
#define WXGATE_SERVICE_SERVER_AUTHORIZATION_EXCHANGE_H_

#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/call/authorizer_directory.h"
#include "service/token/token_manager.h"

namespace wxgate {

// Whether WeChat refused an authorization code as used, expired or unknown.
bool IsSpentAuthorizationCode(const absl::Status& status);

class AuthorizationExchange {
 public:
  using Authorized = TokenManager::Authorized;
  using Done = absl::AnyInvocable<void(absl::StatusOr<Authorized>) &&>;
  static constexpr size_t kRemembered = 4096;
  static constexpr absl::Duration kRememberFor = absl::Hours(1);

  AuthorizationExchange(TokenManager& tokens, AuthorizerDirectory& authorizers,
                        std::function<absl::Time()> now = absl::Now)
      : tokens_(tokens), authorizers_(authorizers), now_(std::move(now)) {}

  void Exchange(const Account& component, std::string code, std::string expected_appid, Done done);

 private:
  struct Exchanged {
    Authorized authorized;
    absl::Time at;
  };
  std::optional<Authorized> Recall(const std::string& key);
  void Remember(std::string key, const Authorized& authorized);

  TokenManager& tokens_;
  AuthorizerDirectory& authorizers_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  // By "<component_appid>/<code>"; `order` holds the keys oldest first.
  absl::flat_hash_map<std::string, Exchanged> exchanged_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_AUTHORIZATION_EXCHANGE_H_
