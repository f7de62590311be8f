#include "service/token/force_refresh_budget.h"

#include "absl/strings/str_cat.h"
#include "service/errors/gateway_reasons.h"

namespace wxgate {

int64_t ForceRefreshBudget::BeijingDay(absl::Time t) {
  return absl::ToUnixSeconds(t + absl::Hours(8)) / 86400;
}

absl::Status ForceRefreshBudget::TrySpend(const std::string& appid, absl::Time now) {
  absl::MutexLock lock(&mu_);
  Usage& usage = usage_[appid];
  if (usage.day != BeijingDay(now)) usage = {.day = BeijingDay(now)};
  if (usage.used >= kPerDay) {
    return GatewayError(
        Reason::kForceRefreshBudgetSpent,
        absl::StrCat("WeChat rejects the current access_token of ", appid, " and today's ", kPerDay,
                     " stable_token force_refresh calls are spent; find the "
                     "program that invalidates this appid's tokens"));
  }
  if (now - usage.last < kSpacing) {
    return GatewayError(Reason::kForceRefreshTooSoon,
                        absl::StrCat("WeChat rejects the current access_token of ", appid,
                                     "; the next force_refresh is allowed 30 s after the last"));
  }
  ++usage.used;
  usage.last = now;
  return absl::OkStatus();
}

int ForceRefreshBudget::Left(const std::string& appid, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  auto it = usage_.find(appid);
  if (it == usage_.end() || it->second.day != BeijingDay(now)) return kPerDay;
  return kPerDay - it->second.used;
}

}  // namespace wxgate
