// A token bucket: `burst` calls at once, refilled at `per_second`.
//
//   TokenBucket bucket(/*per_second=*/2, /*burst=*/2);
//   bucket.Take();  // 0: allowed
//   bucket.Take();  // 0: allowed
//   bucket.Take();  // 500ms: refused; a token is back in half a second
//
// Thread-safe; the clock is injectable for tests.
#ifndef WXGATE_AUTH_TOKEN_BUCKET_H_
#define WXGATE_AUTH_TOKEN_BUCKET_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wxgate {

class TokenBucket {
 public:
  TokenBucket(double per_second, double burst, std::function<absl::Time()> now = absl::Now);

  // Takes one token: zero when one was there, else how long until one will be
  // (nothing is taken then).
  absl::Duration Take();

 private:
  const double per_second_;
  const double burst_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time refilled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_AUTH_TOKEN_BUCKET_H_
