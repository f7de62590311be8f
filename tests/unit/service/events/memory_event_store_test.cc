#include "service/events/memory_event_store.h"

#include <gtest/gtest.h>

#include <vector>

namespace wxgate {
namespace {

using wechat::mp::v1::Event;

Event Text(const std::string& content) {
  Event event;
  event.set_msg_type("text");
  event.mutable_text()->set_content(content);
  return event;
}

// The cursors AtOrAfter reads from `from` on, in order.
std::vector<uint64_t> ReadFrom(const EventStore& store, uint64_t from) {
  std::vector<uint64_t> cursors;
  for (auto event = store.AtOrAfter(from); event != nullptr;
       event = store.AtOrAfter(event->cursor() + 1)) {
    cursors.push_back(event->cursor());
  }
  return cursors;
}

class MemoryEventStoreTest : public ::testing::Test {
 protected:
  const absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(MemoryEventStoreTest, AnEmptyStoreStartsAtTheFirstCursor) {
  MemoryEventStore store({}, 100);
  EXPECT_EQ(store.oldest_cursor(), 100u);
  EXPECT_EQ(store.next_cursor(), 100u);
  EXPECT_EQ(store.AtOrAfter(0), nullptr);
  EXPECT_EQ(store.AtOrAfter(100), nullptr);
}

TEST_F(MemoryEventStoreTest, CursorsGrowByOneAndAreWrittenIntoTheEvent) {
  MemoryEventStore store({}, 100);
  EventStore::EventPtr first = store.Append(Text("a"), now_);
  EventStore::EventPtr second = store.Append(Text("b"), now_);
  EXPECT_EQ(first->cursor(), 100u);
  EXPECT_EQ(second->cursor(), 101u);
  EXPECT_EQ(second->text().content(), "b");
  EXPECT_EQ(store.next_cursor(), 102u);
  EXPECT_EQ(store.oldest_cursor(), 100u);
  // Stored once: readers share the appended event.
  EXPECT_EQ(store.AtOrAfter(100), first);
  EXPECT_EQ(store.AtOrAfter(101), second);
  EXPECT_EQ(store.AtOrAfter(102), nullptr);
}

TEST_F(MemoryEventStoreTest, KeepsTheNewestMaxEvents) {
  MemoryEventStore store({.max_events = 2, .max_age = absl::Hours(1)}, 100);
  for (const char* content : {"a", "b", "c"}) store.Append(Text(content), now_);
  EXPECT_EQ(store.oldest_cursor(), 101u);
  EXPECT_EQ(store.next_cursor(), 103u);
  // Reading from an evicted cursor starts at the oldest retained event.
  EXPECT_EQ(ReadFrom(store, 100), (std::vector<uint64_t>{101, 102}));
  EXPECT_EQ(store.AtOrAfter(0)->text().content(), "b");
}

TEST_F(MemoryEventStoreTest, EvictsEventsOlderThanMaxAge) {
  MemoryEventStore store({.max_events = 100, .max_age = absl::Hours(1)}, 100);
  store.Append(Text("old"), now_);
  store.Append(Text("newer"), now_ + absl::Minutes(30));
  store.Evict(now_ + absl::Hours(1));  // exactly max_age: still kept
  EXPECT_EQ(store.oldest_cursor(), 100u);
  store.Evict(now_ + absl::Hours(1) + absl::Seconds(1));
  EXPECT_EQ(ReadFrom(store, 0), std::vector<uint64_t>{101});
  // Appending evicts by age too.
  store.Append(Text("newest"), now_ + absl::Hours(2));
  EXPECT_EQ(ReadFrom(store, 0), std::vector<uint64_t>{102});
  store.Evict(now_ + absl::Hours(4));
  EXPECT_EQ(store.oldest_cursor(), store.next_cursor());
  EXPECT_EQ(store.next_cursor(), 103u);
  EXPECT_EQ(store.AtOrAfter(0), nullptr);
}

TEST_F(MemoryEventStoreTest, DescribesItsRetention) {
  MemoryEventStore store({.max_events = 3, .max_age = absl::Hours(24)}, 1000);
  EXPECT_EQ(store.DescribeRetention(), "the last 3 events for 24h, from cursor 1000 on");
}

TEST_F(MemoryEventStoreTest, InsertedEventsKeepTheirCursorsWithGaps) {
  MemoryEventStore store({.max_events = 2, .max_age = absl::Hours(1)}, 100);
  auto at = [](uint64_t cursor) {
    wechat::mp::v1::Event event = Text("x");
    event.set_cursor(cursor);
    return std::make_shared<const wechat::mp::v1::Event>(std::move(event));
  };
  EXPECT_TRUE(store.Insert(at(500), now_));
  EXPECT_TRUE(store.Insert(at(900), now_));
  EXPECT_FALSE(store.Insert(at(900), now_));  // stored before
  EXPECT_FALSE(store.Insert(at(700), now_));  // older than the newest
  EXPECT_EQ(ReadFrom(store, 0), (std::vector<uint64_t>{500, 900}));
  EXPECT_EQ(store.AtOrAfter(501)->cursor(), 900u);
  EXPECT_EQ(store.CountFrom(501), 1u);
  EXPECT_EQ(store.CountFrom(0), 2u);
  EXPECT_EQ(store.next_cursor(), 901u);
  // Appending goes on after the newest inserted cursor; 500 is evicted (max 2).
  EXPECT_EQ(store.Append(Text("y"), now_)->cursor(), 901u);
  EXPECT_EQ(store.oldest_cursor(), 501u);
  EXPECT_EQ(ReadFrom(store, 0), (std::vector<uint64_t>{900, 901}));
}

}  // namespace
}  // namespace wxgate
