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
  tasks_.emplace(std::make_pair(absl::Now() + delay, arrivals_++), std::move(task));
  changed_.Signal();
}

void DelayedTasks::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (tasks_.empty() || tasks_.begin()->first.first > absl::Now()) {
      // Returns when a task is added, on stopping, or when the first one is due.
      changed_.WaitWithDeadline(
          &mu_, tasks_.empty() ? absl::InfiniteFuture() : tasks_.begin()->first.first);
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
