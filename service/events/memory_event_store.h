// The EventStore in this process's memory: the retained events in cursor order,
// bounded by count, bytes and age. Appended events get cursors that grow by one from
// `first_cursor`; the gateway starts them at the Unix time in microseconds, so
// cursors also grow across restarts. Inserted events (a mirror of the log that
// replicas share) keep their own cursors, gaps and all; a mirror starts at the
// shared log's oldest retained cursor (0 for an empty log).
//
//   MemoryEventStore store({.max_events = 2, .max_age = absl::Hours(1)}, /*first_cursor=*/100);
//   store.Append(a, now);  // cursor 100
//   store.Append(b, now);  // cursor 101
//   store.Append(c, now);  // cursor 102; a is evicted: oldest_cursor() == 101
//   store.AtOrAfter(100) -> b, store.AtOrAfter(102) -> c, store.AtOrAfter(103) -> nullptr
//   store.Evict(now + absl::Minutes(61));  // b and c are too old: oldest_cursor() == 103
//   store.Insert(d_with_cursor_500, now);  // AtOrAfter(103) -> d, next_cursor() == 501
//
// Holds the events it is given (shared with the readers it returns them to). Not
// thread-safe: EventHub serialises access.
#ifndef WXGATE_SERVICE_EVENTS_MEMORY_EVENT_STORE_H_
#define WXGATE_SERVICE_EVENTS_MEMORY_EVENT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "absl/time/time.h"
#include "service/events/event_store.h"
#include "wechat/mp/v1/events.pb.h"

namespace wxgate {

class MemoryEventStore final : public EventStore {
 public:
  struct Limits {
    size_t max_events = 10000;
    // What the retained events may cost together (RetainedBytesOf: each event with
    // its wire bytes); the newest event is kept whatever its size.
    size_t max_bytes = 64 << 20;
    absl::Duration max_age = absl::Hours(24);
  };

  MemoryEventStore(Limits limits, uint64_t first_cursor);

  EventPtr Append(StreamEvent event, absl::Time now) override;
  bool Insert(EventPtr event, absl::Time now) override;
  void Evict(absl::Time now) override;  // drops events older than max_age

  EventPtr AtOrAfter(uint64_t cursor) const override;
  size_t CountFrom(uint64_t cursor) const override;
  uint64_t next_cursor() const override { return next_; }
  uint64_t oldest_cursor() const override { return oldest_; }
  std::string DescribeRetention() const override;

  // The retained events' cost, as counted against max_bytes.
  size_t retained_bytes() const { return bytes_; }

 private:
  struct Entry {
    absl::Time appended;
    EventPtr event;
    size_t bytes;  // RetainedBytesOf the event
  };

  // The first entry whose cursor is at or after `cursor`.
  std::deque<Entry>::const_iterator FirstFrom(uint64_t cursor) const;
  void DropOldest();

  const Limits limits_;
  const uint64_t first_cursor_;
  uint64_t oldest_;            // one past the newest evicted cursor
  uint64_t next_;              // one past the newest stored cursor
  size_t bytes_ = 0;           // of the entries
  std::deque<Entry> entries_;  // in cursor order
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_MEMORY_EVENT_STORE_H_
