// Test helper: starts an asynchronous operation and waits (20 s at most) for the one
// callback it promises, returning what the callback got:
//
//   absl::StatusOr<bool> taken = AwaitCallback<absl::StatusOr<bool>>(
//       [&](auto done) { store.TryLease(key, "replica-1", ttl, std::move(done)); });
//
// No callback within the time fails the test and returns DEADLINE_EXCEEDED.
#ifndef WXGATE_TESTS_TESTING_AWAIT_CALLBACK_H_
#define WXGATE_TESTS_TESTING_AWAIT_CALLBACK_H_

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace wxgate::testing {

template <typename Result, typename Start>
Result AwaitCallback(Start start) {
  auto done = std::make_shared<absl::Notification>();
  auto result = std::make_shared<std::optional<Result>>();
  start([done, result](Result r) {
    result->emplace(std::move(r));
    done->Notify();
  });
  EXPECT_TRUE(done->WaitForNotificationWithTimeout(absl::Seconds(20))) << "no callback in 20 s";
  if (!done->HasBeenNotified()) return Result(absl::DeadlineExceededError("no callback"));
  return **result;
}

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_TESTING_AWAIT_CALLBACK_H_
