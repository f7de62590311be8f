#include "service/events/push_sink.h"

#include <utility>

namespace wxgate {

void LocalPushSink::Keep(StreamEvent event, absl::Duration /*reply_window*/, Done done) {
  if (!dedup_.FirstSighting(PushIdentity(event))) return std::move(done)(Kept{.duplicate = true});
  const EventHub::Published published = hub_.Publish(std::move(event));
  std::move(done)(Kept{.awaits_reply = published.awaits_reply});
}

}  // namespace wxgate
