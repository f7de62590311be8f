// ForceRefreshBudget: WeChat allows stable_token's force_refresh 20 times a day per
// appid, 30 s apart, and each one invalidates the token every service holds. The
// token manager spends it only when WeChat rejected the token it still hands out.
// "A day" is a calendar day in Beijing (UTC+8), when WeChat's quotas reset.
//
//   ForceRefreshBudget budget(store);
//   budget.TrySpend("wx1", now, [](absl::Status spent) { … });  // OK, or why not
//
// The count is a quota in the token store ("force_refresh/<appid>"), so replicas
// sharing a store share the 20, and a persisted store keeps the count across
// restarts. When the store cannot be asked, this process counts on its own (and
// logs it): an outage of the store never blocks a refresh the count would allow.
// Does not own `store`, which must outlive the budget.
#ifndef WXGATE_SERVICE_TOKEN_FORCE_REFRESH_BUDGET_H_
#define WXGATE_SERVICE_TOKEN_FORCE_REFRESH_BUDGET_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/token/memory_token_store.h"
#include "service/token/token_store.h"

namespace wxgate {

class ForceRefreshBudget {
 public:
  static constexpr int kPerDay = 20;
  static constexpr absl::Duration kSpacing = absl::Seconds(30);
  // Runs once, on the caller's thread or the store's.
  using Done = absl::AnyInvocable<void(absl::Status) &&>;

  explicit ForceRefreshBudget(TokenStore& store) : store_(store) {}

  // Takes one force_refresh for `appid` at `now`: `done` gets OK, or
  // FORCE_REFRESH_BUDGET_SPENT / FORCE_REFRESH_TOO_SOON saying why not.
  void TrySpend(const std::string& appid, absl::Time now, Done done);
  // How many are left today, as this process last saw the count.
  int Left(const std::string& appid, absl::Time now) const;

 private:
  struct Seen {
    int64_t day = 0;
    int used = 0;
  };
  static int64_t BeijingDay(absl::Time t);
  absl::Status Judge(const std::string& appid, int64_t day, const QuotaOutcome& outcome);

  TokenStore& store_;
  MemoryTokenStore local_;  // counts while the store cannot be asked
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Seen> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_FORCE_REFRESH_BUDGET_H_
