#include "service/events/event_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/events/memory_event_store.h"

namespace wxgate {
namespace {

using v1::SubscribeRequest;
using wechat::mp::v1::Event;

StreamEvent Push(const std::string& appid, const std::string& msg_type,
                 const std::string& event_name = "", const std::string& key = "") {
  StreamEvent stream_event;
  Event& event = *stream_event.mutable_event();
  event.set_appid(appid);
  event.set_msg_type(msg_type);
  event.set_event(event_name);
  if (!key.empty()) event.mutable_click()->set_event_key(key);
  return stream_event;
}

// Everything the subscription has ready now, by cursor.
std::vector<uint64_t> Drain(EventHub::Subscription& subscription) {
  std::vector<uint64_t> cursors;
  while (true) {
    absl::StatusOr<EventHub::EventPtr> next = subscription.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || *next == nullptr) return cursors;
    cursors.push_back(CursorOf(**next));
  }
}

class EventHubTest : public ::testing::Test {
 protected:
  // Events from cursor 1000 on, the last `max_events` for an hour.
  static std::unique_ptr<EventStore> Store(size_t max_events = 100) {
    return std::make_unique<MemoryEventStore>(
        MemoryEventStore::Limits{.max_events = max_events, .max_age = absl::Hours(1)}, 1000);
  }

