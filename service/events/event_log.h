// The retained events of the gateway, in cursor order, bounded by count and age.
// Cursors grow by one per event from `first_cursor`; the gateway starts them at the
// Unix time in microseconds, so cursors also grow across restarts.
//
//   EventLog log({.max_events = 2, .max_age = absl::Hours(1)}, /*first_cursor=*/100);
//   log.Append(a, now);  // cursor 100
//   log.Append(b, now);  // cursor 101
//   log.Append(c, now);  // cursor 102; a is evicted: oldest() == 101, At(100) == nullptr
//
// Not thread-safe: EventHub serialises access.
#ifndef WXGATE_SERVICE_EVENTS_EVENT_LOG_H_
#define WXGATE_SERVICE_EVENTS_EVENT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "absl/time/time.h"
#include "wechat/mp/v1/events.pb.h"

namespace wxgate {

class EventLog {
 public:
  struct Limits {
    size_t max_events = 10000;
    absl::Duration max_age = absl::Hours(24);
  };

  EventLog(Limits limits, uint64_t first_cursor);

  // Stores `event` under the next cursor (written into the event) and evicts what
  // now exceeds the limits.
  std::shared_ptr<const wechat::mp::v1::Event> Append(wechat::mp::v1::Event event, absl::Time now);
  // Drops events older than max_age.
  void Evict(absl::Time now);

  // The event at `cursor`, or nullptr when it was evicted or not yet written.
  std::shared_ptr<const wechat::mp::v1::Event> At(uint64_t cursor) const;
  // The cursor the next event will get.
  uint64_t next_cursor() const { return oldest_ + entries_.size(); }
  // The cursor of the oldest retained event (next_cursor() when empty).
  uint64_t oldest_cursor() const { return oldest_; }
  const Limits& limits() const { return limits_; }

 private:
  struct Entry {
    absl::Time appended;
    std::shared_ptr<const wechat::mp::v1::Event> event;
  };

  const Limits limits_;
  uint64_t oldest_;
  std::deque<Entry> entries_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_EVENT_LOG_H_
