#include "service/observe/recent_activity.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace wxgate {

void LatencyHistogram::Add(absl::Duration latency) {
  const auto bound = std::lower_bound(kBounds.begin(), kBounds.end(), latency);
  ++counts_[bound - kBounds.begin()];
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
}

absl::Duration LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return absl::ZeroDuration();
  // The rank of the sample the quantile names, 1-based.
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * count_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return kBounds[i];
  }
  return absl::InfiniteDuration();
}

RecentActivity::RecentActivity(Options options)
    : options_(std::move(options)), ring_(std::max(options_.buckets, 1)) {}

int64_t RecentActivity::IndexOf(absl::Time t) const {
  absl::Duration remainder;
  return absl::IDivDuration(t - absl::UnixEpoch(), options_.bucket, &remainder);
}

RecentActivity::Bucket& RecentActivity::Current() {
  const int64_t index = IndexOf(options_.now());
  Bucket& bucket = ring_[static_cast<size_t>(index % static_cast<int64_t>(ring_.size()))];
  if (bucket.index != index) {
    bucket.index = index;
    bucket.upstream.clear();
    bucket.pushes.clear();
  }
  return bucket;
}

bool RecentActivity::InWindow(const Bucket& bucket, int64_t now_index) const {
  return bucket.index >= 0 && bucket.index <= now_index &&
         now_index - bucket.index < static_cast<int64_t>(ring_.size());
}

void RecentActivity::RecordUpstream(absl::string_view endpoint, absl::string_view outcome,
                                    absl::Duration latency) {
  absl::MutexLock lock(&mu_);
  UpstreamTotals& totals = Current().upstream[endpoint];
  ++totals.calls;
  if (outcome != "0") {
    ++totals.errors;
    ++totals.errcodes[std::string(outcome)];
  }
  totals.latency.Add(latency);
}

void RecentActivity::RecordPush(absl::string_view appid, absl::string_view result) {
  absl::MutexLock lock(&mu_);
  ++Current().pushes[appid][result];
}

std::map<std::string, RecentActivity::UpstreamTotals> RecentActivity::Upstream() const {
  std::map<std::string, UpstreamTotals> sums;
  const int64_t now_index = IndexOf(options_.now());
  absl::MutexLock lock(&mu_);
  for (const Bucket& bucket : ring_) {
    if (!InWindow(bucket, now_index)) continue;
    for (const auto& [endpoint, totals] : bucket.upstream) {
      UpstreamTotals& sum = sums[endpoint];
      sum.calls += totals.calls;
      sum.errors += totals.errors;
      for (const auto& [errcode, n] : totals.errcodes) sum.errcodes[errcode] += n;
      sum.latency.Merge(totals.latency);
    }
  }
  return sums;
}

std::map<std::string, std::map<std::string, int64_t>> RecentActivity::Pushes() const {
  std::map<std::string, std::map<std::string, int64_t>> sums;
  const int64_t now_index = IndexOf(options_.now());
  absl::MutexLock lock(&mu_);
  for (const Bucket& bucket : ring_) {
    if (!InWindow(bucket, now_index)) continue;
    for (const auto& [appid, results] : bucket.pushes) {
      for (const auto& [result, n] : results) sums[appid][result] += n;
    }
  }
  return sums;
}

RecentActivity& GlobalRecentActivity() {
  static RecentActivity* const activity = new RecentActivity();
  return *activity;
}

}  // namespace wxgate
