#include "service/token/redis_token_store.h"

#include <memory>
#include <optional>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/await_callback.h"
#include "tests/testing/redis_server.h"

namespace wxgate {
namespace {

using testing::AwaitCallback;
using ::testing::HasSubstr;
using testing::RedisServer;

constexpr absl::Duration kPatience = absl::Seconds(20);

TokenRecord RecordOf(std::string value, int64_t fetched_unix_s) {
  return {.value = std::move(value),
          .fetched_at = absl::FromUnixSeconds(fetched_unix_s),
          .expires_at = absl::FromUnixSeconds(fetched_unix_s + 7200)};
}

class RedisTokenStoreTest : public ::testing::Test {
 protected:
  RedisTokenStoreTest() { EXPECT_TRUE(redis_.WaitReady(kPatience)); }

  absl::StatusOr<std::optional<TokenRecord>> Get(RedisTokenStore& store, const std::string& key) {
    return AwaitCallback<absl::StatusOr<std::optional<TokenRecord>>>(
        [&](auto done) { store.Get(key, std::move(done)); });
  }
  absl::StatusOr<CasOutcome> Cas(RedisTokenStore& store, const std::string& key, int64_t expected,
                                 TokenRecord record) {
    return AwaitCallback<absl::StatusOr<CasOutcome>>(
        [&](auto done) { store.CompareAndSet(key, expected, std::move(record), std::move(done)); });
  }
  // "taken", "refused" or the error.
  std::string Lease(const std::string& owner, absl::Duration ttl = absl::Seconds(30)) {
    absl::StatusOr<bool> taken = AwaitCallback<absl::StatusOr<bool>>(
        [&](auto done) { store_.TryLease("wx1/access_token", owner, ttl, std::move(done)); });
    if (!taken.ok()) return taken.status().ToString();
    return *taken ? "taken" : "refused";
  }
  absl::Status Release(const std::string& owner) {
    return AwaitCallback<absl::Status>(
        [&](auto done) { store_.ReleaseLease("wx1/access_token", owner, std::move(done)); });
  }

