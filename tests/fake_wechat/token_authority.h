// TokenAuthority issues and checks access_tokens the way api.weixin.qq.com does, on
// an injectable clock. For one account ("wx1", "s"):
//
//   IssueClassic("wx1", "s")         -> T1, expires_in 7200       (GET /cgi-bin/token)
//   IssueClassic("wx1", "s")         -> T2: every call issues a new token; T1 stays
//                                       valid 5 more minutes, then Check(T1) = 40001
//   IssueStable("wx1", "s", false)   -> S1; again -> S1 with the remaining expires_in
//   IssueStable("wx1", "s", true)    -> S2, S1 valid 5 more minutes; at most 20 forced
//                                       refreshes per day (45009) and 30 s apart (45011)
//   Check(T2)                        -> owner "wx1"; 40001 unknown, 42001 expired
//
// A third-party platform (component) is an account too (AddAccount with its
// component_appid and AppSecret); its tickets and tokens:
//
//   IssueComponentTicket("wxc")                 -> "ticket@@@wxc-1": what WeChat pushes
//   IssueComponentToken("wxc", "s", ticket)     -> C1, expires_in 7200; every call a new
//                                                  one, C1 valid 5 more minutes (as
//                                                  classic); 61006 for a ticket never
//                                                  issued to "wxc"
//   Check(C1)                                   -> owner "wxc"; Revoke("wxc") drops it
//
// An account that authorized a component (an authorizer), as the authorization page
// and api_query_auth / api_authorizer_token do it:
//
//   IssueAuthorizationCode("wxc", "wxa", {1, 2}) -> "queryauthcode@@@wxc-1": valid 1 hour,
//                                                  once; wxa grants permission sets 1, 2
//   QueryAuth(C1, "wxc", code)                  -> wxa's authorizer_access_token A1
//                                                  (expires_in 7200), refresh token R1
//                                                  and the sets granted; 61010 for a code used,
//                                                  expired or not wxc's; 40001/42001 for a bad C1
//   IssueAuthorizerToken(C1, "wxc", "wxa", R1)  -> A2, A1 valid 5 more minutes (as
//                                                  classic); 61023 for a refresh token
//                                                  that is not wxa's from wxc
//   Check(A2)                                   -> owner "wxa"
//   Unauthorize("wxc", "wxa")                   -> R1 and wxa's tokens are dropped
//
// With SetRotateRefreshTokens(true), IssueAuthorizerToken also replaces R1 with a new
// refresh token R2 (WeChat may), and R1 is refused from then on. Issued() lists
// every value handed out, by kind, so tests can look for them where none may be.
//
// Classic and stable tokens are separate lineages, as WeChat documents for
// stable_token ("与 getAccessToken 获取的调用凭证完全隔离，互不影响"): issuing one never
// retires the other. A "day" for the quota is a calendar day in Beijing time (UTC+8)
// on the injected clock, as WeChat's quotas reset at midnight there. Thread-safe.
#ifndef WXGATE_TESTS_FAKE_WECHAT_TOKEN_AUTHORITY_H_
#define WXGATE_TESTS_FAKE_WECHAT_TOKEN_AUTHORITY_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace wxgate::fake {

// An answer of the token endpoints: errcode 0 with a token, or a WeChat error.
struct TokenGrant {
  int errcode = 0;
  std::string errmsg;
  std::string access_token;
  int64_t expires_in = 0;  // seconds
};

// An authorizer's tokens: errcode 0 with them, or a WeChat error.
struct AuthorizerGrant {
  int errcode = 0;
  std::string errmsg;
  std::string authorizer_appid;
  std::string authorizer_access_token;
  int64_t expires_in = 0;  // seconds
  std::string authorizer_refresh_token;
  std::vector<int> permission_sets;  // func_info ids (QueryAuth only)
};

// Whom a token belongs to: errcode 0 with the appid, or 40001 / 42001.
struct TokenOwner {
  int errcode = 0;
  std::string errmsg;
  std::string appid;
};

class TokenAuthority {
 public:
  static constexpr absl::Duration kDefaultLifetime = absl::Seconds(7200);
  static constexpr absl::Duration kOverlap = absl::Minutes(5);
  static constexpr int kForcedRefreshesPerDay = 20;
  static constexpr absl::Duration kForcedRefreshSpacing = absl::Seconds(30);

  TokenAuthority();
  TokenAuthority(const TokenAuthority&) = delete;
  TokenAuthority& operator=(const TokenAuthority&) = delete;

