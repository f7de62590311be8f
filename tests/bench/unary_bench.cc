// The unary call path side by side, in one run, against the fake WeChat over HTTPS:
//
//   (a) direct     GET /cgi-bin/user/info straight to the fake (libcurl, keep-alive)
//   (b) bare gRPC  grpc.health.v1.Health/Check on wxgate: no token, no upstream
//   (c) gateway    wechat.mp.v1.UserService/GetUserInfo through wxgate to the fake
//
// wxgate and the fake run as their own processes (bench_processes.h), so their CPU
// is read from /proc. Modes:
//
//   unary_bench --mode=unary      p50/p99 one call at a time (a, b, c interleaved
//                                 in rounds), calls/s at --concurrency, gateway CPU
//                                 per call, and the ratios issue #17 targets; with
//                                 --baseline_wxgate=PATH a second gateway (a build of
//                                 main, say) is measured in the same rounds as (c)
//   unary_bench --mode=in_flight  --in_flight calls always in flight, the fake
//                                 answering after --latency_ms: calls/s, p50/p99,
//                                 errors by code, the gateway's peak RSS
//
// The machine running it is also running the fake and the gateway: the figures are
// relative; compare the columns of one run, not runs on different machines.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "tests/bench/bench_processes.h"
#include "tests/bench/direct_https.h"
#include "tests/bench/gateway_load.h"

ABSL_FLAG(std::string, mode, "unary", "unary or in_flight");
ABSL_FLAG(int, serial_calls, 2000, "calls of each kind one at a time (unary mode)");
ABSL_FLAG(int, rounds, 4,
          "serial calls and throughput phases are split in this many interleaved rounds");
ABSL_FLAG(int, concurrency, 16, "calls in flight in the throughput phases (unary mode)");
ABSL_FLAG(int, seconds, 5, "length of each throughput phase");
ABSL_FLAG(int, in_flight, 5000, "calls in flight (in_flight mode)");
ABSL_FLAG(int, latency_ms, 200, "the fake's answer delay (in_flight mode)");
ABSL_FLAG(int, deadline_ms, 30000, "each call's deadline");
ABSL_FLAG(int, channels, 0,
          "gRPC connections the load is spread over; 0: one per 250 calls in flight (the "
          "gateway serves 256 streams per connection by default)");
ABSL_FLAG(std::string, wxgate, "", "the gateway binary to measure; empty: the one built with this");
ABSL_FLAG(std::string, baseline_wxgate, "",
          "unary mode: another gateway binary (e.g. a build of main) measured in the same run, "
          "interleaved with --wxgate, each in front of its own fake");
ABSL_FLAG(int, max_connections, 256, "the gateway's upstream.max_connections");
ABSL_FLAG(std::string, upstream_extra, "",
          "more upstream settings for the gateway, YAML flow style: \"{a: 1, b: 2s}\"");

namespace wxgate::bench {
namespace {

using std::chrono::milliseconds;

void PrintLatency(const char* name, LoadResult& result) {
  std::printf("  %-28s p50 %8.1f us   p99 %8.1f us   (%zu calls, %lld errors)\n", name,
              result.ok.Percentile(0.5), result.ok.Percentile(0.99), result.ok.count(),
              static_cast<long long>(result.error_count()));
}

void PrintErrors(const LoadResult& result) {
  for (const auto& [kind, count] : result.errors) {
    std::printf("    error %-40s %lld\n", kind.c_str(), static_cast<long long>(count));
  }
}

StackOptions StackFromFlags(int latency_ms) {
  StackOptions options{.gateway_binary = absl::GetFlag(FLAGS_wxgate),
                       .fake_latency_ms = latency_ms,
                       .max_connections = absl::GetFlag(FLAGS_max_connections)};
  const std::string extra = absl::GetFlag(FLAGS_upstream_extra);
  // A flow mapping's keys become lines of the upstream section.
  if (!extra.empty()) {
    std::string inner = extra;
    if (inner.front() == '{' && inner.back() == '}') inner = inner.substr(1, inner.size() - 2);
    for (size_t start = 0; start < inner.size();) {
      size_t comma = inner.find(',', start);
      if (comma == std::string::npos) comma = inner.size();
      std::string entry = inner.substr(start, comma - start);
      while (!entry.empty() && entry.front() == ' ') entry.erase(0, 1);
      if (!entry.empty()) options.upstream_extra += absl::StrCat("  ", entry, "\n");
      start = comma + 1;
    }
  }
  return options;
}

// One gateway under measurement, with its own fake: its serial and concurrent figures.
struct GatewayUnderTest {
  std::string name;
  std::unique_ptr<BenchStack> stack;
  std::unique_ptr<GatewayLoad> load;
  LoadResult serial, concurrent;
  int64_t serial_cpu_micros = 0, concurrent_cpu_micros = 0;

