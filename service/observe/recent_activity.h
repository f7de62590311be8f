// RecentActivity: what happened over the last few minutes, for the status page:
// upstream calls per endpoint (outcome and latency) and pushes per appid (result).
// Counts live in time buckets (10 s by default) in a ring (30 of them: 5 minutes);
// a read sums the buckets still inside the window.
//
//   RecentActivity activity({.bucket = absl::Seconds(10), .buckets = 30, .now = clock});
//   activity.RecordUpstream("/cgi-bin/user/info", "0", absl::Milliseconds(12));
//   activity.RecordUpstream("/cgi-bin/user/info", "40001", absl::Milliseconds(30));
//   activity.RecordPush("wx1", "accepted");
//   activity.Upstream()["/cgi-bin/user/info"]   -> {calls 2, errors 1, errcodes {"40001": 1}}
//   activity.Pushes()["wx1"]                    -> {"accepted": 1}
//   ... 5 minutes later, with nothing recorded: both empty.
//
// Keys and labels are bounded (endpoint paths, configured appids, errcodes, results).
// Recording takes one short lock; thread-safe.
#ifndef WXGATE_SERVICE_OBSERVE_RECENT_ACTIVITY_H_
#define WXGATE_SERVICE_OBSERVE_RECENT_ACTIVITY_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wxgate {

// Latencies in fixed buckets, enough for quantiles on a page.
class LatencyHistogram {
 public:
  // Upper bounds of the buckets; a last, unbounded one follows.
  static constexpr std::array<absl::Duration, 13> kBounds = {
      absl::Milliseconds(1),   absl::Milliseconds(2),   absl::Milliseconds(5),
      absl::Milliseconds(10),  absl::Milliseconds(20),  absl::Milliseconds(50),
      absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(500),
      absl::Seconds(1),        absl::Seconds(2),        absl::Seconds(5),
      absl::Seconds(10)};

  void Add(absl::Duration latency);
  void Merge(const LatencyHistogram& other);
  uint64_t count() const { return count_; }
  // The upper bound of the bucket where the `q` quantile (0 < q <= 1) falls;
  // zero without samples, InfiniteDuration() past the last bound.
  absl::Duration Quantile(double q) const;

 private:
  std::array<uint64_t, kBounds.size() + 1> counts_{};
  uint64_t count_ = 0;
};

class RecentActivity {
 public:
  struct Options {
    absl::Duration bucket = absl::Seconds(10);
    int buckets = 30;
    std::function<absl::Time()> now = absl::Now;
  };

  struct UpstreamTotals {
    int64_t calls = 0;
    int64_t errors = 0;                       // outcome other than "0"
    std::map<std::string, int64_t> errcodes;  // errors by outcome
    LatencyHistogram latency;
  };

  RecentActivity() : RecentActivity(Options()) {}
  explicit RecentActivity(Options options);
  RecentActivity(const RecentActivity&) = delete;
  RecentActivity& operator=(const RecentActivity&) = delete;

  // One answered (or failed) request to WeChat: `outcome` is "0" for success, the
  // errcode, or "none" when WeChat did not answer.
  void RecordUpstream(absl::string_view endpoint, absl::string_view outcome,
                      absl::Duration latency);
  // One push: `result` is accepted, duplicate, not_kept or a refusal's reason.
  void RecordPush(absl::string_view appid, absl::string_view result);

  // Sums over the window, by endpoint and by appid.
  std::map<std::string, UpstreamTotals> Upstream() const;
  std::map<std::string, std::map<std::string, int64_t>> Pushes() const;

  absl::Duration window() const { return options_.bucket * options_.buckets; }

 private:
  struct Bucket {
    int64_t index = -1;  // which stretch of time it counts; -1: never used
    absl::flat_hash_map<std::string, UpstreamTotals> upstream;
    absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, int64_t>> pushes;
  };

  int64_t IndexOf(absl::Time t) const;
  // The bucket for now, emptied first if it last counted an older stretch.
  Bucket& Current() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `bucket` counts a stretch inside the window ending at `now_index`.
  bool InWindow(const Bucket& bucket, int64_t now_index) const;

  const Options options_;
  mutable absl::Mutex mu_;
  std::vector<Bucket> ring_ ABSL_GUARDED_BY(mu_);
};

// The process's recent activity, fed where the metrics are counted.
RecentActivity& GlobalRecentActivity();

}  // namespace wxgate

#endif  // WXGATE_SERVICE_OBSERVE_RECENT_ACTIVITY_H_
