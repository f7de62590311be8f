// ForceRefreshBudget: WeChat allows stable_token's force_refresh 20 times a day per
// appid, 30 s apart, and each one invalidates the token every service holds. The
// token manager spends it only when WeChat rejected the token it still hands out.
// "A day" is a calendar day in Beijing (UTC+8), when WeChat's quotas reset.
#ifndef WXGATE_SERVICE_TOKEN_FORCE_REFRESH_BUDGET_H_
#define WXGATE_SERVICE_TOKEN_FORCE_REFRESH_BUDGET_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace wxgate {

class ForceRefreshBudget {
 public:
  static constexpr int kPerDay = 20;
  static constexpr absl::Duration kSpacing = absl::Seconds(30);

  // Takes one force_refresh for `appid` at `now`, or says why it may not.
  absl::Status TrySpend(const std::string& appid, absl::Time now);
  // How many are left today.
  int Left(const std::string& appid, absl::Time now) const;

 private:
  struct Usage {
    int64_t day = 0;  // days since the epoch, Beijing time
    int used = 0;
    absl::Time last = absl::InfinitePast();
  };
  static int64_t BeijingDay(absl::Time t);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Usage> usage_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_FORCE_REFRESH_BUDGET_H_