  double SerialCpuPerCall() const {
    return static_cast<double>(serial_cpu_micros) / std::max<size_t>(1, serial.ok.count());
  }
  double ConcurrentCpuPerCall() const {
    return static_cast<double>(concurrent_cpu_micros) / std::max<size_t>(1, concurrent.ok.count());
  }
};

// The gateways in the order round `round` measures them: the order flips every
// round, as the one measured right after the direct calls fares differently.
std::vector<GatewayUnderTest*> InTurn(const std::vector<std::unique_ptr<GatewayUnderTest>>& all,
                                      int round) {
  std::vector<GatewayUnderTest*> order;
  for (const auto& gateway : all) order.push_back(gateway.get());
  if (round % 2 == 1) std::reverse(order.begin(), order.end());
  return order;
}

std::unique_ptr<GatewayUnderTest> StartGateway(std::string name, const std::string& binary) {
  auto gateway = std::make_unique<GatewayUnderTest>();
  gateway->name = std::move(name);
  StackOptions options = StackFromFlags(0);
  options.gateway_binary = binary;
  gateway->stack = BenchStack::Start(options);
  gateway->load = std::make_unique<GatewayLoad>(gateway->stack->gateway_target(), 1);
  if (!gateway->load->AwaitServing(std::chrono::seconds(30))) {
    std::fprintf(stderr, "bench: the gateway's health check does not answer\n");
    return nullptr;
  }
  return gateway;
}

// Not const: a LatencyRecord sorts itself when asked for a percentile.
void PrintTargets(GatewayUnderTest& gateway, LoadResult& direct_serial, LoadResult& health_serial,
                  const LoadResult& direct_concurrent, int concurrency) {
  const double own_work = gateway.serial.ok.Percentile(0.5) - direct_serial.ok.Percentile(0.5) -
                          health_serial.ok.Percentile(0.5);
  const double throughput_ratio =
      gateway.concurrent.calls_per_second() / direct_concurrent.calls_per_second();
  const double cpu_per_call = gateway.ConcurrentCpuPerCall();
  std::printf("targets (issue #17), %s\n", gateway.name.c_str());
  std::printf("  gateway's own work, p50 (c)-(a)-(b)  %8.1f us   target <= 100 us  %s\n", own_work,
              own_work <= 100 ? "met" : "MISSED");
  std::printf("  c%d throughput, (c)/(a)              %8.2f x    target >= 0.8 x   %s\n",
              concurrency, throughput_ratio, throughput_ratio >= 0.8 ? "met" : "MISSED");
  std::printf("  gateway CPU per call at c%d          %8.1f us   target <= 60 us   %s\n",
              concurrency, cpu_per_call, cpu_per_call <= 60 ? "met" : "MISSED");
}

int RunUnary() {
  std::vector<std::unique_ptr<GatewayUnderTest>> gateways;
  gateways.push_back(StartGateway("wxgate", absl::GetFlag(FLAGS_wxgate)));
  const std::string baseline = absl::GetFlag(FLAGS_baseline_wxgate);
  if (!baseline.empty()) gateways.push_back(StartGateway("baseline", baseline));
  for (const auto& gateway : gateways) {
    if (gateway == nullptr) return 1;
  }
  BenchStack& stack = *gateways.front()->stack;
  GatewayLoad& bare = *gateways.front()->load;
  DirectHttps direct(stack.fake_url(), stack.ca_file());
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const int per_round = absl::GetFlag(FLAGS_serial_calls) / rounds;

  // Warm-up: token fetched, connections open, code paged in.
  direct.Serial(200);
  bare.SerialHealth(200);
  for (const auto& gateway : gateways) gateway->load->SerialUserInfo(200);

  LoadResult direct_serial, health_serial;
  for (int round = 0; round < rounds; ++round) {
    direct_serial.Merge(direct.Serial(per_round));
    health_serial.Merge(bare.SerialHealth(per_round));
    for (GatewayUnderTest* gateway : InTurn(gateways, round)) {
      const ProcessCpu before = ReadProcessCpu(gateway->stack->gateway_pid());
      gateway->serial.Merge(gateway->load->SerialUserInfo(per_round));
      gateway->serial_cpu_micros +=
          ReadProcessCpu(gateway->stack->gateway_pid()).micros - before.micros;
    }
  }

  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  // The throughput phases are split in the same rounds, so that a change in the
  // machine's other load hits every column alike.
  const milliseconds phase(absl::GetFlag(FLAGS_seconds) * 1000 / rounds);
  const milliseconds deadline(absl::GetFlag(FLAGS_deadline_ms));
  LoadResult direct_concurrent;
  int64_t fake_cpu_direct = 0;
  for (int round = 0; round < rounds; ++round) {
    const ProcessCpu fake_before = ReadProcessCpu(stack.fake_pid());
    LoadResult direct_round = direct.Concurrent(concurrency, phase);
    fake_cpu_direct += ReadProcessCpu(stack.fake_pid()).micros - fake_before.micros;
    direct_concurrent.Merge(direct_round);
    direct_concurrent.seconds += direct_round.seconds;
    for (GatewayUnderTest* gateway : InTurn(gateways, round)) {
      const ProcessCpu before = ReadProcessCpu(gateway->stack->gateway_pid());
      LoadResult gateway_round = gateway->load->ClosedLoopUserInfo(concurrency, phase, deadline);
      gateway->concurrent_cpu_micros +=
          ReadProcessCpu(gateway->stack->gateway_pid()).micros - before.micros;
      gateway->concurrent.Merge(gateway_round);
      gateway->concurrent.seconds += gateway_round.seconds;
    }
  }

  std::printf("unary call path, one call at a time (%d rounds of %d each, interleaved)\n", rounds,
              per_round);
  PrintLatency("(a) direct HTTPS", direct_serial);
  PrintLatency("(b) bare gRPC (health)", health_serial);
  for (const auto& gateway : gateways) {
    PrintLatency(absl::StrCat("(c) GetUserInfo via ", gateway->name).c_str(), gateway->serial);
    std::printf("  %s CPU per call, one at a time: %.1f us\n", gateway->name.c_str(),
                gateway->SerialCpuPerCall());
  }
  std::printf("%d concurrent, %d s each (in %d interleaved rounds)\n", concurrency,
              absl::GetFlag(FLAGS_seconds), rounds);
  std::printf("  %-28s %8.0f calls/s   p50 %8.1f us   p99 %8.1f us   fake CPU %.1f us/call\n",
              "(a) direct HTTPS", direct_concurrent.calls_per_second(),
              direct_concurrent.ok.Percentile(0.5), direct_concurrent.ok.Percentile(0.99),
              static_cast<double>(fake_cpu_direct) / direct_concurrent.ok.count());
  for (const auto& gateway : gateways) {
    std::printf("  %-28s %8.0f calls/s   p50 %8.1f us   p99 %8.1f us   gateway CPU %.1f us/call\n",
                absl::StrCat("(c) GetUserInfo via ", gateway->name).c_str(),
                gateway->concurrent.calls_per_second(), gateway->concurrent.ok.Percentile(0.5),
                gateway->concurrent.ok.Percentile(0.99), gateway->ConcurrentCpuPerCall());
  }
  PrintErrors(direct_concurrent);
  int64_t errors =
      direct_serial.error_count() + health_serial.error_count() + direct_concurrent.error_count();
  for (const auto& gateway : gateways) {
    PrintErrors(gateway->concurrent);
    PrintTargets(*gateway, direct_serial, health_serial, direct_concurrent, concurrency);
    errors += gateway->serial.error_count() + gateway->concurrent.error_count();
  }
  return errors == 0 ? 0 : 3;
}

int RunInFlight() {
  const int latency_ms = absl::GetFlag(FLAGS_latency_ms);
  auto stack = BenchStack::Start(StackFromFlags(latency_ms));
  const int in_flight = absl::GetFlag(FLAGS_in_flight);
  const int channels = absl::GetFlag(FLAGS_channels);
  GatewayLoad gateway(stack->gateway_target(), channels > 0 ? channels : in_flight / 250 + 1);
  if (!gateway.AwaitServing(std::chrono::seconds(30))) {
    std::fprintf(stderr, "bench: the gateway's health check does not answer\n");
    return 1;
  }
  gateway.SerialUserInfo(20);  // the token, before the storm
  const ProcessCpu before = ReadProcessCpu(stack->gateway_pid());
  LoadResult result =
      gateway.ClosedLoopUserInfo(in_flight, milliseconds(absl::GetFlag(FLAGS_seconds) * 1000),
                                 milliseconds(absl::GetFlag(FLAGS_deadline_ms)));
  const int64_t cpu = ReadProcessCpu(stack->gateway_pid()).micros - before.micros;
  std::printf("%d calls in flight, the fake answering after %d ms, %d s (+ drain: %.1f s in all)\n",
              in_flight, latency_ms, absl::GetFlag(FLAGS_seconds), result.seconds);
  std::printf(
      "  %.0f calls/s answered   p50 %.1f ms   p99 %.1f ms   %lld errors   %lld refused with "
      "RetryInfo (retried after its delay)\n",
      result.calls_per_second(), result.ok.Percentile(0.5) / 1000,
      result.ok.Percentile(0.99) / 1000, static_cast<long long>(result.error_count()),
      static_cast<long long>(result.refused));
  PrintErrors(result);
  std::printf("  ideal %d calls/s; gateway CPU %.1f us per answered call; peak RSS %.1f MiB\n",
              in_flight * 1000 / latency_ms,
              result.ok.count() ? static_cast<double>(cpu) / result.ok.count() : 0.0,
              PeakRssKib(stack->gateway_pid()) / 1024.0);
  return 0;
}

}  // namespace
}  // namespace wxgate::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "unary") return wxgate::bench::RunUnary();
  if (mode == "in_flight") return wxgate::bench::RunInFlight();
  std::fprintf(stderr, "bench: --mode is unary or in_flight\n");
  return 2;
}