  EventHub::Options Options() {
    EventHub::Options options;
    options.max_lag = 10;
    options.now = [this] { return now_; };
    return options;
  }

  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(EventHubTest, CursorsGrowFromTheFirstCursor) {
  EventHub hub(Store(), Options());
  EXPECT_EQ(CursorOf(*hub.Publish(Push("wxa", "text")).event), 1000u);
  EXPECT_EQ(CursorOf(*hub.Publish(Push("wxa", "text")).event), 1001u);
}

TEST_F(EventHubTest, BroadcastsToEverySubscriberAndWakesWaitingOnes) {
  EventHub hub(Store(), Options());
  std::atomic<int> wakes_a{0}, wakes_b{0};
  auto a = *hub.Subscribe(SubscribeRequest(), [&] { ++wakes_a; });
  auto b = *hub.Subscribe(SubscribeRequest(), [&] { ++wakes_b; });
  EXPECT_TRUE(Drain(*a).empty());  // a now waits; b has not asked yet
  hub.Publish(Push("wxa", "text"));
  EXPECT_EQ(wakes_a.load(), 1);
  EXPECT_EQ(wakes_b.load(), 0);
  EXPECT_EQ(Drain(*a), std::vector<uint64_t>{1000});
  EXPECT_EQ(Drain(*b), std::vector<uint64_t>{1000});
}

TEST_F(EventHubTest, CloseEndsEverySubscriptionSayingWhereToResume) {
  EventHub hub(Store(), Options());
  std::atomic<int> wakes{0};
  auto broadcast = *hub.Subscribe(SubscribeRequest(), [&] { ++wakes; });
  SubscribeRequest group;
  group.set_group("workers");
  auto member = *hub.Subscribe(group, [] {});
  hub.Publish(Push("wxa", "text"));
  EXPECT_EQ(Drain(*broadcast), std::vector<uint64_t>{1000});  // now waiting

  hub.Close();
  EXPECT_EQ(wakes.load(), 1);  // the waiting subscriber learns at once
  absl::StatusOr<EventHub::EventPtr> next = broadcast->Next();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(next.status().message(), "after_cursor 1000")) << next.status();
  EXPECT_EQ(member->Next().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.Subscribe(SubscribeRequest(), [] {}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(EventHubTest, NewSubscribersGetOnlyLiveEventsUnlessTheyAskForMore) {
  EventHub hub(Store(), Options());
  hub.Publish(Push("wxa", "text"));
  hub.Publish(Push("wxa", "text"));
  auto live = *hub.Subscribe(SubscribeRequest(), [] {});
  SubscribeRequest from_oldest;
  from_oldest.set_after_cursor(0);
  auto all = *hub.Subscribe(from_oldest, [] {});
  SubscribeRequest after;
  after.set_after_cursor(1000);
  auto resumed = *hub.Subscribe(after, [] {});
  hub.Publish(Push("wxa", "text"));
  EXPECT_EQ(Drain(*live), std::vector<uint64_t>{1002});
  EXPECT_EQ(Drain(*all), (std::vector<uint64_t>{1000, 1001, 1002}));
  EXPECT_EQ(Drain(*resumed), (std::vector<uint64_t>{1001, 1002}));
}

TEST_F(EventHubTest, FiltersByAppidTypeEventAndKeyPrefix) {
  EventHub hub(Store(), Options());
  SubscribeRequest request;
  request.mutable_filter()->add_appids("wxa");
  request.mutable_filter()->add_msg_types("EVENT");
  request.mutable_filter()->add_events("click");
  request.mutable_filter()->set_event_key_prefix("MENU_");
  auto subscription = *hub.Subscribe(request, [] {});
  hub.Publish(Push("wxb", "event", "CLICK", "MENU_1"));  // other appid
  hub.Publish(Push("wxa", "text"));                      // other type
  hub.Publish(Push("wxa", "event", "VIEW", "MENU_1"));   // other event
  hub.Publish(Push("wxa", "event", "CLICK", "OTHER"));   // other key
  const uint64_t match = CursorOf(*hub.Publish(Push("wxa", "event", "CLICK", "MENU_2")).event);
  EXPECT_EQ(Drain(*subscription), std::vector<uint64_t>{match});
}

TEST_F(EventHubTest, AGroupGetsEachEventOnceAcrossItsMembers) {
  EventHub hub(Store(), Options());
  SubscribeRequest request;
  request.set_group("workers");
  auto first = *hub.Subscribe(request, [] {});
  auto second = *hub.Subscribe(request, [] {});
  auto broadcast = *hub.Subscribe(SubscribeRequest(), [] {});
  for (int i = 0; i < 6; ++i) hub.Publish(Push("wxa", "text"));
  // The members pull in turns; together they see each event exactly once.
  std::vector<uint64_t> seen;
  for (int i = 0; i < 3; ++i) {
    for (auto* member : {first.get(), second.get()}) {
      auto next = member->Next();
      ASSERT_TRUE(next.ok() && *next != nullptr);
      seen.push_back(CursorOf(**next));
    }
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{1000, 1001, 1002, 1003, 1004, 1005}));
  EXPECT_TRUE(Drain(*first).empty());
  EXPECT_TRUE(Drain(*second).empty());
  EXPECT_EQ(Drain(*broadcast).size(), 6u);  // a broadcast subscriber still gets all
}

TEST_F(EventHubTest, AnUndeliveredGroupEventGoesToAnotherMember) {
  EventHub hub(Store(), Options());
  SubscribeRequest request;
  request.set_group("workers");
  auto first = *hub.Subscribe(request, [] {});
  std::atomic<int> second_wakes{0};
  auto second = *hub.Subscribe(request, [&] { ++second_wakes; });
  EXPECT_TRUE(Drain(*second).empty());
  hub.Publish(Push("wxa", "text"));
  auto taken = first->Next();
  ASSERT_TRUE(taken.ok() && *taken != nullptr);
  first->GiveBack(*taken);
  first.reset();  // the member's stream broke
  EXPECT_GE(second_wakes.load(), 1);
  EXPECT_EQ(Drain(*second), std::vector<uint64_t>{1000});
}

TEST_F(EventHubTest, AGroupKeepsItsPlaceWhileItHasNoMember) {
  EventHub hub(Store(), Options());
  SubscribeRequest request;
  request.set_group("workers");
  {
    auto member = *hub.Subscribe(request, [] {});
  }
  hub.Publish(Push("wxa", "text"));
  hub.Publish(Push("wxa", "text"));
  auto later = *hub.Subscribe(request, [] {});
  EXPECT_EQ(Drain(*later), (std::vector<uint64_t>{1000, 1001}));
}

TEST_F(EventHubTest, ASlowBroadcastSubscriberIsEndedAndCanResume) {
  EventHub hub(Store(), Options());  // max_lag 10
  auto slow = *hub.Subscribe(SubscribeRequest(), [] {});
  for (int i = 0; i < 11; ++i) hub.Publish(Push("wxa", "text"));
  absl::StatusOr<EventHub::EventPtr> next = slow->Next();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(next.status().message().find("after_cursor 999"), absl::string_view::npos)
      << next.status();
  // Resuming where it stopped loses nothing: a replay does not count as lag.
  SubscribeRequest resume;
  resume.set_after_cursor(999);
  auto resumed = *hub.Subscribe(resume, [] {});
  EXPECT_EQ(Drain(*resumed).size(), 11u);
}

TEST_F(EventHubTest, ACursorOlderThanRetentionIsOutOfRangeAndSaysWhatWasLost) {
  EventHub hub(Store(/*max_events=*/3), Options());
  for (int i = 0; i < 5; ++i) hub.Publish(Push("wxa", "text"));  // 1000..1004; 1002.. kept
  SubscribeRequest request;
  request.set_after_cursor(1000);
  auto subscription = *hub.Subscribe(request, [] {});
  absl::StatusOr<EventHub::EventPtr> next = subscription->Next();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(next.status().message().find("1001 to 1001"), absl::string_view::npos) << next.status();
  EXPECT_NE(next.status().message().find(
                "keeps the last 3 events for 1h, from cursor 1000 on); subscribe again with "
                "after_cursor 1001"),
            absl::string_view::npos)
      << next.status();
}

TEST_F(EventHubTest, EventsOlderThanTheRetentionAgeAreDropped) {
  EventHub hub(Store(), Options());  // max_age 1h
  hub.Publish(Push("wxa", "text"));
  now_ += absl::Minutes(61);
  hub.Publish(Push("wxa", "text"));
  SubscribeRequest request;
  request.set_after_cursor(0);
  auto subscription = *hub.Subscribe(request, [] {});
  EXPECT_EQ(Drain(*subscription), std::vector<uint64_t>{1001});
}

TEST_F(EventHubTest, ACursorFromTheFutureIsRefused) {
  EventHub hub(Store(), Options());
  hub.Publish(Push("wxa", "text"));
  SubscribeRequest request;
  request.set_after_cursor(5000);
  EXPECT_EQ(hub.Subscribe(request, [] {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EventHubTest, ListsSubscribersWithCallerFilterGroupSinceAndLag) {
  EventHub hub(Store(), Options());
  SubscribeRequest texts;
  texts.mutable_filter()->add_appids("wxa");
  texts.mutable_filter()->add_msg_types("text");
  texts.set_replies(true);
  auto broadcast = *hub.Subscribe(
      texts, [] {}, "shop");
  now_ += absl::Seconds(5);
  SubscribeRequest workers;
  workers.set_group("workers");
  auto member = *hub.Subscribe(
      workers, [] {}, "crm");
  EXPECT_TRUE(Drain(*member).empty());

  for (int i = 0; i < 3; ++i) hub.Publish(Push("wxa", "text"));
  ASSERT_NE(*broadcast->Next(), nullptr);  // it took one; two wait for it
  std::vector<EventHub::SubscriberInfo> subscribers = hub.Subscribers();
  ASSERT_EQ(subscribers.size(), 2u);
  EXPECT_EQ(subscribers[0].caller, "shop");
  EXPECT_EQ(subscribers[0].group, "");
  EXPECT_EQ(subscribers[0].filter.appids(0), "wxa");
  EXPECT_EQ(subscribers[0].filter.msg_types(0), "text");
  EXPECT_TRUE(subscribers[0].replies);
  EXPECT_EQ(subscribers[0].since, absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(subscribers[0].lag, 2u);
  EXPECT_EQ(subscribers[1].caller, "crm");
  EXPECT_EQ(subscribers[1].group, "workers");
  EXPECT_FALSE(subscribers[1].replies);
  EXPECT_EQ(subscribers[1].since, absl::FromUnixSeconds(1700000005));
  EXPECT_EQ(subscribers[1].lag, 3u);

  member.reset();
  ASSERT_EQ(hub.Subscribers().size(), 1u);
  EXPECT_EQ(hub.Subscribers()[0].caller, "shop");
}

TEST_F(EventHubTest, KeepsTheNewestEventsNewestFirst) {
  EventHub::Options options = Options();
  options.keep_latest = 3;
  EventHub hub(Store(), options);
  EXPECT_TRUE(hub.Latest(10).empty());
  for (int i = 0; i < 5; ++i) hub.Publish(Push("wxa", "text"));
  std::vector<uint64_t> cursors;
  for (const EventHub::EventPtr& event : hub.Latest(10)) cursors.push_back(CursorOf(*event));
  EXPECT_EQ(cursors, (std::vector<uint64_t>{1004, 1003, 1002}));
  ASSERT_EQ(hub.Latest(1).size(), 1u);
  EXPECT_EQ(CursorOf(*hub.Latest(1)[0]), 1004u);
}

TEST_F(EventHubTest, AwaitsReplyOnlyWhenAReplyingSubscriberMatches) {
  EventHub hub(Store(), Options());
  auto listener = *hub.Subscribe(SubscribeRequest(), [] {});
  EXPECT_FALSE(hub.Publish(Push("wxa", "text")).awaits_reply);
  SubscribeRequest replier;
  replier.set_replies(true);
  replier.mutable_filter()->add_appids("wxa");
  auto answering = *hub.Subscribe(replier, [] {});
  EXPECT_TRUE(hub.Publish(Push("wxa", "text")).awaits_reply);
  EXPECT_FALSE(hub.Publish(Push("wxb", "text")).awaits_reply);
  EXPECT_TRUE(hub.has_repliers());
  answering.reset();
  EXPECT_FALSE(hub.Publish(Push("wxa", "text")).awaits_reply);
  EXPECT_FALSE(hub.has_repliers());
  EXPECT_EQ(hub.subscriber_count(), 1u);
}

std::vector<uint64_t> CursorsOf(const std::vector<EventHub::EventPtr>& events) {
  std::vector<uint64_t> cursors;
  for (const EventHub::EventPtr& event : events) cursors.push_back(CursorOf(*event));
  return cursors;
}

TEST_F(EventHubTest, ABatchTakesWhatIsReadyInOrderUpToItsSize) {
  EventHub hub(Store(), Options());
  std::atomic<int> wakes{0};
  SubscribeRequest texts;
  texts.mutable_filter()->add_msg_types("text");
  auto subscription = *hub.Subscribe(texts, [&] { ++wakes; });
  for (int i = 0; i < 7; ++i) hub.Publish(Push("wxa", i == 2 ? "image" : "text"));
  auto first = subscription->NextBatch(4);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(CursorsOf(*first), (std::vector<uint64_t>{1000, 1001, 1003, 1004}));
  auto second = subscription->NextBatch(4);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(CursorsOf(*second), (std::vector<uint64_t>{1005, 1006}));
  // Nothing ready: empty, and the next event wakes it, as with Next().
  auto none = subscription->NextBatch(4);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(wakes.load(), 0);
  hub.Publish(Push("wxa", "text"));
  EXPECT_EQ(wakes.load(), 1);
  EXPECT_EQ(CursorsOf(*subscription->NextBatch(0)), std::vector<uint64_t>{1007});  // 0 takes 1
}

TEST_F(EventHubTest, ABatchingSubscriberTooFarBehindIsEndedSayingWhereToResume) {
  EventHub hub(Store(), Options());  // max_lag 10
  auto slow = *hub.Subscribe(SubscribeRequest(), [] {});
  for (int i = 0; i < 5; ++i) hub.Publish(Push("wxa", "text"));
  ASSERT_EQ(slow->NextBatch(3)->size(), 3u);
  for (int i = 0; i < 9; ++i) hub.Publish(Push("wxa", "text"));
  auto next = slow->NextBatch(100);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(next.status().message().find("after_cursor 1002"), absl::string_view::npos)
      << next.status();
}

TEST_F(EventHubTest, AnUndeliveredBatchGoesBackToTheGroupInOrder) {
  EventHub hub(Store(), Options());
  SubscribeRequest request;
  request.set_group("workers");
  auto first = *hub.Subscribe(request, [] {});
  auto second = *hub.Subscribe(request, [] {});
  for (int i = 0; i < 5; ++i) hub.Publish(Push("wxa", "text"));
  auto taken = first->NextBatch(3);
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(CursorsOf(*taken), (std::vector<uint64_t>{1000, 1001, 1002}));
  first->GiveBack(*std::move(taken));
  first.reset();
  EXPECT_EQ(CursorsOf(*second->NextBatch(2)), (std::vector<uint64_t>{1000, 1001}));
  EXPECT_EQ(Drain(*second), (std::vector<uint64_t>{1002, 1003, 1004}));
}

// Another EventStore, to show the hub needs nothing but the interface: cursors step
// by 10 (gaps, as a stream's ids may have), only the newest `max_events` are kept,
// and age does not matter.
// Counts wake() calls and the threads they came on; waits for them without sleeping.
class WakeLog {
 public:
  std::function<void()> Wake() {
    return [this] {
      absl::MutexLock lock(&mu_);
      ++wakes_;
      threads_.push_back(std::this_thread::get_id());
    };
  }
  // Waits for the `count`th wake and returns the threads so far.
  std::vector<std::thread::id> WaitFor(int count) {
    absl::MutexLock lock(&mu_);
    const auto reached = [this, count]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return wakes_ >= count; };
    mu_.Await(absl::Condition(&reached));
    return threads_;
  }

 private:
  absl::Mutex mu_;
  int wakes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
};

class WakeThreadEventHubTest : public EventHubTest {
 protected:
  EventHub::Options WakeThreadOptions() {
    EventHub::Options options = Options();
    options.wake_thread = true;
    return options;
  }
};

TEST_F(WakeThreadEventHubTest, ThePublisherWakesNoSubscriberItself) {
  EventHub hub(Store(), WakeThreadOptions());
  WakeLog log_a, log_b;
  auto a = *hub.Subscribe(SubscribeRequest(), log_a.Wake());
  auto b = *hub.Subscribe(SubscribeRequest(), log_b.Wake());
  EXPECT_TRUE(Drain(*a).empty());  // both wait
  EXPECT_TRUE(Drain(*b).empty());
  hub.Publish(Push("wxa", "text"));
  for (WakeLog* log : {&log_a, &log_b}) {
    const std::vector<std::thread::id> threads = log->WaitFor(1);
    ASSERT_EQ(threads.size(), 1u);
    EXPECT_NE(threads[0], std::this_thread::get_id());
  }
  EXPECT_EQ(Drain(*a), std::vector<uint64_t>{1000});
  EXPECT_EQ(Drain(*b), std::vector<uint64_t>{1000});
  // Waiting again: the next event wakes them again.
  hub.Publish(Push("wxa", "text"));
  log_a.WaitFor(2);
  EXPECT_EQ(Drain(*a), std::vector<uint64_t>{1001});
}

TEST_F(WakeThreadEventHubTest, IngestAndCloseWakeOnTheHubsThreadToo) {
  EventHub hub(Store(), WakeThreadOptions());
  WakeLog log;
  auto subscription = *hub.Subscribe(SubscribeRequest(), log.Wake());
  EXPECT_TRUE(Drain(*subscription).empty());
  StreamEvent event = Push("wxa", "text");
  SetCursorOf(event, 5000);
  hub.Ingest({std::make_shared<const StreamEvent>(std::move(event))});
  EXPECT_NE(log.WaitFor(1)[0], std::this_thread::get_id());
  EXPECT_EQ(Drain(*subscription), std::vector<uint64_t>{5000});
  hub.Close();
  EXPECT_NE(log.WaitFor(2)[1], std::this_thread::get_id());
  EXPECT_EQ(subscription->Next().status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(WakeThreadEventHubTest, ASubscriptionEndsSafelyWhileItsWakeIsDue) {
  EventHub hub(Store(), WakeThreadOptions());
  WakeLog log;
  auto staying = *hub.Subscribe(SubscribeRequest(), log.Wake());
  EXPECT_TRUE(Drain(*staying).empty());
  for (int i = 0; i < 50; ++i) {
    auto leaving = *hub.Subscribe(SubscribeRequest(), [] {});
    EXPECT_TRUE(Drain(*leaving).empty());
    hub.Publish(Push("wxa", "text"));
    leaving.reset();  // waits for a wake in progress, if any; none comes after
    log.WaitFor(i + 1);
    EXPECT_EQ(Drain(*staying).size(), 1u);
  }
}

class SparseEventStore final : public EventStore {
 public:
  explicit SparseEventStore(size_t max_events) : max_events_(max_events) {}

  EventPtr Append(StreamEvent event, absl::Time) override {
    last_ += 10;
    SetCursorOf(event, last_);
    auto stored = std::make_shared<const StreamEvent>(std::move(event));
    events_[last_] = stored;
    while (events_.size() > max_events_) {
      evicted_through_ = events_.begin()->first;
      events_.erase(events_.begin());
    }
    return stored;
  }
  bool Insert(EventPtr event, absl::Time) override {
    if (CursorOf(*event) <= last_) return false;
    last_ = CursorOf(*event);
    events_[last_] = std::move(event);
    return true;
  }
  void Evict(absl::Time) override {}
  EventPtr AtOrAfter(uint64_t cursor) const override {
    auto it = events_.lower_bound(cursor);
    return it == events_.end() ? nullptr : it->second;
  }
  size_t CountFrom(uint64_t cursor) const override {
    return static_cast<size_t>(std::distance(events_.lower_bound(cursor), events_.end()));
  }
  uint64_t next_cursor() const override { return last_ + 1; }
  uint64_t oldest_cursor() const override { return evicted_through_ + 1; }
  std::string DescribeRetention() const override {
    return absl::StrCat("the newest ", max_events_, " events");
  }

 private:
  const size_t max_events_;
  uint64_t last_ = 0;
  uint64_t evicted_through_ = 0;
  std::map<uint64_t, EventPtr> events_;
};

class EventHubOverAnotherStoreTest : public ::testing::Test {
 protected:
  static std::unique_ptr<EventStore> Store(size_t max_events = 100) {
    return std::make_unique<SparseEventStore>(max_events);
  }
  static EventHub::Options Options() { return {.max_lag = 100}; }
  static StreamEvent Text() { return Push("wxa", "text"); }
};

TEST_F(EventHubOverAnotherStoreTest, TheStoreGivesTheCursors) {
  EventHub hub(Store(), Options());
  auto live = *hub.Subscribe(SubscribeRequest(), [] {});
  EXPECT_EQ(CursorOf(*hub.Publish(Text()).event), 10u);
  EXPECT_EQ(CursorOf(*hub.Publish(Text()).event), 20u);
  hub.Publish(Text());
  EXPECT_EQ(Drain(*live), (std::vector<uint64_t>{10, 20, 30}));
}

TEST_F(EventHubOverAnotherStoreTest, SubscribersResumeAcrossTheGapsBetweenCursors) {
  EventHub hub(Store(), Options());
  for (int i = 0; i < 3; ++i) hub.Publish(Text());  // 10, 20, 30
  SubscribeRequest request;
  request.set_after_cursor(0);
  EXPECT_EQ(Drain(**hub.Subscribe(request, [] {})), (std::vector<uint64_t>{10, 20, 30}));
  request.set_after_cursor(10);
  EXPECT_EQ(Drain(**hub.Subscribe(request, [] {})), (std::vector<uint64_t>{20, 30}));
  request.set_after_cursor(15);  // between two events
  EXPECT_EQ(Drain(**hub.Subscribe(request, [] {})), (std::vector<uint64_t>{20, 30}));
  request.set_after_cursor(30);
  auto newest = *hub.Subscribe(request, [] {});
  EXPECT_TRUE(Drain(*newest).empty());
  hub.Publish(Text());
  EXPECT_EQ(Drain(*newest), std::vector<uint64_t>{40});
  request.set_after_cursor(41);
  EXPECT_EQ(hub.Subscribe(request, [] {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EventHubOverAnotherStoreTest, WhatTheStoreEvictedIsOutOfRange) {
  EventHub hub(Store(/*max_events=*/2), Options());
  for (int i = 0; i < 4; ++i) hub.Publish(Text());  // 10..40; 30 and 40 kept
  SubscribeRequest request;
  request.set_after_cursor(10);
  auto late = *hub.Subscribe(request, [] {});
  absl::StatusOr<EventHub::EventPtr> next = late->Next();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(next.status().message().find(
                "cursors 11 to 20 are no longer retained (this gateway keeps the newest 2 "
                "events); subscribe again with after_cursor 20"),
            absl::string_view::npos)
      << next.status();
  request.set_after_cursor(20);
  EXPECT_EQ(Drain(**hub.Subscribe(request, [] {})), (std::vector<uint64_t>{30, 40}));
}

TEST_F(EventHubOverAnotherStoreTest, AGroupSharesOnePositionInTheStore) {
  EventHub hub(Store(), Options());
  SubscribeRequest request;
  request.set_group("workers");
  auto first = *hub.Subscribe(request, [] {});
  auto second = *hub.Subscribe(request, [] {});
  for (int i = 0; i < 4; ++i) hub.Publish(Text());
  std::vector<uint64_t> seen = Drain(*first);
  for (uint64_t cursor : Drain(*second)) seen.push_back(cursor);
  EXPECT_EQ(seen, (std::vector<uint64_t>{10, 20, 30, 40}));
}

// A replica's hub mirroring the shared log: events come with cursors that are times
// in µs, with gaps, through Ingest.
class MirrorEventHubTest : public EventHubTest {
 protected:
  EventHub::Options MirrorOptions() {
    EventHub::Options options = Options();
    options.mirror = true;
    return options;
  }
  uint64_t NowMicros() const { return static_cast<uint64_t>(absl::ToUnixMicros(now_)); }
  static EventHub::EventPtr At(uint64_t cursor, bool reply_allowed = false) {
    StreamEvent event = Push("wxa", "text");
    SetCursorOf(event, cursor);
    event.mutable_event()->set_reply_allowed(reply_allowed);
    return std::make_shared<const StreamEvent>(std::move(event));
  }
};

TEST_F(MirrorEventHubTest, IngestedEventsKeepTheirCursorsAndWakeSubscribers) {
  EventHub hub(Store(), MirrorOptions());
  int wakes = 0;
  auto live = *hub.Subscribe(SubscribeRequest(), [&] { ++wakes; });
  EXPECT_TRUE(Drain(*live).empty());
  hub.Ingest({At(5000), At(7000)});
  EXPECT_EQ(wakes, 1);
  hub.Ingest({At(7000), At(9000)});  // 7000 again: read twice from the log, kept once
  EXPECT_EQ(Drain(*live), (std::vector<uint64_t>{5000, 7000, 9000}));
}

TEST_F(MirrorEventHubTest, IngestedEventsAreAmongTheNewestOnce) {
  EventHub hub(Store(), MirrorOptions());
  hub.Ingest({At(5000), At(7000)});
  hub.Ingest({At(7000), At(9000)});
  std::vector<uint64_t> cursors;
  for (const EventHub::EventPtr& event : hub.Latest(10)) cursors.push_back(CursorOf(*event));
  EXPECT_EQ(cursors, (std::vector<uint64_t>{9000, 7000, 5000}));
}

TEST_F(MirrorEventHubTest, LagCountsEventsNotTheGapsBetweenCursors) {
  EventHub hub(Store(), MirrorOptions());  // max_lag 10
  auto slow = *hub.Subscribe(SubscribeRequest(), [] {});
  for (uint64_t i = 1; i <= 10; ++i) hub.Ingest({At(i * 1'000'000)});
  EXPECT_EQ(Drain(*slow).size(), 10u);  // 10 events 9 s apart in cursors: not behind
  for (uint64_t i = 11; i <= 21; ++i) hub.Ingest({At(i * 1'000'000)});
  EXPECT_EQ(slow->Next().status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(MirrorEventHubTest, ACursorUpToNowMayBeAnEventNotReadYet) {
  EventHub hub(Store(), MirrorOptions());
  hub.Ingest({At(NowMicros() - 500)});
  // Another replica stored an event at now - 100 µs and the subscriber saw it there.
  SubscribeRequest request;
  request.set_after_cursor(NowMicros() - 100);
  auto resumed = *hub.Subscribe(request, [] {});
  hub.Ingest({At(NowMicros() - 100), At(NowMicros() + 5)});
  EXPECT_EQ(Drain(*resumed), std::vector<uint64_t>{NowMicros() + 5});
  // A cursor from the future is nobody's.
  request.set_after_cursor(NowMicros() + 60'000'000);
  EXPECT_EQ(hub.Subscribe(request, [] {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MirrorEventHubTest, KnowsWhetherASubscriberAnswersPushes) {
  EventHub hub(Store(), MirrorOptions());
  EXPECT_FALSE(hub.has_repliers());
  SubscribeRequest request;
  request.set_replies(true);
  request.mutable_filter()->add_appids("wxb");
  auto replier = *hub.Subscribe(request, [] {});
  EXPECT_TRUE(hub.has_repliers());
  EXPECT_FALSE(hub.AwaitsReply(*At(1)));  // wxa: not its account
  StreamEvent for_b = *At(1);
  for_b.mutable_event()->set_appid("wxb");
  EXPECT_TRUE(hub.AwaitsReply(for_b));
}

// Groups fed from elsewhere (GroupFeeds), as when they span replicas.
class RecordingFeeds final : public GroupFeeds {
 public:
  class Feed final : public GroupFeed {
   public:
    explicit Feed(RecordingFeeds& feeds) : feeds_(feeds) {}
    ~Feed() override { ++feeds_.closed; }
    void Delivered(uint64_t cursor) override { feeds_.delivered.push_back(cursor); }

   private:
    RecordingFeeds& feeds_;
  };
  std::unique_ptr<GroupFeed> Open(const std::string& group, const SubscribeRequest&,
                                  EventHub&) override {
    opened.push_back(group);
    return std::make_unique<Feed>(*this);
  }
  std::vector<std::string> opened;
  std::vector<uint64_t> delivered;
  int closed = 0;
};

TEST_F(MirrorEventHubTest, AFedGroupGetsItsEventsFromItsFeedNotTheStore) {
  RecordingFeeds feeds;
  EventHub::Options options = MirrorOptions();
  options.group_feeds = &feeds;
  EventHub hub(Store(), options);
  SubscribeRequest request;
  request.set_group("workers");
  int wakes = 0;
  auto first = *hub.Subscribe(request, [&] { ++wakes; });
  auto second = *hub.Subscribe(request, [] {});
  EXPECT_EQ(feeds.opened, std::vector<std::string>{"workers"});  // once per group
  hub.Ingest({At(100)});
  EXPECT_TRUE(Drain(*first).empty()) << "a fed group does not read the store";
  EXPECT_TRUE(hub.FeedGroup("workers", {At(7), At(9)}));
  EXPECT_EQ(wakes, 1);
  absl::StatusOr<EventHub::EventPtr> taken = first->Next();
  ASSERT_TRUE(taken.ok() && *taken != nullptr);
  first->Delivered(*taken);
  EXPECT_EQ(Drain(*second), std::vector<uint64_t>{9});
  EXPECT_EQ(feeds.delivered, std::vector<uint64_t>{7});
  first.reset();
  EXPECT_EQ(feeds.closed, 0);
  second.reset();  // the last member here: the feed stops
  EXPECT_EQ(feeds.closed, 1);
  EXPECT_FALSE(hub.FeedGroup("workers", {At(11)}));
}

}  // namespace
}  // namespace wxgate
