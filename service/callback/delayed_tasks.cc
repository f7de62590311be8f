#include "service/callback/delayed_tasks.h"

#include "absl/time/clock.h"

namespace wxgate {

DelayedTasks::DelayedTasks() : thread_([this] { Loop(); }) {}

DelayedTasks::~DelayedTasks() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    changed_.Signal();
  }
  thread_.join();
}

void DelayedTasks::RunAfter(absl::Duration delay, std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  const std::pair<absl::Time, uint64_t> key(absl::Now() + delay, arrivals_++);
  // The thread sleeps until the first task is due, so only a new first task needs
  // it awake. Every push's reply deadline is as far off as the one before it: no
  // wake-up per push.
  const bool first = tasks_.empty() || key < tasks_.begin()->first;
  tasks_.emplace(key, std::move(task));
  if (first) changed_.Signal();
}

size_t DelayedTasks::wakeups() const {
  absl::MutexLock lock(&mu_);
  return wakeups_;
}

void DelayedTasks::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (tasks_.empty() || tasks_.begin()->first.first > absl::Now()) {
      // Returns when a task is added, on stopping, or when the first one is due.
      changed_.WaitWithDeadline(
          &mu_, tasks_.empty() ? absl::InfiniteFuture() : tasks_.begin()->first.first);
      ++wakeups_;
      continue;
    }
    std::function<void()> task = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    mu_.Unlock();
    task();
    mu_.Lock();
  }
}

}  // namespace wxgate
