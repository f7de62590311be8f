#include "service/server/shared_state.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "service/events/memory_event_store.h"
#include "service/events/redis_group_feeds.h"
#include "service/events/redis_push_sink.h"
#include "service/observe/log.h"
#include "service/token/memory_token_store.h"
#include "service/token/redis_token_store.h"

namespace wxgate {
namespace {

std::string ReplicaName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  // The random part tells apart two processes that reuse a host name and pid (a
  // restarted container).
  return absl::StrFormat("%s/%d/%08x", host, getpid(), std::random_device{}());
}

// hiredis takes the host without brackets.
RedisOptions RedisOptionsOf(const config::v1::Redis& redis, const std::string& password) {
  const std::string& address = redis.address();  // host:port or [v6]:port, validated
  const size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  int port = 0;
  (void)absl::SimpleAtoi(address.substr(colon + 1), &port);
  return {.host = host,
          .port = port,
          .password = password,
          .db = static_cast<int>(redis.db()),
          .connect_timeout = config::ToDuration(redis.connect_timeout()),
          .command_timeout = config::ToDuration(redis.command_timeout())};
}

MemoryEventStore::Limits RetentionOf(const config::v1::Events& events) {
  return {.max_events = events.retention_count(),
          // 0: a config not filled in by the loader (tests build their own).
          .max_bytes = events.retention_bytes() != 0 ? events.retention_bytes()
                                                     : config::kDefaultRetentionBytes,
          .max_age = config::ToDuration(events.retention_age())};
}

// The cursor of the oldest event the shared log retains, where a replica's mirror
// starts: nothing before it can be read; 0 when the log is empty. Nothing when Redis
// did not answer within `wait` (then a cursor older than the log is not recognised
// as lost).
std::optional<uint64_t> OldestRetainedCursor(RedisClient& redis, const std::string& stream_key,
                                             absl::Duration wait) {
  absl::StatusOr<std::vector<RedisEventLog::EventPtr>> first =
      absl::UnavailableError("Redis did not answer");
  if (redis.WaitReady(wait)) {
    absl::Notification answered;
    redis.Command({"XRANGE", stream_key, "-", "+", "COUNT", "1"},
                  [&](absl::StatusOr<RedisReply> reply) {
                    first = reply.ok() ? RedisEventLog::EventsOf(*reply) : reply.status();
                    answered.Notify();
                  });
    answered.WaitForNotification();  // the client answers every command
  }
  if (!first.ok()) {
    Log(LogLevel::kWarning, "event_log_not_read",
        {{"redis", redis.address()},
         {"problem", first.status().message()},
         {"effect", "subscribers get the retained events as the tail reads them"}});
    return std::nullopt;
  }
  return first->empty() ? 0 : CursorOf(*first->front());
}

// The events of a replica among several: a hub that mirrors the log on Redis, the
// sink that appends to it, the tail that reads it and the relay of replies.
void ShareEvents(const config::v1::Config& config, const RedisOptions& redis, SharedState& state) {
  const config::v1::Events& events = config.events();
  const std::string& key_prefix = config.store().redis().key_prefix();
  state.event_log = std::make_unique<RedisEventLog>(
      *state.redis,
      RedisEventLog::Options{.key_prefix = key_prefix,
                             .replica = state.replica,
                             .max_events = events.retention_count(),
                             .max_age = config::ToDuration(events.retention_age()),
                             .dedup_window = config::ToDuration(events.dedup_window())});
  const absl::Duration wait = redis.connect_timeout + 3 * redis.command_timeout;
  // A blocking read must end before the connection's command timeout.
  const absl::Duration block = std::min(absl::Milliseconds(500), redis.command_timeout / 2);
  state.group_feeds = std::make_unique<RedisGroupFeeds>(
      *state.redis, redis,
      RedisGroupFeeds::Options{.stream_key = state.event_log->stream_key(),
                               .consumer = state.replica,
                               .claim_after = config::ToDuration(events.group_claim_after()),
                               .block = block});
  const std::optional<uint64_t> oldest =
      OldestRetainedCursor(*state.redis, state.event_log->stream_key(), wait);
  state.hub = std::make_unique<EventHub>(
      std::make_unique<MemoryEventStore>(RetentionOf(events), oldest.value_or(0)),
      EventHub::Options{.max_lag = events.max_lag(),
                        .mirror = true,
                        .group_feeds = state.group_feeds.get(),
                        .wake_thread = true});
  state.pushes = std::make_unique<RedisPushSink>(*state.event_log, *state.hub);
  state.replies = std::make_unique<RedisReplyRelay>(
      *state.redis, redis,
      RedisReplyRelay::Options{.key_prefix = key_prefix, .replica = state.replica, .block = block},
      *state.broker, [hub = state.hub.get()] { return hub->has_repliers(); });
  state.tail = std::make_unique<RedisEventTail>(
      redis, state.event_log->stream_key(), /*after=*/0,
      [hub = state.hub.get(),
       replies = state.replies.get()](std::vector<RedisEventLog::EventPtr> events) {
        replies->Remember(events);
        hub->Ingest(events);
      },
      block);
  // Unreachable at the start: said once above, and not waited for twice.
  if (oldest.has_value() && !state.tail->WaitCaughtUp(wait)) {
    Log(LogLevel::kWarning, "event_log_not_read",
        {{"redis", state.redis->address()},
         {"waited", absl::FormatDuration(wait)},
         {"effect", "subscribers get the retained events as the tail reads them"}});
  }
}

}  // namespace

SharedState SharedState::From(const config::LoadedConfig& loaded) {
  SharedState state;
  state.replica = ReplicaName();
  state.broker = std::make_unique<ReplyBroker>();
  const config::v1::Config& config = loaded.config;
  if (config.store().has_redis()) {
    const RedisOptions redis = RedisOptionsOf(config.store().redis(), loaded.redis_password);
    state.redis = std::make_unique<RedisClient>(redis);
    state.tokens =
        std::make_unique<RedisTokenStore>(*state.redis, config.store().redis().key_prefix());
    ShareEvents(config, redis, state);
    Log(LogLevel::kInfo, "shared_store",
        {{"redis", state.redis->address()}, {"replica", state.replica}});
    return state;
  }
  state.hub = std::make_unique<EventHub>(
      std::make_unique<MemoryEventStore>(RetentionOf(config.events()),
                                         // Cursors keep growing across restarts (MemoryEventStore).
                                         static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()))),
      // The ingest thread publishes; subscribers are woken on the hub's thread.
      EventHub::Options{.max_lag = config.events().max_lag(), .wake_thread = true});
  const config::v1::Events& events = config.events();
  state.dedup = std::make_unique<PushDedup>(
      config::ToDuration(events.dedup_window()), absl::Now,
      events.dedup_max_entries() != 0 ? events.dedup_max_entries()
                                      : config::kDefaultDedupMaxEntries,
      events.dedup_max_bytes() != 0 ? events.dedup_max_bytes() : config::kDefaultDedupMaxBytes);
  state.pushes = std::make_unique<LocalPushSink>(*state.hub, *state.dedup);
  auto memory = std::make_unique<MemoryTokenStore>(config.tokens().state_file());
  if (!memory->load_warning().empty()) {
    Log(LogLevel::kWarning, "token_state_file", {{"problem", memory->load_warning()}});
  }
  state.tokens = std::move(memory);
  return state;
}

}  // namespace wxgate
