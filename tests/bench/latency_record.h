// Latencies of one benchmark phase and their percentiles.
//
//   LatencyRecord record;
//   record.Add(std::chrono::microseconds(350));
//   record.Percentile(0.5);   // microseconds, as a double
//
// Not thread-safe: give each load thread its own and Merge() them at the end.
#ifndef WXGATE_TESTS_BENCH_LATENCY_RECORD_H_
#define WXGATE_TESTS_BENCH_LATENCY_RECORD_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace wxgate::bench {

class LatencyRecord {
 public:
  void Add(std::chrono::nanoseconds latency) {
    nanos_.push_back(latency.count());
    sorted_ = false;
  }
  void Merge(const LatencyRecord& other) {
    nanos_.insert(nanos_.end(), other.nanos_.begin(), other.nanos_.end());
    sorted_ = false;
  }
  size_t count() const { return nanos_.size(); }

  // The q-quantile (0 < q < 1) in microseconds; 0 when empty.
  double Percentile(double q) {
    if (nanos_.empty()) return 0;
    if (!sorted_) std::sort(nanos_.begin(), nanos_.end());
    sorted_ = true;
    const size_t index = std::min(nanos_.size() - 1, static_cast<size_t>(q * nanos_.size()));
    return nanos_[index] / 1000.0;
  }

 private:
  std::vector<int64_t> nanos_;
  bool sorted_ = true;
};

}  // namespace wxgate::bench

#endif  // WXGATE_TESTS_BENCH_LATENCY_RECORD_H_
