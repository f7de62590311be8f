// The processes a side-by-side benchmark measures: the fake WeChat and a wxgate in
// front of it, each its own process on loopback, so that /proc tells each one's CPU
// and memory apart from the load generator's.
//
//   BenchStack stack = BenchStack::Start({.fake_latency_ms = 200});
//   stack.fake_url();            // "https://127.0.0.1:<port>", trusted by ca_file()
//   stack.gateway_target();      // "127.0.0.1:<port>", plaintext gRPC
//   ProcessCpu before = ReadProcessCpu(stack.gateway_pid());
//
// The destructor stops both (SIGTERM, then SIGKILL) and removes the work directory.
// Start() aborts the benchmark with a message when a process does not come up.
#ifndef WXGATE_TESTS_BENCH_BENCH_PROCESSES_H_
#define WXGATE_TESTS_BENCH_BENCH_PROCESSES_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

namespace wxgate::bench {

inline constexpr char kAppid[] = "wx1111111111111111";
inline constexpr char kSecret[] = "bench-secret-0123456789abcdef012345";

struct StackOptions {
  // The wxgate binary; empty: the one built with the benchmark.
  std::string gateway_binary;
  int fake_latency_ms = 0;
  int fake_threads = 1;
  // The gateway's upstream section.
  int max_connections = 256;
  int upstream_timeout_s = 30;
  // YAML lines appended to the upstream section, each "  key: value\n".
  std::string upstream_extra;
};

class BenchStack {
 public:
  static std::unique_ptr<BenchStack> Start(const StackOptions& options);
  ~BenchStack();
  BenchStack(const BenchStack&) = delete;
  BenchStack& operator=(const BenchStack&) = delete;

  std::string fake_url() const;
  std::string gateway_target() const;
  std::string ca_file() const;
  pid_t gateway_pid() const { return gateway_pid_; }
  pid_t fake_pid() const { return fake_pid_; }

 private:
  BenchStack() = default;

  std::string workdir_;
  pid_t fake_pid_ = -1;
  pid_t gateway_pid_ = -1;
  int fake_port_ = 0;
  int gateway_port_ = 0;
};

// User plus system CPU a process has used so far, from /proc/<pid>/stat.
struct ProcessCpu {
  int64_t micros = 0;
};
ProcessCpu ReadProcessCpu(pid_t pid);

// Peak resident set (VmHWM) of a process, in KiB; 0 if unknown.
int64_t PeakRssKib(pid_t pid);

}  // namespace wxgate::bench

#endif  // WXGATE_TESTS_BENCH_BENCH_PROCESSES_H_
