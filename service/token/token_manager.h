// TokenManager: the one place that fetches, caches, refreshes and shares an
// account's credentials (access_token, jsapi_ticket, wx_card ticket).
//
//   manager.Get(account, TokenKind::kAccessToken, done);   // cached: done runs at once
//   manager.Invalidate(account, TokenKind::kAccessToken, token_that_failed);
//   manager.RefreshDue();                                   // every second, from a timer
//
// Per (appid, kind):
//   - single flight: concurrent misses share one fetch and all get its outcome;
//   - the store is read before WeChat is asked, and written by compare-and-swap
//     under a refresh lease (renewed by RefreshDue while the fetch runs), so
//     replicas sharing a store fetch once between them and a restart reuses a
//     persisted token; a store that fails is logged and bypassed, never fatal;
//   - while another replica holds the lease, callers wait: every RefreshDue reads
//     the store again until that replica's value is there (or its lease lapsed and
//     this one takes it), so a cold start across replicas costs one fetch and no
//     caller error;
//   - refresh ahead: at `refresh_fraction` of the lifetime (± jitter) RefreshDue
//     fetches a new value while callers keep getting the old, still valid one;
//   - a refresh that brings the same value back (stable_token's normal mode has
//     nothing newer while a token lives) shows there is no refreshing ahead: that
//     value and its successors are then handed out to their expiry and refreshed
//     then, one fetch per lifetime instead of a fetch at every fraction of the rest;
//   - Invalidate drops a value only if it is still the current one, so a thousand
//     calls failing with the same stale token cause one refresh;
//   - after a failed fetch, callers get that error at once until a backoff
//     (doubling from min_backoff to max_backoff) has passed: no hot loop;
//   - stable_token's force_refresh is spent only when WeChat rejected the token and
//     its normal mode hands the same one back (ForceRefreshBudget);
//   - tickets are fetched with the account's access token, refreshed once if stale.
// A third-party platform (component) is an Account too (appid: the
// component_appid, secret: its AppSecret), with two kinds of its own:
//   - kComponentVerifyTicket is never fetched: WeChat pushes it every 10 minutes and
//     SetComponentTicket stores it (compare-and-set, so replicas sharing a store and
//     a restart on the state file see it); Get hands out the stored one, else fails
//     with FAILED_PRECONDITION COMPONENT_TICKET_MISSING. It is never refreshed ahead.
//   - kComponentAccessToken is fetched with the known ticket (api_component_token),
//     with single flight, refresh ahead and compare-and-set like an access_token; no
//     ticket known: the same COMPONENT_TICKET_MISSING. A ticket arriving ends the
//     backoff of that failure, so the next call fetches at once.
// An authorizer (an Account whose `component` is set: an account that authorized
// that platform) has the kinds of an account, fetched through the platform:
//   - Authorize exchanges the authorization code of an `authorized` or
//     `updateauthorized` push (api_query_auth): the grant (refresh token, permission
//     sets) goes to AuthorizerGrants, the access token to the store, at once;
//   - its access_token is fetched with the component's token and the stored refresh
//     token (api_authorizer_token), with single flight, refresh ahead and
//     compare-and-set like an account's; a refresh token WeChat rotates is stored;
//     a component token WeChat calls stale is refreshed once and the fetch retried;
//   - Get checks the grant first (AuthorizerGrants::Check): an account that never
//     authorized gets NOT_FOUND UNKNOWN_APPID, one that revoked (Revoke, on an
//     `unauthorized` push) FAILED_PRECONDITION AUTHORIZER_REVOKED.
// RequestComponentTicket asks WeChat to push a ticket (api_start_push_ticket) when
// none is known: the gateway calls it once per component at start-up.
// Nothing here blocks on I/O: the store and WeChat both answer through callbacks,
// and the manager's lock is never held while it calls them. `done` runs on the
// caller's thread (cached), the upstream client's thread or the store's thread.
// Does not own `fetcher` or `store`; both must outlive the manager.
#ifndef WXGATE_SERVICE_TOKEN_TOKEN_MANAGER_H_
#define WXGATE_SERVICE_TOKEN_TOKEN_MANAGER_H_

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/token/account.h"
#include "service/token/authorizer_grants.h"
#include "service/token/force_refresh_budget.h"
#include "service/token/token_fetcher.h"
#include "service/token/token_kind.h"
#include "service/token/token_store.h"

