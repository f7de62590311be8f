// Where the EventHub keeps the events it fans out: a log of retained events in
// cursor order. The hub appends each published event and reads subscribers'
// positions from it:
//
//   store.Append(event, now)  -> the event, stored under cursor 1700000000000000
//   store.Append(event, now)  -> ... 1700000000000001
//   store.AtOrAfter(1700000000000001)  -> that second event
//   store.next_cursor()   == 1700000000000002   // greater than every cursor given
//   store.oldest_cursor() == 1700000000000000   // nothing before it can be read
//   store.Evict(now + 25h)                      // retention is, say, 24 h:
//   store.oldest_cursor() == 1700000000000002, store.AtOrAfter(...) == nullptr
//
// Cursors grow with each event; a store may leave gaps between them (the hub
// reads with AtOrAfter and measures a subscriber's lag with CountFrom). What is
// evicted is always the oldest: the retained events are those from
// oldest_cursor() to next_cursor(). How long they are kept (count, age) is the
// store's configuration.
//
// MemoryEventStore is the gateway's, in this process. With several replicas each
// holds a mirror of the shared log on Redis, filled with Insert. The hub owns its store and calls
// it under its own lock, one call at a time: an implementation need not be thread-safe.
#ifndef WXGATE_SERVICE_EVENTS_EVENT_STORE_H_
#define WXGATE_SERVICE_EVENTS_EVENT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "service/events/stream_event.h"

namespace wxgate {

class EventStore {
 public:
  using EventPtr = StreamEventPtr;

  virtual ~EventStore() = default;

  // Stores `event` under the next cursor (written into the event), then evicts
  // what the retention no longer allows at `now`. Returns the stored event.
  virtual EventPtr Append(StreamEvent event, absl::Time now) = 0;
  // Stores `event`, which has its cursor already (a mirror of a shared log), then
  // evicts like Append. False, and nothing stored, when the cursor is below
  // next_cursor(): the event was stored before.
  virtual bool Insert(EventPtr event, absl::Time now) = 0;
  // Evicts what the retention no longer allows at `now`.
  virtual void Evict(absl::Time now) = 0;

  // The retained event at `cursor`, else the first one after it; nullptr when there
  // is none.
  virtual EventPtr AtOrAfter(uint64_t cursor) const = 0;
  // How many retained events have a cursor at or after `cursor`.
  virtual size_t CountFrom(uint64_t cursor) const = 0;
  // Greater than every cursor given so far: what "the newest" is compared with.
  virtual uint64_t next_cursor() const = 0;
  // Every event before this cursor is gone; none from it on was evicted
  // (next_cursor() when the store holds nothing).
  virtual uint64_t oldest_cursor() const = 0;

  // What the store keeps, for messages about lost events: "the last 10000 events
  // for 24h, from cursor 1700000000000000 on".
  virtual std::string DescribeRetention() const = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_EVENT_STORE_H_
