#include "tests/testing/redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace wxgate::testing {
namespace {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return 0;
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::string Run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::string output;
  char buffer[4096];
  while (pipe && fgets(buffer, sizeof(buffer), pipe.get()) != nullptr) output += buffer;
  return std::string(absl::StripTrailingAsciiWhitespace(output));
}

}  // namespace

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  char dir[] = "/tmp/wxgate-redis-XXXXXX";
  dir_ = mkdtemp(dir);
  port_ = FreeLoopbackPort();
  Start();
}

RedisServer::~RedisServer() {
  Stop();
  std::filesystem::remove_all(dir_);
}

void RedisServer::Start() {
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   absl::StrCat(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--pidfile",
                                   dir_ + "/redis.pid",
                                   "--logfile",
                                   dir_ + "/redis.log",
                                   "--save",
                                   "",
                                   "--daemonize",
                                   "no",
                                   "--appendonly",
                                   options_.append_only ? "yes" : "no"};
  if (options_.append_only) args.insert(args.end(), {"--appendfsync", "always"});
  if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
  pid_ = fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execvp("redis-server", argv.data());
    _exit(127);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    // Without the password, a server that requires one answers NOAUTH: it is up.
    std::string pong = Run(absl::StrCat("redis-cli -p ", port_, " PING 2>&1"));
    if (pong == "PONG" || absl::StrContains(pong, "NOAUTH")) return;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "redis-server exited at start: " << Run("cat " + dir_ + "/redis.log");
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  FAIL() << "redis-server did not answer PING within 20 s";
}

void RedisServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGCONT);  // a frozen server cannot act on SIGTERM
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisServer::Freeze() { kill(pid_, SIGSTOP); }

void RedisServer::Resume() { kill(pid_, SIGCONT); }

std::string RedisServer::Cli(const std::string& args) const {
  std::string auth = options_.password.empty() ? "" : " --no-auth-warning -a " + options_.password;
  return Run(absl::StrCat("redis-cli -p ", port_, auth, " ", args, " 2>&1"));
}

}  // namespace wxgate::testing
