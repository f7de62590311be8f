#include "service/events/memory_event_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/events/stream_event_wire.h"

namespace wxgate {
namespace {

StreamEvent Text(const std::string& content) {
  StreamEvent event;
  event.mutable_event()->set_msg_type("text");
  event.mutable_event()->mutable_text()->set_content(content);
  return event;
}

StreamEvent ComponentPush(const std::string& info_type) {
  StreamEvent event;
  event.mutable_component_event()->set_info_type(info_type);
  return event;
}

// The cursors AtOrAfter reads from `from` on, in order.
std::vector<uint64_t> ReadFrom(const EventStore& store, uint64_t from) {
  std::vector<uint64_t> cursors;
  for (auto event = store.AtOrAfter(from); event != nullptr;
       event = store.AtOrAfter(CursorOf(*event) + 1)) {
    cursors.push_back(CursorOf(*event));
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
  EXPECT_EQ(first->event().cursor(), 100u);
  EXPECT_EQ(second->event().cursor(), 101u);
  EXPECT_EQ(second->event().text().content(), "b");
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
  EXPECT_EQ(store.AtOrAfter(0)->event().text().content(), "b");
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

TEST_F(MemoryEventStoreTest, KeepsTheNewestWithinMaxBytes) {
  StreamEvent stored = Text(std::string(1000, 'x'));
  SetCursorOf(stored, 100);  // as the store charges it: with its cursor
  const size_t each = RetainedBytesOf(stored);
  MemoryEventStore store({.max_events = 100, .max_bytes = 3 * each, .max_age = absl::Hours(1)},
                         100);
  for (int i = 0; i < 5; ++i) store.Append(Text(std::string(1000, 'x')), now_);
  EXPECT_EQ(ReadFrom(store, 0), (std::vector<uint64_t>{102, 103, 104}));
  EXPECT_EQ(store.retained_bytes(), 3 * each);
  // Evicting by count or age gives their bytes back.
  store.Evict(now_ + absl::Hours(2));
  EXPECT_EQ(store.retained_bytes(), 0u);
}

TEST_F(MemoryEventStoreTest, KeepsTheNewestEventWhateverItsSize) {
  MemoryEventStore store({.max_events = 100, .max_bytes = 10, .max_age = absl::Hours(1)}, 100);
  store.Append(Text("a"), now_);
  store.Append(Text(std::string(1 << 16, 'b')), now_);
  EXPECT_EQ(ReadFrom(store, 0), std::vector<uint64_t>{101});
}

TEST_F(MemoryEventStoreTest, DescribesItsRetention) {
  MemoryEventStore store({.max_events = 3, .max_age = absl::Hours(24)}, 1000);
  EXPECT_EQ(store.DescribeRetention(), "the last 3 events for 24h, from cursor 1000 on");
}

TEST_F(MemoryEventStoreTest, ComponentPushesShareTheAccountsCursors) {
  MemoryEventStore store({}, 100);
  store.Append(Text("a"), now_);
  EventStore::EventPtr component = store.Append(ComponentPush("authorized"), now_);
  store.Append(Text("b"), now_);
  EXPECT_EQ(component->component_event().cursor(), 101u);
  EXPECT_FALSE(component->has_event());
  EXPECT_EQ(ReadFrom(store, 0), (std::vector<uint64_t>{100, 101, 102}));
}

TEST_F(MemoryEventStoreTest, InsertedEventsKeepTheirCursorsWithGaps) {
  MemoryEventStore store({.max_events = 2, .max_age = absl::Hours(1)}, 100);
  auto at = [](uint64_t cursor) {
    StreamEvent event = Text("x");
    SetCursorOf(event, cursor);
    return std::make_shared<const StreamEvent>(std::move(event));
  };
  EXPECT_TRUE(store.Insert(at(500), now_));
  EXPECT_TRUE(store.Insert(at(900), now_));
  EXPECT_FALSE(store.Insert(at(900), now_));  // stored before
  EXPECT_FALSE(store.Insert(at(700), now_));  // older than the newest
  EXPECT_EQ(ReadFrom(store, 0), (std::vector<uint64_t>{500, 900}));
  EXPECT_EQ(CursorOf(*store.AtOrAfter(501)), 900u);
  EXPECT_EQ(store.CountFrom(501), 1u);
  EXPECT_EQ(store.CountFrom(0), 2u);
  EXPECT_EQ(store.next_cursor(), 901u);
  // Appending goes on after the newest inserted cursor; 500 is evicted (max 2).
  EXPECT_EQ(CursorOf(*store.Append(Text("y"), now_)), 901u);
  EXPECT_EQ(store.oldest_cursor(), 501u);
  EXPECT_EQ(ReadFrom(store, 0), (std::vector<uint64_t>{900, 901}));
}

}  // namespace
}  // namespace wxgate
