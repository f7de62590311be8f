// RedisEventTail: follows the shared event log (RedisEventLog) and hands every event
// any replica appends to `deliver`, in cursor order, each once:
//
//   RedisEventTail tail(redis_options, log.stream_key(), /*after=*/0,
//                       [&](std::vector<EventPtr> events) { hub.Ingest(events); });
//
// `after` 0 starts from the oldest retained event. It reads with XREAD BLOCK on a
// connection of its own (a blocking read holds its connection), for at most `block`
// at a time, which must stay under the connection's command_timeout. When Redis
// cannot be reached it logs, waits (100 ms doubling to 2 s) and reads again after
// the last cursor it delivered: nothing is skipped or repeated. `deliver` runs on
// the tail's own thread, one batch at a time; it must not block for long.
// Destroying the tail stops it; `deliver` does not run after the destructor returns.
#ifndef WXGATE_SERVICE_EVENTS_REDIS_EVENT_TAIL_H_
#define WXGATE_SERVICE_EVENTS_REDIS_EVENT_TAIL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "service/events/redis_event_log.h"
#include "service/redis/redis_client.h"

namespace wxgate {

class RedisEventTail {
 public:
  using Deliver = std::function<void(std::vector<RedisEventLog::EventPtr>)>;

  RedisEventTail(RedisOptions redis, std::string stream_key, uint64_t after, Deliver deliver,
                 absl::Duration block = absl::Milliseconds(500));
  ~RedisEventTail();
  RedisEventTail(const RedisEventTail&) = delete;
  RedisEventTail& operator=(const RedisEventTail&) = delete;

 private:
  void Read();
  void RetryLater();

  const std::string stream_key_;
  const Deliver deliver_;
  const absl::Duration block_;
  // Touched only on the client's thread.
  uint64_t after_;
  absl::Duration backoff_ = absl::Milliseconds(100);
  std::atomic<bool> stopping_{false};
  std::unique_ptr<RedisClient> redis_;  // last: destroyed first, ending its callbacks
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_REDIS_EVENT_TAIL_H_
