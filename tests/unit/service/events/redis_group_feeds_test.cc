// RedisGroupFeeds against a real redis-server: one group with members on two
// replicas' hubs, sharing the events that RedisEventLog appends.
#include "service/events/redis_group_feeds.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "service/events/memory_event_store.h"
#include "service/events/redis_event_log.h"
#include "tests/testing/await_callback.h"
#include "tests/testing/redis_server.h"

namespace wxgate {
namespace {

using testing::AwaitCallback;
using testing::RedisServer;

constexpr absl::Duration kPatience = absl::Seconds(20);

wechat::mp::v1::Event Push(const std::string& msg_type, const std::string& content) {
  wechat::mp::v1::Event event;
  event.set_appid("wx1111111111111111");
  event.set_msg_type(msg_type);
  event.mutable_text()->set_content(content);
  return event;
}

// One replica: a hub whose groups are fed from Redis.
struct Replica {
  Replica(RedisClient& redis, const RedisOptions& options, const std::string& name)
      : feeds(redis, options,
              {.stream_key = "wxgate:events",
               .consumer = name,
               .claim_after = absl::Seconds(1),
               .block = absl::Milliseconds(100)}) {}

  // A member of "workers" that counts its wakes.
  std::unique_ptr<EventHub::Subscription> Member(const std::string& msg_type = "") {
    v1::SubscribeRequest request;
    request.set_group("workers");
    request.set_after_cursor(0);  // a new group starts with the whole stream
    if (!msg_type.empty()) request.mutable_filter()->add_msg_types(msg_type);
    return *hub.Subscribe(request, [] {});
  }

  RedisGroupFeeds feeds;
  EventHub hub{std::make_unique<MemoryEventStore>(MemoryEventStore::Limits{}, 0),
               EventHub::Options{.mirror = true, .group_feeds = &feeds}};
};

// Takes events from `member` until `count` came (or kPatience passed), reporting
// each delivered unless told otherwise; returns their contents.
std::vector<std::string> Take(EventHub::Subscription& member, size_t count, bool deliver = true) {
  std::vector<std::string> contents;
  const absl::Time deadline = absl::Now() + kPatience;
  while (contents.size() < count && absl::Now() < deadline) {
    absl::StatusOr<EventHub::EventPtr> next = member.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok()) break;
    if (*next == nullptr) {
      absl::SleepFor(absl::Milliseconds(5));
      continue;
    }
    contents.push_back((*next)->event().text().content());
    if (deliver) member.Delivered(*next);
  }
  return contents;
}

class RedisGroupFeedsTest : public ::testing::Test {
 protected:
  RedisGroupFeedsTest() { EXPECT_TRUE(redis_.WaitReady(kPatience)); }

  void Append(const std::string& msg_type, const std::string& content) {
    absl::StatusOr<RedisEventLog::Appended> appended =
        AwaitCallback<absl::StatusOr<RedisEventLog::Appended>>([&](auto done) {
          log_.Append("", StreamEventOf(Push(msg_type, content)), absl::ZeroDuration(), false,
                      absl::Now(), std::move(done));
        });
    ASSERT_TRUE(appended.ok()) << appended.status();
  }
  // Whether the group's pending list empties (acknowledgements are asynchronous).
  bool AllAcknowledged() {
    const absl::Time deadline = absl::Now() + kPatience;
    while (!absl::StartsWith(server_.Cli("XPENDING wxgate:events workers"), "0")) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  RedisServer server_;
  RedisOptions options_{.port = server_.port(), .connect_timeout = absl::Seconds(5)};
  RedisClient redis_{options_};
  RedisEventLog log_{redis_, {}};
  Replica a_{redis_, options_, "A"};
  Replica b_{redis_, options_, "B"};
};

TEST_F(RedisGroupFeedsTest, EachEventGoesToOneMemberOnOneReplica) {
  auto on_a = a_.Member();
  auto on_b = b_.Member();
  for (int i = 0; i < 40; ++i) Append("text", absl::StrCat(i));
  std::vector<std::string> seen;
  const absl::Time deadline = absl::Now() + kPatience;
  while (seen.size() < 40 && absl::Now() < deadline) {
    bool idle = true;
    for (auto* member : {on_a.get(), on_b.get()}) {
      absl::StatusOr<EventHub::EventPtr> next = member->Next();
      ASSERT_TRUE(next.ok()) << next.status();
      if (*next == nullptr) continue;
      idle = false;
      seen.push_back((*next)->event().text().content());
      member->Delivered(*next);
    }
    if (idle) absl::SleepFor(absl::Milliseconds(5));
  }
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> all;
  for (int i = 0; i < 40; ++i) all.push_back(absl::StrCat(i));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(seen, all) << "each event once, none lost";
  EXPECT_TRUE(AllAcknowledged());
}

TEST_F(RedisGroupFeedsTest, WhatAVanishedMemberHeldGoesToAnotherReplica) {
  auto on_a = a_.Member();
  Append("text", "held by A");
  EXPECT_EQ(Take(*on_a, 1, /*deliver=*/false), std::vector<std::string>{"held by A"});
  on_a.reset();  // A's last member leaves without delivering it
  auto on_b = b_.Member();
  EXPECT_EQ(Take(*on_b, 1), std::vector<std::string>{"held by A"});
}

TEST_F(RedisGroupFeedsTest, EventsTheFilterRefusesAreAcknowledgedAndNotDelivered) {
  auto texts = a_.Member("text");
  Append("image", "not for us");
  Append("text", "for us");
  EXPECT_EQ(Take(*texts, 1), std::vector<std::string>{"for us"});
  EXPECT_TRUE(AllAcknowledged());
}

TEST_F(RedisGroupFeedsTest, WhatALiveMemberHoldsIsNotClaimedElsewhere) {
  auto on_a = a_.Member();
  Append("text", "slow work");
  absl::StatusOr<EventHub::EventPtr> held;
  const absl::Time deadline = absl::Now() + kPatience;
  do {
    held = on_a->Next();
  } while (held.ok() && *held == nullptr && absl::Now() < deadline &&
           (absl::SleepFor(absl::Milliseconds(5)), true));
  ASSERT_TRUE(held.ok() && *held != nullptr);
  auto on_b = b_.Member();
  // Three times claim_after: A renews its hold on the event meanwhile.
  const absl::Time until = absl::Now() + absl::Seconds(3);
  while (absl::Now() < until) {
    absl::StatusOr<EventHub::EventPtr> stolen = on_b->Next();
    ASSERT_TRUE(stolen.ok());
    EXPECT_EQ(*stolen, nullptr) << "B got " << (*stolen)->event().text().content();
    absl::SleepFor(absl::Milliseconds(20));
  }
  on_a->Delivered(*held);
  EXPECT_TRUE(AllAcknowledged());
}

}  // namespace
}  // namespace wxgate
