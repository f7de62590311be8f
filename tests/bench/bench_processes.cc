#include "tests/bench/bench_processes.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace wxgate::bench {
namespace {

constexpr char kSecretEnv[] = "WXGATE_BENCH_SECRET";
constexpr auto kStartupTimeout = std::chrono::seconds(60);

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "bench: %s\n", message.c_str());
  std::exit(1);
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A port nobody listens on right now (bound, read, released).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    Die("no free loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

// Runs argv with stdout and stderr into `log`; the child dies with the benchmark.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid > 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(1);
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(out, 1);
  dup2(out, 2);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

void Stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// Waits until `ready` holds; dies naming `what` (with its log) if `pid` exits first
// or the start-up timeout passes.
template <typename Ready>
void AwaitStart(const char* what, pid_t pid, const std::string& log, Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kStartupTimeout;
  while (!ready()) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      Die(absl::StrCat(what, " exited; its output:\n", ReadWhole(log)));
    }
    if (std::chrono::steady_clock::now() > deadline) Die(absl::StrCat(what, " did not start"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::unique_ptr<BenchStack> BenchStack::Start(const StackOptions& options) {
  std::unique_ptr<BenchStack> stack(new BenchStack());
  char workdir[] = "/tmp/wxgate-bench-XXXXXX";
  if (!mkdtemp(workdir)) Die("cannot make a work directory");
  stack->workdir_ = workdir;
  const std::string dir = stack->workdir_;
  const std::string certs = FAKE_WECHAT_CERT_DIR;

  const std::string port_file = dir + "/fake.port";
  stack->fake_pid_ = Spawn(
      {FAKE_WECHAT_BINARY, "--cert", certs + "/server.pem", "--key", certs + "/server.key",
       "--port", "0", "--port-file", port_file, "--endpoints", FAKE_WECHAT_ENDPOINTS_DIR,
       "--account", absl::StrCat(kAppid, ":", kSecret), "--latency-ms",
       absl::StrCat(options.fake_latency_ms), "--threads", absl::StrCat(options.fake_threads)},
      dir + "/fake_wechat.log");
  AwaitStart("fake_wechat", stack->fake_pid_, dir + "/fake_wechat.log",
             [&] { return absl::SimpleAtoi(ReadWhole(port_file), &stack->fake_port_); });

  stack->gateway_port_ = FreePort();
  const std::string config = dir + "/wxgate.yaml";
  std::ofstream(config) << absl::StrCat(
      "server:\n  grpc_listen: \"127.0.0.1:", stack->gateway_port_, "\"\n",
      "upstream:\n  base_url: \"", stack->fake_url(), "\"\n  ca_file: \"", stack->ca_file(),
      "\"\n  timeout: ", options.upstream_timeout_s,
      "s\n  max_connections: ", options.max_connections, "\n", options.upstream_extra,
      "accounts:\n  - appid: ", kAppid, "\n    secret: {env: ", kSecretEnv, "}\n",
      "access:\n  anonymous: {appids: [\"*\"], methods: [\"*\"]}\n");
  setenv(kSecretEnv, kSecret, 1);
  const std::string log = dir + "/wxgate.log";
  stack->gateway_pid_ = Spawn(
      {options.gateway_binary.empty() ? WXGATE_BINARY : options.gateway_binary, "--config", config},
      log);
  AwaitStart("wxgate", stack->gateway_pid_, log,
             [&] { return ReadWhole(log).find("wxgate serving gRPC on") != std::string::npos; });
  return stack;
}

BenchStack::~BenchStack() {
  Stop(gateway_pid_);
  Stop(fake_pid_);
  std::error_code ignored;
  std::filesystem::remove_all(workdir_, ignored);
}

std::string BenchStack::fake_url() const { return absl::StrCat("https://127.0.0.1:", fake_port_); }

std::string BenchStack::gateway_target() const { return absl::StrCat("127.0.0.1:", gateway_port_); }

std::string BenchStack::ca_file() const { return std::string(FAKE_WECHAT_CERT_DIR) + "/ca.pem"; }

ProcessCpu ReadProcessCpu(pid_t pid) {
  const std::string stat = ReadWhole(absl::StrCat("/proc/", pid, "/stat"));
  // Fields after the command name (which may hold spaces) start at field 3.
  const size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return {};
  std::vector<std::string> fields =
      absl::StrSplit(stat.substr(close_paren + 2), ' ', absl::SkipEmpty());
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return {};
  }
  return {.micros = (utime + stime) * 1'000'000 / sysconf(_SC_CLK_TCK)};
}

int64_t PeakRssKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    int64_t kib = 0;
    if (line.rfind("VmHWM:", 0) == 0 &&
        absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(line.substr(6)), " kB"),
                         &kib)) {
      return kib;
    }
  }
  return 0;
}

}  // namespace wxgate::bench