namespace wxgate {

struct TokenManagerOptions {
  double refresh_fraction = 0.8;  // of the lifetime, when the refresh starts
  double refresh_jitter = 0.05;   // ± this fraction of the lifetime, so accounts spread out
  // How long an authorizer's grant read from the store is trusted (AuthorizerGrants).
  absl::Duration grant_recheck = absl::Seconds(5);
  absl::Duration min_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(1);
  // A value this close to its expiry (or a tenth of its lifetime, if less) is no
  // longer handed out, unless nothing newer can be had before it expires.
  absl::Duration expiry_margin = absl::Minutes(1);
  std::function<absl::Time()> now = absl::Now;
  std::string lease_owner = "wxgate";
  // How long a refresh lease lasts; RefreshDue renews it every half of that while
  // the fetch runs, so it lapses only if this process stops refreshing.
  absl::Duration lease_ttl = absl::Seconds(30);
  uint32_t jitter_seed = std::random_device{}();
};

// What TokenStatus reports: never the value itself.
struct TokenState {
  bool valid = false;
  absl::Time fetched_at = absl::InfinitePast();
  absl::Time expires_at = absl::InfinitePast();
  absl::Time refresh_at = absl::InfinitePast();
  int64_t fetches = 0;  // answered by WeChat
  int64_t failed_fetches = 0;
  std::string last_error;  // of the last failed fetch, if the last fetch failed
  int force_refresh_left = ForceRefreshBudget::kPerDay;
};

class TokenManager {
 public:
  // Runs exactly once, possibly on the calling thread (cached value), a transport
  // thread or the token store's thread; it must not block.
  using Done = absl::AnyInvocable<void(absl::StatusOr<std::string>) &&>;

  TokenManager(TokenFetcher* fetcher, TokenStore* store, TokenManagerOptions options = {});
  // Cancels fetches in flight and waits until no callback of a transfer or of a
  // store operation it started can still run.
  ~TokenManager();
  TokenManager(const TokenManager&) = delete;
  TokenManager& operator=(const TokenManager&) = delete;

  // `account` must outlive the manager.
  void Get(const Account& account, TokenKind kind, Done done);
  // True if `value` was the current one and is now dropped.
  bool Invalidate(const Account& account, TokenKind kind, absl::string_view value);
  // Starts the refreshes that are due, renews the leases of fetches in flight and
  // reads the store again for fetches waiting on another replica; returns how many
  // refreshes it started. Call it often (the gateway: every 100 ms): it is cheap.
  int RefreshDue();
  TokenState Status(const Account& account, TokenKind kind) const;

  // Stores the component_verify_ticket WeChat pushed for `component` (which must
  // outlive the manager); `done` gets OK once the store has it (or an error, logged;
  // the value is then still used by this process).
  void SetComponentTicket(const Account& component, std::string ticket,
                          absl::AnyInvocable<void(absl::Status) &&> done);
  // If no ticket is known for `component`, asks WeChat to push one
  // (api_start_push_ticket) and logs the outcome; a failure is not fatal. `done`
  // (optional) gets whether a request was sent and its outcome.
  void RequestComponentTicket(const Account& component,
                              absl::AnyInvocable<void(absl::StatusOr<bool>) &&> done = nullptr);

  // The Account of the appid WeChat answered an authorization code for (an Account
  // whose `component` is set, outliving the manager), or why it is refused.
  using AuthorizerOf = absl::AnyInvocable<absl::StatusOr<const Account*>(absl::string_view appid)>;
  struct Authorized {
    const Account* authorizer = nullptr;
    std::vector<int> permission_sets;
  };
  // Exchanges `authorization_code`, issued to `component`, for an authorizer's
  // tokens and grant (api_query_auth); `authorizer_of` names whose they are. `done`
  // gets the authorizer once both are stored, or why not (the code is spent either
  // way when WeChat answered).
  void Authorize(const Account& component, std::string authorization_code,
                 AuthorizerOf authorizer_of,
                 absl::AnyInvocable<void(absl::StatusOr<Authorized>) &&> done);
  // Marks `authorizer`'s grant revoked and forgets its tokens: Get answers
  // AUTHORIZER_REVOKED from now on (other replicas within grant_recheck).
  void Revoke(const Account& authorizer, absl::AnyInvocable<void(absl::Status) &&> done);
  // `authorizer`'s grant as Get checks it (for its permission sets).
  void Grant(const Account& authorizer, AuthorizerGrants::Done done) {
    grants_.Check(authorizer, std::move(done));
  }
  // `authorizer`'s grant as the store holds it now, revoked or not.
  void ReadGrant(const Account& authorizer, AuthorizerGrants::Done done) {
    grants_.Read(authorizer, std::move(done));
  }
  // `authorizer`'s grant as this process last saw it, without its refresh token and
  // without reading the store (for status reports).
  SeenGrant LastSeenGrant(const Account& authorizer) const { return grants_.LastSeen(authorizer); }

