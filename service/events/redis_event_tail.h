// RedisEventTail: follows the shared event log (RedisEventLog) and hands every event
// any replica appends to `deliver`, in cursor order, each once:
//
//   RedisEventTail tail(redis_options, log.stream_key(), /*after=*/0,
//                       [&](std::vector<EventPtr> events) { hub.Ingest(events); });
//
// `after` 0 starts from the oldest retained event. It reads with XREAD BLOCK on a
// RedisPoller, for at most `block` at a time, which must stay under the
// connection's command_timeout. When Redis cannot be reached it waits and reads
// again after the last cursor it delivered: nothing is skipped or repeated.
// WaitCaughtUp tells when it has read what the log held at the start.
// `deliver` runs on the tail's own thread, one batch at a time; it must not block
// for long. Destroying the tail stops it; `deliver` does not run after the
// destructor returns.
#ifndef WXGATE_SERVICE_EVENTS_REDIS_EVENT_TAIL_H_
#define WXGATE_SERVICE_EVENTS_REDIS_EVENT_TAIL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "service/events/redis_event_log.h"
#include "service/redis/redis_client.h"
#include "service/redis/redis_poller.h"

namespace wxgate {

class RedisEventTail {
 public:
  using Deliver = std::function<void(std::vector<RedisEventLog::EventPtr>)>;

  RedisEventTail(RedisOptions redis, std::string stream_key, uint64_t after, Deliver deliver,
                 absl::Duration block = absl::Milliseconds(500));
  // Waits until a read found no more than the newest events, or `timeout` passes
  // (false). For start-up, before serving subscribers.
  bool WaitCaughtUp(absl::Duration timeout) {
    return caught_up_.WaitForNotificationWithTimeout(timeout);
  }

  RedisEventTail(const RedisEventTail&) = delete;
  RedisEventTail& operator=(const RedisEventTail&) = delete;

 private:
  absl::Status Take(const RedisReply& answer);

  const Deliver deliver_;
  uint64_t after_;  // touched only on the poller's thread
  absl::Notification caught_up_;
  RedisPoller poller_;  // last: destroyed first, ending its callbacks
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_REDIS_EVENT_TAIL_H_
