// RedisPushSink and RedisReplyRelay against a real redis-server: two replicas, A
// holding WeChat's request for a push and B receiving the subscriber's Reply.
#include "service/events/redis_reply_relay.h"

#include <atomic>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "service/events/memory_event_store.h"
#include "service/events/redis_event_log.h"
#include "service/events/redis_push_sink.h"
#include "tests/testing/await_callback.h"
#include "tests/testing/redis_server.h"

namespace wxgate {
namespace {

using testing::AwaitCallback;
using testing::RedisServer;

constexpr absl::Duration kPatience = absl::Seconds(20);
constexpr absl::Duration kWindow = absl::Seconds(3);

// True once `condition` holds, polling until kPatience passes.
template <typename Condition>
bool Eventually(Condition condition) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// A text push; each has its own create_time unless told, so none is a retry of another.
wechat::mp::v1::Event Question(const std::string& id, int64_t create_time = 0) {
  static std::atomic<int64_t> next_time{1'700'000'000};
  wechat::mp::v1::Event event;
  event.set_create_time(create_time != 0 ? create_time : next_time++);
  event.set_id(id);
  event.set_appid("wx1111111111111111");
  event.set_msg_type("text");
  event.set_reply_allowed(true);
  event.set_from_user_name("oUser");
  event.set_to_user_name("gh_1");
  event.mutable_text()->set_content(id);
  return event;
}

// One replica's part: its hub (for its own subscribers), broker and relay.
struct Replica {
  Replica(RedisClient& redis, const RedisOptions& options, const std::string& name)
      : log(redis, {.replica = name}),
        sink(log, hub),
        relay(redis, options, {.replica = name, .heartbeat = absl::Milliseconds(50)}, broker,
              [this] { return has_repliers.load(); }) {}

  // Awaits a reply to `event` and keeps it; what WeChat will be answered goes to
  // answers.
  absl::StatusOr<PushSink::Kept> Hold(const wechat::mp::v1::Event& event,
                                      absl::Duration window = kWindow) {
    broker.Await(std::make_shared<const wechat::mp::v1::Event>(event),
                 [this](std::optional<std::string> xml) {
                   absl::MutexLock lock(&mu);
                   answers.push_back(xml.value_or("success"));
                 });
    return AwaitCallback<absl::StatusOr<PushSink::Kept>>(
        [&](auto done) { sink.Keep(StreamEventOf(event), window, std::move(done)); });
  }
  std::vector<std::string> Answers() {
    absl::MutexLock lock(&mu);
    return answers;
  }

  EventHub hub{std::make_unique<MemoryEventStore>(MemoryEventStore::Limits{}, 0),
               EventHub::Options{.mirror = true}};
  RedisEventLog log;
  RedisPushSink sink;
  ReplyBroker broker;
  std::atomic<bool> has_repliers{false};
  RedisReplyRelay relay;
  absl::Mutex mu;
  std::vector<std::string> answers;
};

class RedisReplyRelayTest : public ::testing::Test {
 protected:
  RedisReplyRelayTest() { EXPECT_TRUE(redis_.WaitReady(kPatience)); }

  absl::Status Forward(Replica& replica, const std::string& event_id,
                       std::optional<std::string> xml) {
    return AwaitCallback<absl::Status>(
        [&](auto done) { replica.relay.Forward(event_id, xml, std::move(done)); });
  }
  // A live subscriber that answers pushes on `replica`.
  static std::unique_ptr<EventHub::Subscription> Replier(Replica& replica) {
    v1::SubscribeRequest request;
    request.set_replies(true);
    return *replica.hub.Subscribe(request, [] {});
  }

  RedisServer server_;
  RedisOptions options_{.port = server_.port(), .connect_timeout = absl::Seconds(5)};
  RedisClient redis_{options_};
  Replica a_{redis_, options_, "A"};
  Replica b_{redis_, options_, "B"};
};

TEST_F(RedisReplyRelayTest, AReplySentToAnotherReplicaAnswersWhereThePushIsHeld) {
  auto replier = Replier(a_);
  const wechat::mp::v1::Event push = Question("e1");
  absl::StatusOr<PushSink::Kept> kept = a_.Hold(push);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_TRUE(kept->awaits_reply);
  EXPECT_FALSE(kept->duplicate);
  // B read the push from the log (its tail would call Remember).
  b_.relay.Remember({std::make_shared<const StreamEvent>(StreamEventOf(push))});
  ASSERT_NE(b_.relay.Find("e1"), nullptr);
  EXPECT_TRUE(Forward(b_, "e1", "<xml>hi</xml>").ok());
  EXPECT_TRUE(Eventually([&] { return !a_.Answers().empty(); }));
  EXPECT_EQ(a_.Answers(), std::vector<std::string>{"<xml>hi</xml>"});
  // Only one reply is taken.
  EXPECT_EQ(Forward(b_, "e1", "<xml>again</xml>").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RedisReplyRelayTest, AnEmptyReplyAnswersSuccess) {
  auto replier = Replier(a_);
  ASSERT_TRUE(a_.Hold(Question("e2")).ok());
  EXPECT_TRUE(Forward(b_, "e2", std::nullopt).ok());
  EXPECT_TRUE(Eventually([&] { return !a_.Answers().empty(); }));
  EXPECT_EQ(a_.Answers(), std::vector<std::string>{"success"});
}

TEST_F(RedisReplyRelayTest, APushAnsweredWhereItIsHeldIsClosedElsewhere) {
  auto replier = Replier(a_);
  ASSERT_TRUE(a_.Hold(Question("e3")).ok());
  ASSERT_TRUE(a_.broker.Reply("e3", std::nullopt).ok());
  a_.relay.Withdraw("e3");
  EXPECT_TRUE(Eventually([&] { return server_.Cli("EXISTS wxgate:reply:e3") == "0"; }));
  EXPECT_EQ(Forward(b_, "e3", "<xml>late</xml>").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RedisReplyRelayTest, AfterTheWindowNoReplicaTakesAReply) {
  auto replier = Replier(a_);
  ASSERT_TRUE(a_.Hold(Question("e4"), absl::Milliseconds(300)).ok());
  // The wait in Redis ends a little before A's own window does.
  const std::string ttl = server_.Cli("PTTL wxgate:reply:e4");
  EXPECT_GT(std::stoi(ttl), 0);
  EXPECT_LE(std::stoi(ttl), 200);
  EXPECT_TRUE(Eventually([&] { return server_.Cli("EXISTS wxgate:reply:e4") == "0"; }));
  EXPECT_EQ(Forward(b_, "e4", "<xml>late</xml>").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(a_.Answers().empty());
}

TEST_F(RedisReplyRelayTest, WithoutAReplierAnywhereNoPushWaits) {
  absl::StatusOr<PushSink::Kept> kept = a_.Hold(Question("e5"));
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_FALSE(kept->awaits_reply);
  EXPECT_EQ(server_.Cli("EXISTS wxgate:reply:e5"), "0");
  EXPECT_EQ(Forward(b_, "e5", "<xml>x</xml>").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RedisReplyRelayTest, AReplierOnAnotherReplicaIsHeardThroughItsHeartbeat) {
  b_.has_repliers = true;
  int n = 0;
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<PushSink::Kept> kept = a_.Hold(Question(absl::StrCat("h", ++n)));
    return kept.ok() && kept->awaits_reply;
  }));
  EXPECT_EQ(server_.Cli("ZRANGE wxgate:repliers 0 -1"), "B");
  // When B's subscribers are gone its entry runs out (three heartbeats) and pushes
  // stop waiting.
  b_.has_repliers = false;
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<PushSink::Kept> kept = a_.Hold(Question(absl::StrCat("h", ++n)));
    return kept.ok() && !kept->awaits_reply;
  }));
}

TEST_F(RedisReplyRelayTest, ARetryReachingAnotherReplicaIsADuplicate) {
  ASSERT_TRUE(a_.Hold(Question("e6", 600)).ok());
  // WeChat retries the same push (sender, time, content); B gives it an id of its own.
  absl::StatusOr<PushSink::Kept> retry =
      AwaitCallback<absl::StatusOr<PushSink::Kept>>([&](auto done) {
        b_.sink.Keep(StreamEventOf(Question("e6-retry", 600)), kWindow, std::move(done));
      });
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate);
}

TEST_F(RedisReplyRelayTest, WithRedisDownAPushIsNotKept) {
  server_.Stop();
  EXPECT_TRUE(Eventually([&] { return !redis_.ready(); }));
  absl::StatusOr<PushSink::Kept> kept = a_.Hold(Question("e7"));
  EXPECT_EQ(kept.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace wxgate
