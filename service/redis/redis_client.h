// RedisClient: one connection to a Redis server that any thread can use without
// waiting. Commands are sent from the client's own I/O thread and answered there:
//
//   RedisClient redis({.host = "127.0.0.1", .port = 6379});   // connects in the background
//   redis.Command({"HGET", "wxgate:token:wx1/access_token", "v"},
//                 [](absl::StatusOr<RedisReply> reply) { … });  // runs on the I/O thread
//
// Contract:
//   - `done` runs exactly once, on the client's I/O thread, never inside Command; it
//     must not block (the next answers wait behind it).
//   - While the connection is down, a command fails at once with UNAVAILABLE: nothing
//     queues up behind an outage. The client reconnects by itself, backing off from
//     100 ms to `max_reconnect_backoff`; after each connect it authenticates
//     (AUTH password), selects `db` and checks with PING before it takes commands.
//   - A command Redis does not answer within `command_timeout` ends the connection
//     (a server that stopped answering is as good as gone): every pending command
//     fails with UNAVAILABLE and the client reconnects.
//   - An error answer ("-ERR …", a script error) is a status: INTERNAL naming Redis.
//   - Losing and regaining the connection is logged once each (redis_unreachable,
//     redis_connected); the password is never logged.
// Destroying the client fails what is pending with UNAVAILABLE, then joins its thread.
#ifndef WXGATE_SERVICE_REDIS_REDIS_CLIENT_H_
#define WXGATE_SERVICE_REDIS_REDIS_CLIENT_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/redis/redis_reply.h"

namespace wxgate {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration command_timeout = absl::Seconds(1);
  absl::Duration max_reconnect_backoff = absl::Seconds(2);
};

class RedisClient {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<RedisReply>) &&>;

  explicit RedisClient(RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command (its arguments are binary-safe).
  void Command(std::vector<std::string> args, Done done);

  // Runs `task` on the client's I/O thread after `delay` (e.g. a retry's backoff).
  // A task still waiting when the client is destroyed is dropped without running.
  void After(absl::Duration delay, absl::AnyInvocable<void() &&> task);

  // Whether the connection is up and checked.
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  // Waits until ready or `timeout` passes. For start-up and tests, not serving threads.
  bool WaitReady(absl::Duration timeout) const;

  // "host:port", for logs and errors.
  const std::string& address() const { return address_; }

 private:
  class Connection;
  void SetReady(bool ready);

  const std::string address_;
  std::atomic<bool> ready_{false};
  mutable absl::Mutex ready_mu_;  // only for WaitReady's condition
  std::unique_ptr<Connection> connection_;
  std::thread thread_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_REDIS_REDIS_CLIENT_H_
