// Test helper: what an HttpHandler answered through its Respond, kept where an
// answer that comes after Handle returned (a reply, the reply window's end) can
// still reach it, from any thread.
//
//   auto outcome = std::make_shared<CallbackOutcome>();
//   handler.Handle(request, outcome->Respond());
//   outcome->answer()          // -> nullopt while the push waits for a reply
//   broker.Reply(id, reply);   // on this or another thread
//   outcome->WaitForAnswer()   // -> the answer (nullopt if none came within the timeout)
//   outcome->count()           // == 1: Respond is called exactly once
//
// Respond() keeps the outcome alive (it must be owned by a shared_ptr). Thread-safe.
#ifndef WXGATE_TESTS_TESTING_CALLBACK_OUTCOME_H_
#define WXGATE_TESTS_TESTING_CALLBACK_OUTCOME_H_

#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/callback/http_handler.h"

namespace wxgate::testing {

class CallbackOutcome : public std::enable_shared_from_this<CallbackOutcome> {
 public:
  // Records each answer it is given into this outcome.
  HttpHandler::Respond Respond() {
    return [self = shared_from_this()](CallbackAnswer answer) {
      absl::MutexLock lock(&self->mu_);
      if (!self->first_.has_value()) self->first_ = std::move(answer);
      ++self->count_;
    };
  }

  // The first answer, if one came.
  std::optional<CallbackAnswer> answer() const {
    absl::MutexLock lock(&mu_);
    return first_;
  }
  // The first answer, waiting up to `timeout` for it (generous: a loaded machine is slow).
  std::optional<CallbackAnswer> WaitForAnswer(absl::Duration timeout = absl::Seconds(60)) const {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &CallbackOutcome::Answered), timeout);
    return first_;
  }
  // How many times Respond's callbacks were called.
  int count() const {
    absl::MutexLock lock(&mu_);
    return count_;
  }

 private:
  bool Answered() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return first_.has_value(); }

  mutable absl::Mutex mu_;
  std::optional<CallbackAnswer> first_ ABSL_GUARDED_BY(mu_);
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_TESTING_CALLBACK_OUTCOME_H_
