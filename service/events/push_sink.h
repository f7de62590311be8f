// PushSink: where the push handler keeps a push before it answers WeChat. Keeping
// is deduplicating WeChat's retries, storing the event and making it reach the
// subscribers; WeChat hears "success" only for a push that was kept:
//
//   sink.Keep(std::move(event), /*reply_window=*/absl::Seconds(3),
//             [](absl::StatusOr<PushSink::Kept> kept) {
//     // error: not kept (answer an error, WeChat retries); kept->duplicate: a retry
//     // of a push kept before; kept->awaits_reply: someone may reply within the window
//   });
//
// LocalPushSink is the embedded default: this process's dedup and hub. With
// several replicas, RedisPushSink keeps pushes in the log they share.
#ifndef WXGATE_SERVICE_EVENTS_PUSH_SINK_H_
#define WXGATE_SERVICE_EVENTS_PUSH_SINK_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/events/event_hub.h"
#include "service/events/push_dedup.h"
#include "service/events/stream_event.h"

namespace wxgate {

class PushSink {
 public:
  struct Kept {
    bool duplicate = false;     // a retry of a push kept before: not published again
    bool awaits_reply = false;  // a subscriber that answers pushes may reply to it
  };
  using Done = absl::AnyInvocable<void(absl::StatusOr<Kept>) &&>;

  virtual ~PushSink() = default;

  // Keeps `event` and calls `done` exactly once, on any thread (maybe before
  // returning). `reply_window` > 0: WeChat's request is held that long for a
  // passive reply to the event (its id).
  virtual void Keep(StreamEvent event, absl::Duration reply_window, Done done) = 0;
};

// The embedded default: dedup and hub in this process. Never fails.
class LocalPushSink final : public PushSink {
 public:
  // Keeps references: the caller keeps `hub` and `dedup` alive.
  LocalPushSink(EventHub& hub, PushDedup& dedup) : hub_(hub), dedup_(dedup) {}

  void Keep(StreamEvent event, absl::Duration reply_window, Done done) override;

 private:
  EventHub& hub_;
  PushDedup& dedup_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_PUSH_SINK_H_
