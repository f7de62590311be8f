// RedisServer: a real redis-server for one test, on a free loopback port in a
// temporary directory, stopped (and the directory removed) when it goes out of scope.
//
//   RedisServer redis;                       // started and answering PING, or the test fails
//   RedisClient client({.port = redis.port()});
//   redis.Restart();                         // same port, same directory (AOF kept if on)
//
// It never binds anything but 127.0.0.1 and writes nothing outside its directory
// (TOOLCHAIN.md: --bind, --pidfile, --dir and --save "" are always given).
#ifndef WXGATE_TESTS_TESTING_REDIS_SERVER_H_
#define WXGATE_TESTS_TESTING_REDIS_SERVER_H_

#include <sys/types.h>

#include <string>

namespace wxgate::testing {

struct RedisServerOptions {
  bool append_only = false;  // AOF with fsync always: what survives a restart
  std::string password;      // requirepass, when set
};

class RedisServer {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // Stops the server (SIGTERM, then waits for the process to end).
  void Stop();
  // Starts it again on the same port and directory; waits until it answers.
  void Start();
  void Restart() {
    Stop();
    Start();
  }
  // Freezes the process (SIGSTOP): connections stay open and nothing is answered,
  // as with a hung server. Resume sends SIGCONT.
  void Freeze();
  void Resume();
  // Runs one command with redis-cli and returns its output (for test set-up).
  std::string Cli(const std::string& args) const;

 private:
  RedisServerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_TESTING_REDIS_SERVER_H_
