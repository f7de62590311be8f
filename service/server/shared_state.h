// SharedState: where the state that replicas may share lives, as the configuration
// says: with store.redis, a Redis connection and the stores built on it; without, the
// embedded default in this process (tokens in memory, persisted to
// tokens.state_file when set).
//
//   SharedState state = SharedState::From(loaded);   // never waits for Redis
//   TokenManager tokens(&fetcher, state.tokens.get(), {.lease_owner = state.replica});
//
// The Redis client connects in the background and retries on its own; until it is
// up, store operations fail at once and the token manager fetches on its own.
#ifndef WXGATE_SERVICE_SERVER_SHARED_STATE_H_
#define WXGATE_SERVICE_SERVER_SHARED_STATE_H_

#include <memory>
#include <string>

#include "service/config/config_loader.h"
#include "service/redis/redis_client.h"
#include "service/token/token_store.h"

namespace wxgate {

struct SharedState {
  static SharedState From(const config::LoadedConfig& loaded);

  // This process's name among the replicas (host/pid/random), e.g. for leases.
  std::string replica;
  std::unique_ptr<RedisClient> redis;  // with store.redis only; outlives the stores
  std::unique_ptr<TokenStore> tokens;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_SHARED_STATE_H_
