#include "service/events/redis_push_sink.h"

#include <algorithm>
#include <utility>

#include "service/events/push_dedup.h"

namespace wxgate {
namespace {

constexpr absl::Duration kForwardMargin = absl::Milliseconds(100);

}  // namespace

void RedisPushSink::Keep(StreamEvent event, absl::Duration reply_window, Done done) {
  // A subscriber here counts at once; one elsewhere once its replica's heartbeat says so.
  const bool replier_here = hub_.AwaitsReply(event);
  // The wait ends in Redis a little before this replica answers WeChat, so that a
  // reply forwarded at the last moment is not lost on its way.
  const absl::Duration reply_wait = reply_window - std::min(kForwardMargin, reply_window / 2);
  log_.Append(PushIdentity(event), event, reply_wait, replier_here, now_(),
              [replier_here,
               done = std::move(done)](absl::StatusOr<RedisEventLog::Appended> appended) mutable {
                if (!appended.ok()) return std::move(done)(appended.status());
                std::move(done)(Kept{.duplicate = appended->duplicate,
                                     .awaits_reply = replier_here || appended->repliers});
              });
}

}  // namespace wxgate
