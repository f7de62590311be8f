// TestClock: a clock only the test moves, for the injectable `now` of the units
// that keep time (token manager, token store, budgets).
//
//   TestClock clock;
//   MemoryTokenStore store("", [&clock] { return clock.Now(); });
//   clock.Advance(absl::Minutes(5));
//
// Thread-safe.
#ifndef WXGATE_TESTS_TESTING_TEST_CLOCK_H_
#define WXGATE_TESTS_TESTING_TEST_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace wxgate::testing {

class TestClock {
 public:
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1700000000);
};

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_TESTING_TEST_CLOCK_H_