  // `now` is called with an internal lock held: it must not call back into this object.
  void SetClock(std::function<absl::Time()> now);
  // How long tokens issued from now on live (default kDefaultLifetime): shorter
  // lifetimes let a test see several expiries.
  void SetLifetime(absl::Duration lifetime);
  void AddAccount(std::string appid, std::string secret);
  void SetRotateRefreshTokens(bool rotate);
  // Every credential issued so far, by kind: "access_token", "component_verify_ticket",
  // "component_access_token", "authorization_code", "authorizer_access_token",
  // "authorizer_refresh_token"; oldest first.
  std::map<std::string, std::vector<std::string>> Issued() const;

  TokenGrant IssueClassic(absl::string_view appid, absl::string_view secret);
  TokenGrant IssueStable(absl::string_view appid, absl::string_view secret, bool force_refresh);
  TokenOwner Check(absl::string_view token) const;
  std::string IssueComponentTicket(absl::string_view component_appid);
  TokenGrant IssueComponentToken(absl::string_view component_appid, absl::string_view secret,
                                 absl::string_view ticket);
  std::string IssueAuthorizationCode(absl::string_view component_appid,
                                     absl::string_view authorizer_appid,
                                     std::vector<int> permission_sets);
  AuthorizerGrant QueryAuth(absl::string_view component_access_token,
                            absl::string_view component_appid, absl::string_view code);
  AuthorizerGrant IssueAuthorizerToken(absl::string_view component_access_token,
                                       absl::string_view component_appid,
                                       absl::string_view authorizer_appid,
                                       absl::string_view refresh_token);
  void Unauthorize(absl::string_view component_appid, absl::string_view authorizer_appid);
  // 0 when `secret` is the account's, else the errcode (40013, 40125, 41002, 41004).
  TokenGrant CheckSecret(absl::string_view appid, absl::string_view secret);

  // The most recently issued token of `appid` if still valid, else "".
  std::string Current(absl::string_view appid) const;
  // Every token of `appid` becomes unknown (40001).
  void Revoke(absl::string_view appid);

 private:
  enum Lineage { kClassic = 0, kStable = 1, kComponent = 2, kAuthorizer = 3, kLineageCount = 4 };

  struct Token {
    std::string appid;
    absl::Time expires_at;
    absl::Time retired_at = absl::InfiniteFuture();  // superseded + kOverlap
  };

  struct Account {
    std::string secret;
    std::string current[kLineageCount];
    std::string latest;  // of either lineage
    int64_t forced_day = -1;
    int forced_today = 0;
    absl::Time last_forced = absl::InfinitePast();
    std::vector<std::string> tickets;  // component_verify_tickets issued
    // As an authorizer: the component it authorized and the refresh token.
    std::string authorized_component;
    std::string refresh_token;
  };

  struct AuthorizationCode {
    std::string component_appid;
    std::string authorizer_appid;
    absl::Time expires_at;
    std::vector<int> permission_sets;
  };

  // Whether `token` is a valid component_access_token of `component_appid`; else
  // fills `error`.
  bool CheckComponentToken(absl::string_view token, absl::string_view component_appid,
                           absl::Time now, AuthorizerGrant* error) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  AuthorizerGrant IssueAuthorizerLocked(absl::string_view authorizer_appid, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Returns the account, or fills `error` with 40013 / 40125 / 41002 / 41004.
  Account* Authenticate(absl::string_view appid, absl::string_view secret, TokenGrant* error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Issues a new token of `lineage`; the previous one retires after kOverlap.
  TokenGrant IssueLocked(Account& account, absl::string_view appid, Lineage lineage, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  TokenOwner CheckLocked(absl::string_view token, absl::Time now) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void ForgetRetired(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::function<absl::Time()> now_ ABSL_GUARDED_BY(mu_);
  absl::Duration lifetime_ ABSL_GUARDED_BY(mu_) = kDefaultLifetime;
  absl::flat_hash_map<std::string, Account> accounts_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Token> tokens_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, AuthorizationCode> codes_ ABSL_GUARDED_BY(mu_);
  int64_t issued_codes_ ABSL_GUARDED_BY(mu_) = 0;
  bool rotate_refresh_tokens_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::vector<std::string>> issued_ ABSL_GUARDED_BY(mu_);
  // Retired tokens in retirement order (the clock only moves forward), so forgetting
  // them is cheap even when a benchmark hammers /cgi-bin/token.
  std::deque<std::pair<absl::Time, std::string>> retired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_TOKEN_AUTHORITY_H_
