// SubscriptionQuota: how many live EventService.Subscribe streams each caller holds,
// capped per caller (events.max_subscriptions_per_caller).
//
//   SubscriptionQuota quota(2);
//   auto a = quota.Acquire("shop");   // a slot
//   auto b = quota.Acquire("shop");   // a slot
//   quota.Acquire("shop")             -> RESOURCE_EXHAUSTED (TOO_MANY_SUBSCRIPTIONS)
//   quota.Acquire("ops")              -> a slot: callers are counted apart
//   a.reset();                        // the stream ended: its slot is free again
//   quota.Acquire("shop")             -> a slot
//
// Thread-safe. Slots must not outlive the quota.
#ifndef WXGATE_SERVICE_SERVER_SUBSCRIPTION_QUOTA_H_
#define WXGATE_SERVICE_SERVER_SUBSCRIPTION_QUOTA_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace wxgate {

class SubscriptionQuota {
 public:
  // One live subscription of one caller; destroying it frees the slot.
  class Slot {
   public:
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

   private:
    friend class SubscriptionQuota;
    Slot(SubscriptionQuota& quota, std::string caller)
        : quota_(quota), caller_(std::move(caller)) {}
    SubscriptionQuota& quota_;
    const std::string caller_;
  };

  explicit SubscriptionQuota(uint32_t max_per_caller) : max_per_caller_(max_per_caller) {}
  SubscriptionQuota(const SubscriptionQuota&) = delete;
  SubscriptionQuota& operator=(const SubscriptionQuota&) = delete;

  // A slot for `caller`, or RESOURCE_EXHAUSTED with reason TOO_MANY_SUBSCRIPTIONS
  // when it holds max_per_caller already.
  absl::StatusOr<std::unique_ptr<Slot>> Acquire(absl::string_view caller);
  // The slots `caller` holds.
  uint32_t InUse(absl::string_view caller) const;

 private:
  void Release(const std::string& caller);

  const uint32_t max_per_caller_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint32_t> in_use_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_SUBSCRIPTION_QUOTA_H_