 private:
  struct Slot {
    const Account* account = nullptr;
    TokenKind kind = TokenKind::kAccessToken;
    TokenRecord record;
    absl::Time refresh_at = absl::InfiniteFuture();
    std::string rejected;  // the value WeChat rejected, if any
    // A refresh brought the value back unchanged: values are kept to their expiry.
    bool same_until_expiry = false;
    bool fetching = false;
    uint64_t attempt = 0;  // counts fetches, so a late lease renewal knows its own
    std::vector<Done> waiters;
    bool lease_held = false;  // this fetch holds the key's refresh lease
    // Another replica holds the lease: this fetch waits for the next RefreshDue to
    // read the store again.
    bool awaiting_elsewhere = false;
    bool renewing_lease = false;
    absl::Time lease_renew_at = absl::InfiniteFuture();
    int failures = 0;
    absl::Time retry_at = absl::InfinitePast();
    absl::Status last_error;
    int64_t fetches = 0;
    int64_t failed_fetches = 0;
  };
  using FetchOutcome = absl::StatusOr<TokenRecord>;

  static std::string KeyOf(const Account& account, TokenKind kind);
  bool Usable(const TokenRecord& record) const;
  // Whether the slot's value is handed out now (Usable, or kept to its expiry).
  bool HandsOut(const Slot& slot) const;
  // A fetch is a chain of callbacks: Fetch → store Get → OnStoreRead → TryLease →
  // OnLease → store Get again → FetchFromUpstream → WeChat (FetchFromWeChat /
  // FetchTicket) → Store (compare-and-set) → Finish. It counts in `in_flight_` from
  // BeginFetchLocked until Finish has run its waiters. Marks the slot fetching; the caller runs
  // Fetch(key) after unlocking.
  void BeginFetchLocked(Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Fetch(const std::string& key);
  void OnStoreRead(const std::string& key, absl::StatusOr<std::optional<TokenRecord>> stored);
  void OnLease(const std::string& key, int64_t stored_version, absl::StatusOr<bool> taken);
  void FetchFromUpstream(const std::string& key, int64_t stored_version);
  void FetchFromWeChat(const std::string& key, const Account& account, int64_t stored_version,
                       std::string rejected);
  void FetchTicket(const std::string& key, const Account& account, TokenKind kind,
                   int64_t stored_version, bool retried);
  void FetchComponentToken(const std::string& key, const Account& component,
                           int64_t stored_version);
  // api_authorizer_token with the stored refresh token; `retried` once the
  // component's token was found stale.
  void FetchAuthorizerToken(const std::string& key, const Account& authorizer,
                            int64_t stored_version, bool retried);
  void QueryAuth(const Account& component, std::string code, AuthorizerOf authorizer_of,
                 bool retried, absl::AnyInvocable<void(absl::StatusOr<Authorized>) &&> done);
  // Get without the authorizer's grant check.
  void GetChecked(const Account& account, TokenKind kind, Done done);
  // Hands out `record` for (account, kind) at once and writes it to the store.
  void Put(const Account& account, TokenKind kind, TokenRecord record,
           absl::AnyInvocable<void(absl::Status) &&> done);
  void Store(const std::string& key, int64_t stored_version, absl::StatusOr<FetchedToken> got);
  // One compare-and-set attempt of Put; tries again (up to `tries_left`)
  // when another writer was first.
  void WriteRecord(const std::string& key, TokenRecord record, int tries_left,
                   absl::AnyInvocable<void(absl::Status) &&> done);
  void Finish(const std::string& key, FetchOutcome outcome, bool from_wechat);
  // Sends one request through `send` and remembers the transfer while it runs, so
  // the destructor can cancel it. `on_answer` gets CANCELLED once stopping.
  void StartTransfer(absl::FunctionRef<HttpTransport::TransferId(TokenFetcher::Done)> send,
                     TokenFetcher::Done on_answer);
  // Store operations outside a fetch's chain: each counts in `in_flight_` too.
  void ReleaseLease(const std::string& key);
  void RenewLease(const std::string& key, uint64_t attempt);

  TokenFetcher* const fetcher_;
  TokenStore* const store_;
  const TokenManagerOptions options_;
  ForceRefreshBudget budget_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Slot> slots_ ABSL_GUARDED_BY(mu_);
  std::mt19937 random_ ABSL_GUARDED_BY(mu_);
  // Transfers running, by a handle of ours: the transport's id once Send returned.
  absl::flat_hash_map<uint64_t, std::optional<HttpTransport::TransferId>> transfers_
      ABSL_GUARDED_BY(mu_);
  uint64_t last_transfer_ ABSL_GUARDED_BY(mu_) = 0;
  // Fetches and detached store operations whose callbacks may still run.
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Last: destroyed first, while the rest is still there for its callbacks.
  AuthorizerGrants grants_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_TOKEN_MANAGER_H_
