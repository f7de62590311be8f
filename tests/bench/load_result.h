// What one load phase of a benchmark measured: answered calls, their latencies, and
// the failures by kind.
#ifndef WXGATE_TESTS_BENCH_LOAD_RESULT_H_
#define WXGATE_TESTS_BENCH_LOAD_RESULT_H_

#include <cstdint>
#include <map>
#include <string>

#include "tests/bench/latency_record.h"

namespace wxgate::bench {

struct LoadResult {
  LatencyRecord ok;                       // calls answered correctly
  std::map<std::string, int64_t> errors;  // by gRPC code or HTTP/curl failure
  int64_t refused = 0;                    // refusals with RetryInfo, retried after it
  double seconds = 0;                     // wall time of the phase

  int64_t error_count() const {
    int64_t total = 0;
    for (const auto& [kind, count] : errors) total += count;
    return total;
  }
  double calls_per_second() const { return seconds > 0 ? ok.count() / seconds : 0; }
  void Merge(const LoadResult& other) {
    ok.Merge(other.ok);
    refused += other.refused;
    for (const auto& [kind, count] : other.errors) errors[kind] += count;
  }
};

}  // namespace wxgate::bench

#endif  // WXGATE_TESTS_BENCH_LOAD_RESULT_H_
