#include "auth/token_bucket.h"

#include <algorithm>
#include <utility>

namespace wxgate {

TokenBucket::TokenBucket(double per_second, double burst, std::function<absl::Time()> now)
    : per_second_(per_second),
      burst_(burst),
      now_(std::move(now)),
      tokens_(burst),
      refilled_(now_()) {}

absl::Duration TokenBucket::Take() {
  const absl::Time now = now_();
  absl::MutexLock lock(&mu_);
  tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - refilled_) * per_second_);
  refilled_ = now;
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1 - tokens_) / per_second_);
}

}  // namespace wxgate
