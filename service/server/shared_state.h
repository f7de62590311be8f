// SharedState: where the state that replicas may share lives, as the configuration
// says: with store.redis, a Redis connection and the stores built on it; without, the
// embedded default in this process (tokens in memory, persisted to
// tokens.state_file when set; events in memory).
//
//   SharedState state = SharedState::From(loaded);
//   TokenManager tokens(&fetcher, state.tokens.get(), {.lease_owner = state.replica});
//   PushHandler pushes(accounts, *state.pushes, *state.broker, …);
//   ServeEvents(*state.hub, *state.broker, state.replies.get(), …);
//
// With Redis, pushes go to the event log the replicas share and every replica's hub
// mirrors it; From waits (a few seconds at most) until the mirror holds what the
// log held, so that a live subscriber does not take the backlog for new events.
// The Redis client connects in the background and retries on its own; until it is
// up, store operations fail at once: the token manager fetches on its own and
// pushes are refused (WeChat retries them).
#ifndef WXGATE_SERVICE_SERVER_SHARED_STATE_H_
#define WXGATE_SERVICE_SERVER_SHARED_STATE_H_

#include <memory>
#include <string>

#include "service/config/config_loader.h"
#include "service/events/event_hub.h"
#include "service/events/push_dedup.h"
#include "service/events/push_sink.h"
#include "service/events/redis_event_log.h"
#include "service/events/redis_event_tail.h"
#include "service/events/redis_group_feeds.h"
#include "service/events/redis_reply_relay.h"
#include "service/events/reply_broker.h"
#include "service/redis/redis_client.h"
#include "service/token/token_store.h"

namespace wxgate {

struct SharedState {
  static SharedState From(const config::LoadedConfig& loaded);

  // This process's name among the replicas (host/pid/random), e.g. for leases.
  std::string replica;
  std::unique_ptr<RedisClient> redis;  // with store.redis only; outlives the stores
  std::unique_ptr<TokenStore> tokens;

  // With Redis only: subscriber groups across replicas. The hub's subscriptions
  // end before it goes.
  std::unique_ptr<RedisGroupFeeds> group_feeds;
  std::unique_ptr<EventHub> hub;  // what subscribers read
  std::unique_ptr<ReplyBroker> broker;
  std::unique_ptr<PushDedup> dedup;          // in memory only
  std::unique_ptr<RedisEventLog> event_log;  // with Redis only
  std::unique_ptr<PushSink> pushes;          // where the push handler keeps pushes
  std::unique_ptr<RedisReplyRelay> replies;  // with Redis only: replies across replicas
  std::unique_ptr<RedisEventTail> tail;      // with Redis only: fills the hub; stops first
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_SHARED_STATE_H_
