// RedisEventLog and RedisEventTail against a real redis-server.
#include "service/events/redis_event_log.h"

#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/events/redis_event_tail.h"
#include "tests/testing/await_callback.h"
#include "tests/testing/redis_server.h"

namespace wxgate {
namespace {

using testing::AwaitCallback;
using ::testing::ElementsAre;
using testing::RedisServer;
using EventPtr = RedisEventLog::EventPtr;

constexpr absl::Duration kPatience = absl::Seconds(20);
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

StreamEvent TextEvent(const std::string& content) {
  StreamEvent stream_event;
  wechat::mp::v1::Event& event = *stream_event.mutable_event();
  event.set_appid("wx1111111111111111");
  event.set_msg_type("text");
  event.mutable_text()->set_content(content);
  event.set_cursor(42);  // ignored: the log assigns cursors
  event.set_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  return stream_event;
}

class RedisEventLogTest : public ::testing::Test {
 protected:
  RedisEventLogTest() { EXPECT_TRUE(redis_.WaitReady(kPatience)); }

  absl::StatusOr<RedisEventLog::Appended> Append(RedisEventLog& log, const std::string& identity,
                                                 const std::string& content,
                                                 absl::Time now = kNow) {
    return AwaitCallback<absl::StatusOr<RedisEventLog::Appended>>([&](auto done) {
      log.Append(identity, TextEvent(content), absl::ZeroDuration(), false, now, std::move(done));
    });
  }
  std::vector<std::string> ContentsAfter(uint64_t cursor) {
    absl::StatusOr<std::vector<EventPtr>> events =
        AwaitCallback<absl::StatusOr<std::vector<EventPtr>>>(
            [&](auto done) { log_.ReadAfter(cursor, 100, std::move(done)); });
    EXPECT_TRUE(events.ok()) << events.status();
    std::vector<std::string> contents;
    for (const EventPtr& event : events.value_or(std::vector<EventPtr>{})) {
      contents.push_back(event->event().text().content());
    }
    return contents;
  }

  RedisServer server_;
  RedisOptions options_{.port = server_.port(), .connect_timeout = absl::Seconds(5)};
  RedisClient redis_{options_};
  RedisEventLog log_{redis_, {.max_events = 100}};
};

TEST_F(RedisEventLogTest, CursorsFollowTheClockAndOnlyGrow) {
  absl::StatusOr<RedisEventLog::Appended> first = Append(log_, "a", "one");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->cursor, static_cast<uint64_t>(absl::ToUnixMicros(kNow)));
  // The same microsecond, then a clock that went back: still after the last.
  EXPECT_EQ(Append(log_, "b", "two")->cursor, first->cursor + 1);
  EXPECT_EQ(Append(log_, "c", "three", kNow - absl::Hours(1))->cursor, first->cursor + 2);

  absl::StatusOr<std::vector<EventPtr>> events =
      AwaitCallback<absl::StatusOr<std::vector<EventPtr>>>(
          [&](auto done) { log_.ReadAfter(first->cursor, 10, std::move(done)); });
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0]->event().cursor(), first->cursor + 1);
  EXPECT_EQ((*events)[0]->event().text().content(), "two");
  EXPECT_EQ((*events)[1]->event().appid(), "wx1111111111111111");
  // Subscribers on every replica follow the push's trace.
  EXPECT_EQ((*events)[1]->event().traceparent(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST_F(RedisEventLogTest, ComponentPushesShareTheLog) {
  StreamEvent authorized;
  authorized.mutable_component_event()->set_component_appid("wxc");
  authorized.mutable_component_event()->set_info_type("authorized");
  authorized.mutable_component_event()->mutable_authorized()->set_authorizer_appid("wxa");
  ASSERT_TRUE(Append(log_, "a", "before").ok());
  absl::StatusOr<RedisEventLog::Appended> appended =
      AwaitCallback<absl::StatusOr<RedisEventLog::Appended>>([&](auto done) {
        log_.Append("c", authorized, absl::ZeroDuration(), false, kNow, std::move(done));
      });
  ASSERT_TRUE(appended.ok()) << appended.status();
  ASSERT_TRUE(Append(log_, "b", "after").ok());

  absl::StatusOr<std::vector<EventPtr>> events =
      AwaitCallback<absl::StatusOr<std::vector<EventPtr>>>(
          [&](auto done) { log_.ReadAfter(0, 10, std::move(done)); });
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0]->event().text().content(), "before");
  ASSERT_TRUE((*events)[1]->has_component_event());
  EXPECT_EQ((*events)[1]->component_event().cursor(), appended->cursor);
  EXPECT_EQ((*events)[1]->component_event().authorized().authorizer_appid(), "wxa");
  EXPECT_EQ((*events)[2]->event().text().content(), "after");
}