  RedisServer server_;
  RedisClient redis_{{.port = server_.port(), .connect_timeout = absl::Seconds(5)}};
  RedisTokenStore store_{redis_, "wxgate:"};
};

TEST_F(RedisTokenStoreTest, AKeyNeverWrittenHasNoRecord) {
  absl::StatusOr<std::optional<TokenRecord>> got = Get(store_, "wx1/access_token");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
}

TEST_F(RedisTokenStoreTest, CompareAndSetFromNothingStoresVersionOneAndGetReadsItBack) {
  absl::StatusOr<CasOutcome> stored =
      Cas(store_, "wx1/access_token", 0, RecordOf("TOKEN-1", 1'700'000'000));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->stored);
  EXPECT_EQ(stored->current->version, 1);

  absl::StatusOr<std::optional<TokenRecord>> got = Get(store_, "wx1/access_token");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, "TOKEN-1");
  EXPECT_EQ((*got)->fetched_at, absl::FromUnixSeconds(1'700'000'000));
  EXPECT_EQ((*got)->expires_at, absl::FromUnixSeconds(1'700'007'200));
  EXPECT_EQ((*got)->version, 1);
  EXPECT_EQ(server_.Cli("HGET wxgate:token:wx1/access_token n"), "1");
}

TEST_F(RedisTokenStoreTest, OfTwoWritersOfTheSameVersionOneWinsAndTheOtherLearnsItsRecord) {
  ASSERT_TRUE(Cas(store_, "wx1/access_token", 0, RecordOf("TOKEN-1", 100))->stored);
  // A second replica, with a connection of its own.
  RedisClient other_redis({.port = server_.port(), .connect_timeout = absl::Seconds(5)});
  ASSERT_TRUE(other_redis.WaitReady(kPatience));
  RedisTokenStore other(other_redis, "wxgate:");

  absl::StatusOr<CasOutcome> first = Cas(store_, "wx1/access_token", 1, RecordOf("TOKEN-A", 200));
  absl::StatusOr<CasOutcome> second = Cas(other, "wx1/access_token", 1, RecordOf("TOKEN-B", 300));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->stored);
  EXPECT_FALSE(second->stored);
  ASSERT_TRUE(second->current.has_value());
  EXPECT_EQ(second->current->value, "TOKEN-A");
  EXPECT_EQ(second->current->version, 2);
  EXPECT_EQ((*Get(other, "wx1/access_token"))->value, "TOKEN-A");
}

TEST_F(RedisTokenStoreTest, TheLeaseHasOneOwnerWhoRenewsAndReleasesIt) {
  EXPECT_EQ(Lease("replica-1"), "taken");
  EXPECT_EQ(Lease("replica-2"), "refused");
  EXPECT_EQ(Lease("replica-1"), "taken") << "the holder renews";
  EXPECT_TRUE(Release("replica-2").ok()) << "not the holder: a no-op";
  EXPECT_EQ(Lease("replica-2"), "refused");
  EXPECT_TRUE(Release("replica-1").ok());
  EXPECT_EQ(Lease("replica-2"), "taken");
}

TEST_F(RedisTokenStoreTest, ALapsedLeaseIsTakenOver) {
  EXPECT_EQ(Lease("replica-1", absl::Milliseconds(50)), "taken");
  // Redis expires the lease on its own clock: wait for that, not a fixed time.
  const absl::Time deadline = absl::Now() + kPatience;
  while (server_.Cli("EXISTS wxgate:lease:wx1/access_token") != "0" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(Lease("replica-2"), "taken");
}

TEST_F(RedisTokenStoreTest, PrefixesKeepGatewaysApart) {
  RedisTokenStore staging(redis_, "staging:");
  ASSERT_TRUE(Cas(store_, "wx1/access_token", 0, RecordOf("PROD", 1))->stored);
  EXPECT_FALSE(Get(staging, "wx1/access_token")->has_value());
  EXPECT_TRUE(Cas(staging, "wx1/access_token", 0, RecordOf("STAGING", 1))->stored);
  EXPECT_EQ((*Get(store_, "wx1/access_token"))->value, "PROD");
}

TEST_F(RedisTokenStoreTest, AQuotaIsCountedInRedisForEveryReplica) {
  RedisClient other_redis({.port = server_.port(), .connect_timeout = absl::Seconds(5)});
  ASSERT_TRUE(other_redis.WaitReady(kPatience));
  RedisTokenStore other(other_redis, "wxgate:");
  const absl::Time t = absl::FromUnixSeconds(1700000000);
  auto take = [&](RedisTokenStore& store, absl::Time now) {
    return AwaitCallback<absl::StatusOr<QuotaOutcome>>([&](auto done) {
      store.TakeQuota("force_refresh/wx1",
                      {.period = 7, .limit = 2, .spacing = absl::Seconds(30), .now = now},
                      std::move(done));
    });
  };
  using Verdict = QuotaOutcome::Verdict;
  absl::StatusOr<QuotaOutcome> first = take(store_, t);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->verdict, Verdict::kTaken);
  EXPECT_EQ(first->used, 1);
  EXPECT_EQ(take(other, t + absl::Seconds(29))->verdict, Verdict::kTooSoon);
  EXPECT_EQ(take(other, t + absl::Seconds(30))->used, 2);
  absl::StatusOr<QuotaOutcome> spent = take(store_, t + absl::Hours(1));
  EXPECT_EQ(spent->verdict, Verdict::kSpent);
  EXPECT_EQ(spent->used, 2);
  EXPECT_NE(server_.Cli("TTL wxgate:quota:force_refresh/wx1"), "-1") << "it expires";
}

TEST_F(RedisTokenStoreTest, AMalformedRecordIsAnErrorNotAToken) {
  server_.Cli("HSET wxgate:token:wx1/access_token v X f notanumber e 1 n 1");
  absl::StatusOr<std::optional<TokenRecord>> got = Get(store_, "wx1/access_token");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(got.status().message(), HasSubstr("malformed token record"));
}

TEST_F(RedisTokenStoreTest, WithRedisDownEveryOperationFailsAsUnavailable) {
  server_.Stop();
  const absl::Time deadline = absl::Now() + kPatience;
  while (redis_.ready() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(Get(store_, "wx1/access_token").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Cas(store_, "wx1/access_token", 0, RecordOf("T", 1)).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_THAT(Lease("replica-1"), HasSubstr("UNAVAILABLE"));
  EXPECT_EQ(Release("replica-1").code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace wxgate
