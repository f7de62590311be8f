#include "service/server/subscription_quota.h"

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"

namespace wxgate {

SubscriptionQuota::Slot::~Slot() { quota_.Release(caller_); }

absl::StatusOr<std::unique_ptr<SubscriptionQuota::Slot>> SubscriptionQuota::Acquire(
    absl::string_view caller) {
  absl::MutexLock lock(&mu_);
  uint32_t& count = in_use_[caller];
  if (count >= max_per_caller_) {
    return GatewayError(Reason::kTooManySubscriptions,
                        absl::StrCat("this caller already holds ", count,
                                     " live Subscribe streams, the most allowed "
                                     "(events.max_subscriptions_per_caller); end one first"));
  }
  ++count;
  return std::unique_ptr<Slot>(new Slot(*this, std::string(caller)));
}

uint32_t SubscriptionQuota::InUse(absl::string_view caller) const {
  absl::MutexLock lock(&mu_);
  auto it = in_use_.find(caller);
  return it == in_use_.end() ? 0 : it->second;
}

void SubscriptionQuota::Release(const std::string& caller) {
  absl::MutexLock lock(&mu_);
  auto it = in_use_.find(caller);
  if (it == in_use_.end()) return;
  if (--it->second == 0) in_use_.erase(it);
}

}  // namespace wxgate
