// RedisPoller: sends one blocking command again and again on a connection of its
// own (a blocking read holds its connection) and hands each answer to `handle`:
//
//   RedisPoller poller(redis_options, "event_tail",
//                      [&] { return std::vector<std::string>{"XREAD", …, after}; },
//                      [&](const RedisReply& answer) { … return absl::OkStatus(); });
//
// The command is built anew before each send, so it can carry the position reached;
// no command (nullopt) means nothing to ask now: it asks again 50 ms later.
// When Redis cannot be reached, or `handle` says the answer is malformed (an error,
// logged as <name>_failed), it waits (100 ms doubling to 2 s) and sends again. The
// command must block for less than the connection's command_timeout. `command` and
// `handle` run on the poller's own thread, one at a time; they must not block for
// long. Destroying the poller stops it: neither runs after the destructor returns.
#ifndef WXGATE_SERVICE_REDIS_REDIS_POLLER_H_
#define WXGATE_SERVICE_REDIS_REDIS_POLLER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/redis/redis_client.h"

namespace wxgate {

class RedisPoller {
 public:
  using Command = std::function<std::optional<std::vector<std::string>>()>;
  using Handle = std::function<absl::Status(const RedisReply& answer)>;

  RedisPoller(RedisOptions redis, std::string name, Command command, Handle handle);
  ~RedisPoller();
  RedisPoller(const RedisPoller&) = delete;
  RedisPoller& operator=(const RedisPoller&) = delete;

 private:
  void Send();
  void RetryLater();

  const std::string name_;
  const Command command_;
  const Handle handle_;
  absl::Duration backoff_;  // touched only on the client's thread
  std::atomic<bool> stopping_{false};
  std::unique_ptr<RedisClient> redis_;  // last: destroyed first, ending its callbacks
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_REDIS_REDIS_POLLER_H_
