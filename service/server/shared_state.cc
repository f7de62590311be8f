#include "service/server/shared_state.h"

#include <unistd.h>

#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

}  // namespace

SharedState SharedState::From(const config::LoadedConfig& loaded) {
  SharedState state;
  state.replica = ReplicaName();
  const config::v1::Config& config = loaded.config;
  if (config.store().has_redis()) {
    state.redis = std::make_unique<RedisClient>(
        RedisOptionsOf(config.store().redis(), loaded.redis_password));
    state.tokens =
        std::make_unique<RedisTokenStore>(*state.redis, config.store().redis().key_prefix());
    Log(LogLevel::kInfo, "shared_store",
        {{"redis", state.redis->address()}, {"replica", state.replica}});
    return state;
  }
  auto memory = std::make_unique<MemoryTokenStore>(config.tokens().state_file());
  if (!memory->load_warning().empty()) {
    Log(LogLevel::kWarning, "token_state_file", {{"problem", memory->load_warning()}});
  }
  state.tokens = std::move(memory);
  return state;
}

}  // namespace wxgate
