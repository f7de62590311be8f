// AuthorizerGrants: the authorizers' grants (AuthorizerGrant) in the token store,
// with what this process read last kept for `recheck`:
//
//   grants.Check(authorizer, done);  // before each call for an authorizer: its grant,
//                                    // read again once older than `recheck`; or
//                                    //   NOT_FOUND UNKNOWN_APPID     (never authorized)
//                                    //   FAILED_PRECONDITION AUTHORIZER_REVOKED
//   grants.Read(authorizer, done);   // the stored grant now, revoked or not (for its
//                                    // refresh token); NOT_FOUND UNKNOWN_APPID if none
//   grants.Update(authorizer, change, done);  // writes change(current) by compare-and-set
//   grants.LastSeen(authorizer);     // what this process read or wrote last, at once,
//                                    // without the store (for status reports)
//
// A change this process makes is seen by its Check at once; replicas sharing the
// store see it within `recheck`. When the store fails, Check keeps answering the
// grant it read last (logged); with none read, it answers the store's error.
// Callbacks run on the calling thread or the store's, never under a lock of ours.
// Thread-safe. Does not own `store`; the destructor waits for its callbacks.
#ifndef WXGATE_SERVICE_TOKEN_AUTHORIZER_GRANTS_H_
#define WXGATE_SERVICE_TOKEN_AUTHORIZER_GRANTS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/token/account.h"
#include "service/token/authorizer_grant.h"
#include "service/token/token_store.h"

namespace wxgate {

struct AuthorizerGrantsOptions {
  // How long a grant read is trusted before Check reads the store again: the most
  // another replica's revocation takes to reach this one.
  absl::Duration recheck = absl::Seconds(5);
  std::function<absl::Time()> now = absl::Now;
};

// What a process last read or wrote of an authorizer's grant.
struct SeenGrant {
  bool seen = false;                     // false: never read here
  std::optional<AuthorizerGrant> grant;  // nullopt: none stored (never authorized)
};

class AuthorizerGrants {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<AuthorizerGrant>) &&>;
  // From the current grant (nullopt: none stored) to the one to write; nullopt
  // writes nothing (the change no longer applies).
  using Change =
      std::function<std::optional<AuthorizerGrant>(const std::optional<AuthorizerGrant>& current)>;

  explicit AuthorizerGrants(TokenStore* store, AuthorizerGrantsOptions options = {});
  ~AuthorizerGrants();
  AuthorizerGrants(const AuthorizerGrants&) = delete;
  AuthorizerGrants& operator=(const AuthorizerGrants&) = delete;

  // `authorizer` (whose `component` is set) must outlive this object.
  void Check(const Account& authorizer, Done done);
  void Read(const Account& authorizer, Done done);
  // `done` gets OK once written (or when `change` wrote nothing), else the error.
  void Update(const Account& authorizer, Change change,
              absl::AnyInvocable<void(absl::Status) &&> done);

  // Never reads the store; the refresh token is left out (reports show no credential).
  SeenGrant LastSeen(const Account& authorizer) const;

  // What Check answers for a grant as stored (nullopt: none).
  static absl::StatusOr<AuthorizerGrant> Verdict(const Account& authorizer,
                                                 const std::optional<AuthorizerGrant>& grant);

 private:
  struct Entry {
    std::optional<AuthorizerGrant> grant;  // as last read or written (nullopt: none stored)
    absl::Time read_at = absl::InfinitePast();
    bool known = false;    // `grant` was read or written at least once
    bool reading = false;  // a Check's read is on its way
    std::vector<Done> waiters;
  };
  using Stored = absl::StatusOr<std::optional<AuthorizerGrant>>;

  // Reads the store; `done` gets the grant (nullopt: none) and the record's version.
  void ReadStored(const Account& authorizer,
                  absl::AnyInvocable<void(Stored grant, int64_t version) &&> done);
  void Remember(const Account& authorizer, const std::optional<AuthorizerGrant>& grant);
  void OnChecked(const Account& authorizer, Stored stored);
  void TryUpdate(const Account& authorizer, Change change, int tries_left,
                 absl::AnyInvocable<void(absl::Status) &&> done);
  void Begin();
  void End();

  TokenStore* const store_;
  const AuthorizerGrantsOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);  // by store key
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // store operations whose callbacks may run
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_AUTHORIZER_GRANTS_H_
