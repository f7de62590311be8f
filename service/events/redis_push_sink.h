// RedisPushSink: keeps pushes in the event log that replicas share (RedisEventLog).
// A push is kept once for the whole cluster, whichever replica WeChat's retries
// reach; it reaches this replica's subscribers, like everyone else's, through the
// tail that mirrors the log into the hub. When Redis cannot be reached the push is
// not kept (UNAVAILABLE), and WeChat retries it.
//
//   RedisPushSink sink(log, hub);
//   sink.Keep(std::move(event), absl::Seconds(3), done);   // done on Redis's thread
//
// Does not own `log` or `hub`, which must outlive the sink and its callbacks.
#ifndef WXGATE_SERVICE_EVENTS_REDIS_PUSH_SINK_H_
#define WXGATE_SERVICE_EVENTS_REDIS_PUSH_SINK_H_

#include <functional>

#include "absl/time/clock.h"
#include "service/events/event_hub.h"
#include "service/events/push_sink.h"
#include "service/events/redis_event_log.h"

namespace wxgate {

class RedisPushSink final : public PushSink {
 public:
  RedisPushSink(RedisEventLog& log, const EventHub& hub,
                std::function<absl::Time()> now = absl::Now)
      : log_(log), hub_(hub), now_(std::move(now)) {}

  void Keep(StreamEvent event, absl::Duration reply_window, Done done) override;

 private:
  RedisEventLog& log_;
  const EventHub& hub_;
  const std::function<absl::Time()> now_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_REDIS_PUSH_SINK_H_
