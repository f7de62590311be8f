// RedisEventLog: the event log that replicas share, on one Redis stream. Each push is
// appended once for the whole cluster, under a cursor that every replica sees the
// same, and WeChat's retries of it are recognised whichever replica they reach:
//
//   RedisEventLog log(redis, {.key_prefix = "wxgate:", .max_events = 10000,
//                             .max_age = absl::Hours(24), .dedup_window = absl::Minutes(6)});
//   log.Append(PushIdentity(event), event, now, [](absl::StatusOr<Appended> a) {
//     // a->cursor: where the event is; a->duplicate: a retry of a push the cluster
//     // already keeps (a->cursor is then the first one's). An error: not stored.
//   });
//   log.ReadAfter(cursor, 100, [](absl::StatusOr<std::vector<EventPtr>> events) { … });
//
// Keys, under the prefix: <prefix>events (the stream; entry ID "<cursor>-0", field
// "e" the serialized Event without its cursor) and <prefix>push:<identity> (the
// cursor of a push, kept for the dedup window). Append is one Lua script: the dedup
// check, the cursor (max(now in µs, last + 1), so cursors only grow and stay close
// to the time), XADD, and trimming by count (MAXLEN) and age (MINID) happen at once.
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
#include "service/redis/redis_client.h"
#include "wechat/mp/v1/events.pb.h"

namespace wxgate {

class RedisEventLog {
 public:
  using EventPtr = std::shared_ptr<const wechat::mp::v1::Event>;

  struct Options {
    std::string key_prefix = "wxgate:";
    uint32_t max_events = 10000;
    absl::Duration max_age = absl::Hours(24);
    absl::Duration dedup_window = absl::Minutes(6);
  };
  struct Appended {
    uint64_t cursor = 0;
    bool duplicate = false;
  };
  using AppendDone = absl::AnyInvocable<void(absl::StatusOr<Appended>) &&>;
  using ReadDone = absl::AnyInvocable<void(absl::StatusOr<std::vector<EventPtr>>) &&>;

  RedisEventLog(RedisClient& redis, Options options);

  // Appends `event` unless `identity` (PushIdentity) was appended within the dedup
  // window; an empty identity is never a duplicate.
  void Append(const std::string& identity, const wechat::mp::v1::Event& event, absl::Time now,
              AppendDone done);
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
