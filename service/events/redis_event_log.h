// RedisEventLog: the event log that replicas share, on one Redis stream. Each push is
// appended once for the whole cluster, under a cursor that every replica sees the
// same, and WeChat's retries of it are recognised whichever replica they reach:
//
//   RedisEventLog log(redis, {.key_prefix = "wxgate:", .max_events = 10000,
//                             .max_age = absl::Hours(24), .dedup_window = absl::Minutes(6)});
//   log.Append(PushIdentity(event), event, /*reply_wait=*/absl::Seconds(3),
//              /*replier_here=*/false, now, [](absl::StatusOr<Appended> a) {
//     // a->cursor: where the event is; a->duplicate: a retry of a push the cluster
//     // already keeps (a->cursor is then the first one's). An error: not stored.
//   });
//   log.ReadAfter(cursor, 100, [](absl::StatusOr<std::vector<EventPtr>> events) { … });
//
// Keys, under the prefix: <prefix>events (the stream; entry ID "<cursor>-0", one
// field without the cursor: "e" a serialized wechat.mp.v1.Event, or "c" a
// wechat.open.v1.ComponentEvent) and <prefix>push:<identity> (the
// cursor of a push, kept for the dedup window). Append is one Lua script: the dedup
// check, the cursor (max(now in µs, last + 1), so cursors only grow and stay close
// to the time), XADD, and trimming by count (MAXLEN) and age (MINID) happen at once.
// For a push WeChat holds open for a passive reply it also writes
// <prefix>reply:<event id> = this replica, for `reply_wait` (RedisReplyRelay), when
// some replica has a subscriber that answers pushes (<prefix>repliers, or
// `replier_here`), and tells whether one has.
// Callbacks run on the Redis client's thread; while Redis cannot be reached they
// fail at once (UNAVAILABLE), and an event that was not stored is never reported as
// appended. Does not own `redis`, which must outlive the log and its callbacks.
#ifndef WXGATE_SERVICE_EVENTS_REDIS_EVENT_LOG_H_
#define WXGATE_SERVICE_EVENTS_REDIS_EVENT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/events/stream_event.h"
#include "service/redis/redis_client.h"

namespace wxgate {

// <prefix>reply:<event id>: the replica that holds a push waiting for a reply.
std::string ReplyWaitKey(absl::string_view key_prefix, absl::string_view event_id);
// <prefix>repliers: replicas with a subscriber that answers pushes, scored by when
// that stops being true unless renewed (ms since 1970).
std::string RepliersKey(absl::string_view key_prefix);

class RedisEventLog {
 public:
  using EventPtr = StreamEventPtr;

  struct Options {
    std::string key_prefix = "wxgate:";
    std::string replica;  // this process, which holds the pushes it appends
    uint32_t max_events = 10000;
    absl::Duration max_age = absl::Hours(24);
    absl::Duration dedup_window = absl::Minutes(6);
  };
  struct Appended {
    uint64_t cursor = 0;
    bool duplicate = false;
    // Some replica has a live subscriber that answers pushes (RedisReplyRelay).
    bool repliers = false;
  };
  using AppendDone = absl::AnyInvocable<void(absl::StatusOr<Appended>) &&>;
  using ReadDone = absl::AnyInvocable<void(absl::StatusOr<std::vector<EventPtr>>) &&>;

  RedisEventLog(RedisClient& redis, Options options);

  // Appends `event` unless `identity` (PushIdentity) was appended within the dedup
  // window; an empty identity is never a duplicate. `reply_wait` > 0: this replica
  // holds WeChat's request that long for a passive reply to the event (its id);
  // `replier_here`: a subscriber on this replica answers such pushes.
  void Append(const std::string& identity, const StreamEvent& event, absl::Duration reply_wait,
              bool replier_here, absl::Time now, AppendDone done);
  // Up to `limit` retained events after `cursor`, oldest first, with their cursors.
  void ReadAfter(uint64_t cursor, int limit, ReadDone done);

  const std::string& stream_key() const { return stream_key_; }

  // Decodes the entries of an XRANGE or XREAD answer ([[id, [field, value, …]], …]).
  static absl::StatusOr<std::vector<EventPtr>> EventsOf(const RedisReply& entries);

 private:
  RedisClient& redis_;
  const Options options_;
  const std::string stream_key_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_REDIS_EVENT_LOG_H_
