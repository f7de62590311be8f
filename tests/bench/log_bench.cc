// What a log line costs on the call path, side by side: a line the level drops
// (what every OK call's `call` line costs at the default level), and a line
// written as text and as JSON to a sink that discards it (formatting only).
//
//   build/tests/bench/log_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <string>

#include "service/observe/log.h"
#include "service/observe/trace_context.h"

namespace wxgate {
namespace {

void CallLine(LogLevel level) {
  Log(level, "call",
      {{"request_id", "18a2b3c4d5e6f-42"},
       {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
       {"span_id", "00f067aa0ba902b7"},
       {"caller", "shop-backend"},
       {"appid", "wx1111111111111111"},
       {"method", "wechat.mp.v1.UserService/GetUserInfo"},
       {"code", "OK"},
       {"latency_ms", "12.3"}});
}

void BM_DroppedLine(benchmark::State& state) {
  SetLogSink([](const std::string&) {});
  SetLogLevel(LogLevel::kInfo);
  for (auto _ : state) CallLine(LogLevel::kDebug);
}
BENCHMARK(BM_DroppedLine);

void BM_WrittenLine(benchmark::State& state) {
  SetLogSink([](const std::string& line) { benchmark::DoNotOptimize(line.data()); });
  SetLogLevel(LogLevel::kDebug);
  SetLogFormat(state.range(0) == 0 ? LogFormat::kText : LogFormat::kJson);
  for (auto _ : state) CallLine(LogLevel::kDebug);
  SetLogFormat(LogFormat::kText);
  SetLogLevel(LogLevel::kInfo);
}
BENCHMARK(BM_WrittenLine)->ArgName("json")->Arg(0)->Arg(1);

// A call without a traceparent starts a trace: two random ids.
void BM_StartTrace(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ContinueTrace(std::nullopt));
}
BENCHMARK(BM_StartTrace);

}  // namespace
}  // namespace wxgate

BENCHMARK_MAIN();
