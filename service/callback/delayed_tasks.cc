#include "service/callback/delayed_tasks.h"

#include "absl/time/clock.h"

namespace wxgate {

DelayedTasks::DelayedTasks(absl::Duration slack) : slack_(slack), thread_([this] { Loop(); }) {}

DelayedTasks::~DelayedTasks() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_one();
  thread_.join();
}

DelayedTasks::TaskId DelayedTasks::RunAfter(absl::Duration delay, std::function<void()> task) {
  bool first = false;
  TaskId id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = TaskId(absl::Now() + delay, arrivals_++);
    // The thread sleeps until the first task is due (or one it cancelled was), so
    // only a task due sooner needs it awake. Every push's reply deadline is as far
    // off as the one before it: no wake-up per push, even when the pushes before
    // were answered and their deadlines cancelled.
    first = id.first < wake_at_;
    tasks_.emplace(id, std::move(task));
  }
  if (first) changed_.notify_one();
  return id;
}

bool DelayedTasks::Cancel(const TaskId& id) {
  std::function<void()> dropped;  // destroyed after the lock is released
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return false;
  dropped = std::move(it->second);
  tasks_.erase(it);
  return true;
}

size_t DelayedTasks::wakeups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wakeups_;
}

size_t DelayedTasks::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.size();
}

void DelayedTasks::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (tasks_.empty()) {
      wake_at_ = absl::InfiniteFuture();
      changed_.wait(lock);
      wake_at_ = absl::InfinitePast();  // awake: looks at the tasks before it sleeps
      ++wakeups_;
      continue;
    }
    const absl::Time due = tasks_.begin()->first.first;
    if (due > absl::Now()) {
      // Returns when a sooner task is added, on stopping, or one slack after the
      // first is due, so that the tasks due meanwhile run together.
      wake_at_ = due + slack_;
      changed_.wait_until(lock, absl::ToChronoTime(wake_at_));
      wake_at_ = absl::InfinitePast();
      ++wakeups_;
      if (absl::Now() < due) continue;
    }
    // Everything due by now, in order, one task at a time without the lock.
    const absl::Time now = absl::Now();
    while (!stopping_ && !tasks_.empty() && tasks_.begin()->first.first <= now) {
      std::function<void()> task = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      lock.unlock();
      task();
      task = nullptr;
      lock.lock();
    }
  }
}

}  // namespace wxgate
