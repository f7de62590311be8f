#include "service/server/subscription_quota.h"

#include <gtest/gtest.h>

#include "service/errors/error_info.h"

namespace wxgate {
namespace {

TEST(SubscriptionQuotaTest, CapsEachCallerApartAndFreesEndedSlots) {
  SubscriptionQuota quota(2);
  auto a = quota.Acquire("shop");
  auto b = quota.Acquire("shop");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(quota.InUse("shop"), 2u);

  absl::StatusOr<std::unique_ptr<SubscriptionQuota::Slot>> third = quota.Acquire("shop");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(ErrorInfoOf(third.status()).has_value());
  EXPECT_EQ(ErrorInfoOf(third.status())->reason(), "TOO_MANY_SUBSCRIPTIONS");
  EXPECT_EQ(quota.InUse("shop"), 2u);  // a refusal takes no slot

  auto other = quota.Acquire("ops");
  EXPECT_TRUE(other.ok());

  a->reset();
  EXPECT_EQ(quota.InUse("shop"), 1u);
  EXPECT_TRUE(quota.Acquire("shop").ok());  // taken and freed at once
  EXPECT_EQ(quota.InUse("shop"), 1u);
  b->reset();
  EXPECT_EQ(quota.InUse("shop"), 0u);
}

}  // namespace
}  // namespace wxgate
