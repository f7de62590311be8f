// Runs tasks after a delay on one thread of its own: the end of each push's reply
// window. A task may be cancelled until it runs (a push that got its reply frees
// its deadline at once). Tasks still pending when it is destroyed are dropped, not
// run.
//
//   DelayedTasks tasks;
//   DelayedTasks::TaskId id = tasks.RunAfter(absl::Seconds(3), [] { ... });
//   tasks.Cancel(id);  // true: it will not run; false: it ran or is running
//
// A task runs no sooner than its delay, and at most `slack` later: tasks due within
// one slack of each other run on one wake-up of the thread, not one each.
#ifndef WXGATE_SERVICE_CALLBACK_DELAYED_TASKS_H_
#define WXGATE_SERVICE_CALLBACK_DELAYED_TASKS_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/time/time.h"

namespace wxgate {

class DelayedTasks {
 public:
  // By due time, then by arrival, so equal due times keep their order.
  using TaskId = std::pair<absl::Time, uint64_t>;

  explicit DelayedTasks(absl::Duration slack = absl::Milliseconds(5));
  ~DelayedTasks();
  DelayedTasks(const DelayedTasks&) = delete;
  DelayedTasks& operator=(const DelayedTasks&) = delete;

  TaskId RunAfter(absl::Duration delay, std::function<void()> task);
  // Drops a task that has not started; false when it ran, is running or was
  // cancelled before.
  bool Cancel(const TaskId& id);

  // How often the thread woke from waiting, for tests: a task due after the
  // first one does not wake it.
  size_t wakeups() const;
  // Tasks waiting to run.
  size_t pending() const;

 private:
  void Loop();

  const absl::Duration slack_;
  // A std::mutex: Debian's abseil runs deadlock checks on every absl::Mutex lock.
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
  // When the thread wakes next: InfiniteFuture while it waits for a task, and
  // InfinitePast while it is awake (it looks at every task before it sleeps again).
  absl::Time wake_at_ = absl::InfinitePast();
  std::map<TaskId, std::function<void()>> tasks_;
  uint64_t arrivals_ = 0;
  size_t wakeups_ = 0;
  std::thread thread_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_DELAYED_TASKS_H_
