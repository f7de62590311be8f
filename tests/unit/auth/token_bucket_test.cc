#include "auth/token_bucket.h"

#include <gtest/gtest.h>

namespace wxgate {
namespace {

TEST(TokenBucketTest, AllowsABurstThenRefillsAtTheRate) {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  TokenBucket bucket(/*per_second=*/2, /*burst=*/3, [&] { return now; });
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.Take(), absl::ZeroDuration()) << i;
  EXPECT_EQ(bucket.Take(), absl::Milliseconds(500));  // refused: one token in 0.5 s
  now += absl::Milliseconds(250);
  EXPECT_EQ(bucket.Take(), absl::Milliseconds(250));  // half a token so far
  now += absl::Milliseconds(250);
  EXPECT_EQ(bucket.Take(), absl::ZeroDuration());
  EXPECT_GT(bucket.Take(), absl::ZeroDuration());
}

TEST(TokenBucketTest, AQuietPeriodRefillsNoMoreThanTheBurst) {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  TokenBucket bucket(/*per_second=*/10, /*burst=*/2, [&] { return now; });
  now += absl::Hours(1);
  EXPECT_EQ(bucket.Take(), absl::ZeroDuration());
  EXPECT_EQ(bucket.Take(), absl::ZeroDuration());
  EXPECT_EQ(bucket.Take(), absl::Milliseconds(100));
}

}  // namespace
}  // namespace wxgate