TEST_F(RedisEventLogTest, ARetryIsRecognisedOnAnyReplicaAndKeptOnce) {
  RedisClient other_redis(options_);
  ASSERT_TRUE(other_redis.WaitReady(kPatience));
  RedisEventLog other(other_redis, {.max_events = 100});
  absl::StatusOr<RedisEventLog::Appended> first = Append(log_, "push-1", "hello");
  absl::StatusOr<RedisEventLog::Appended> retry = Append(other, "push-1", "hello");
  ASSERT_TRUE(first.ok() && retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->cursor, first->cursor) << "the first one's cursor";
  EXPECT_FALSE(Append(other, "", "no identity")->duplicate);
  EXPECT_FALSE(Append(other, "", "no identity")->duplicate) << "never a duplicate";
  EXPECT_THAT(ContentsAfter(0), ElementsAre("hello", "no identity", "no identity"));
  EXPECT_GT(std::stoll(server_.Cli("PTTL wxgate:push:push-1")), 0) << "kept for the window";
}

TEST_F(RedisEventLogTest, RetentionKeepsTheNewestByCountAndAge) {
  RedisEventLog small(redis_, {.key_prefix = "small:", .max_events = 3, .max_age = absl::Hours(1)});
  for (const char* content : {"1", "2", "3", "4", "5"})
    ASSERT_TRUE(Append(small, "", content).ok());
  EXPECT_EQ(server_.Cli("XLEN small:events"), "3");
  // Two hours later, everything before it is past max_age.
  ASSERT_TRUE(Append(small, "", "6", kNow + absl::Hours(2)).ok());
  EXPECT_EQ(server_.Cli("XLEN small:events"), "1");
}

TEST_F(RedisEventLogTest, WithRedisDownNothingIsReportedAppended) {
  server_.Stop();
  const absl::Time deadline = absl::Now() + kPatience;
  while (redis_.ready() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(Append(log_, "x", "lost?").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(RedisEventLogTest, AMalformedEntryIsAnError) {
  server_.Cli("XADD wxgate:events 5-0 e notaproto");
  absl::StatusOr<std::vector<EventPtr>> events =
      AwaitCallback<absl::StatusOr<std::vector<EventPtr>>>(
          [&](auto done) { log_.ReadAfter(0, 10, std::move(done)); });
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInternal);
}

// What a tail delivered, in order.
class Collected {
 public:
  RedisEventTail::Deliver Sink() {
    return [this](std::vector<EventPtr> events) {
      absl::MutexLock lock(&mu_);
      for (const EventPtr& event : events) contents_.push_back(event->event().text().content());
    };
  }
  std::vector<std::string> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    wanted_ = count;
    mu_.AwaitWithTimeout(absl::Condition(this, &Collected::EnoughLocked), kPatience);
    return contents_;
  }

 private:
  bool EnoughLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return contents_.size() >= wanted_;
  }

  absl::Mutex mu_;
  std::vector<std::string> contents_ ABSL_GUARDED_BY(mu_);
  size_t wanted_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(RedisEventTailTest, DeliversEveryEventOnceInOrderAcrossARedisRestart) {
  RedisServer server({.append_only = true});
  RedisOptions options{.port = server.port(), .connect_timeout = absl::Seconds(5)};
  RedisClient redis(options);
  ASSERT_TRUE(redis.WaitReady(kPatience));
  RedisEventLog log(redis, {});
  auto append = [&](const std::string& content) {
    return AwaitCallback<absl::StatusOr<RedisEventLog::Appended>>([&](auto done) {
      log.Append("", TextEvent(content), absl::ZeroDuration(), false, absl::Now(), std::move(done));
    });
  };
  ASSERT_TRUE(append("before").ok());

  Collected collected;
  RedisEventTail tail(options, log.stream_key(), 0, collected.Sink(), absl::Milliseconds(200));
  EXPECT_THAT(collected.WaitFor(1), ElementsAre("before"));
  ASSERT_TRUE(append("after").ok());
  EXPECT_THAT(collected.WaitFor(2), ElementsAre("before", "after"));

  server.Restart();  // AOF: the log survives
  ASSERT_TRUE(redis.WaitReady(kPatience));
  ASSERT_TRUE(append("after restart").ok());
  EXPECT_THAT(collected.WaitFor(3), ElementsAre("before", "after", "after restart"));
}

}  // namespace
}  // namespace wxgate
