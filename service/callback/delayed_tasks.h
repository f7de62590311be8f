// Runs tasks after a delay on one thread of its own: the end of each push's reply
// window. Tasks still pending when it is destroyed are dropped, not run.
//
//   DelayedTasks tasks;
//   tasks.RunAfter(absl::Seconds(3), [] { ... });
#ifndef WXGATE_SERVICE_CALLBACK_DELAYED_TASKS_H_
#define WXGATE_SERVICE_CALLBACK_DELAYED_TASKS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace wxgate {

class DelayedTasks {
 public:
  DelayedTasks();
  ~DelayedTasks();
  DelayedTasks(const DelayedTasks&) = delete;
  DelayedTasks& operator=(const DelayedTasks&) = delete;

  void RunAfter(absl::Duration delay, std::function<void()> task);

  // How often the thread woke from waiting, for tests: a task due after the
  // first one does not wake it.
  size_t wakeups() const;

 private:
  void Loop();

  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // By due time, then by arrival, so equal due times keep their order.
  std::map<std::pair<absl::Time, uint64_t>, std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  uint64_t arrivals_ ABSL_GUARDED_BY(mu_) = 0;
  size_t wakeups_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_DELAYED_TASKS_H_
