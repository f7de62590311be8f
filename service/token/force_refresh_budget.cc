#include "service/token/force_refresh_budget.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/gateway_reasons.h"
#include "service/observe/log.h"

namespace wxgate {

int64_t ForceRefreshBudget::BeijingDay(absl::Time t) {
  return absl::ToUnixSeconds(t + absl::Hours(8)) / 86400;
}

void ForceRefreshBudget::TrySpend(const std::string& appid, absl::Time now, Done done) {
  const int64_t day = BeijingDay(now);
  const QuotaUse use{.period = day, .limit = kPerDay, .spacing = kSpacing, .now = now};
  const std::string key = absl::StrCat("force_refresh/", appid);
  store_.TakeQuota(
      key, use,
      [this, appid, day, key, use,
       done = std::move(done)](absl::StatusOr<QuotaOutcome> outcome) mutable {
        if (outcome.ok()) return std::move(done)(Judge(appid, day, *outcome));
        Log(LogLevel::kWarning, "token_store_failed",
            {{"key", key}, {"operation", "take_quota"}, {"error", outcome.status().message()}});
        local_.TakeQuota(key, use, [&](absl::StatusOr<QuotaOutcome> local) {
          std::move(done)(Judge(appid, day, *local));
        });
      });
}

absl::Status ForceRefreshBudget::Judge(const std::string& appid, int64_t day,
                                       const QuotaOutcome& outcome) {
  {
    absl::MutexLock lock(&mu_);
    seen_[appid] = {.day = day, .used = outcome.used};
  }
  switch (outcome.verdict) {
    case QuotaOutcome::Verdict::kTaken:
      return absl::OkStatus();
    case QuotaOutcome::Verdict::kSpent:
      return GatewayError(Reason::kForceRefreshBudgetSpent,
                          absl::StrCat("WeChat rejects the current access_token of ", appid,
                                       " and today's ", kPerDay,
                                       " stable_token force_refresh calls are spent; find the "
                                       "program that invalidates this appid's tokens"));
    case QuotaOutcome::Verdict::kTooSoon:
      break;
  }
  return GatewayError(Reason::kForceRefreshTooSoon,
                      absl::StrCat("WeChat rejects the current access_token of ", appid,
                                   "; the next force_refresh is allowed 30 s after the last"));
}

int ForceRefreshBudget::Left(const std::string& appid, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = seen_.find(appid);
  if (it == seen_.end() || it->second.day != BeijingDay(now)) return kPerDay;
  return std::max(0, kPerDay - it->second.used);
}

}  // namespace wxgate
