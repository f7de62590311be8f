#include "service/callback/delayed_tasks.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace wxgate {
namespace {

// Generous: a loaded two-core machine may be slow to run anything, never wrong.
constexpr absl::Duration kPatience = absl::Seconds(60);

// What the tasks did, in order; the test waits on it instead of sleeping.
class Journal {
 public:
  void Add(std::string entry) {
    absl::MutexLock lock(&mu_);
    entries_.push_back(std::move(entry));
  }
  // True once `count` entries are in, false after kPatience.
  bool WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    goal_ = count;
    return mu_.AwaitWithTimeout(absl::Condition(this, &Journal::Reached), kPatience);
  }
  std::vector<std::string> entries() {
    absl::MutexLock lock(&mu_);
    return entries_;
  }

 private:
  bool Reached() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return entries_.size() >= goal_; }

  absl::Mutex mu_;
  std::vector<std::string> entries_ ABSL_GUARDED_BY(mu_);
  size_t goal_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(DelayedTasksTest, RunsATaskNoSoonerThanItsDelay) {
  DelayedTasks tasks;
  absl::Notification ran;
  absl::Time ran_at;
  const absl::Time scheduled_at = absl::Now();
  tasks.RunAfter(absl::Milliseconds(50), [&] {
    ran_at = absl::Now();
    ran.Notify();
  });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(kPatience));
  EXPECT_GE(ran_at - scheduled_at, absl::Milliseconds(50));
}

TEST(DelayedTasksTest, ATaskDueSoonerRunsBeforeOneDueLater) {
  Journal journal;
  DelayedTasks tasks;
  tasks.RunAfter(absl::Hours(1), [&] { journal.Add("late"); });
  tasks.RunAfter(absl::ZeroDuration(), [&] { journal.Add("soon"); });
  ASSERT_TRUE(journal.WaitFor(1));
  EXPECT_EQ(journal.entries(), std::vector<std::string>{"soon"});
}  // "late" is dropped with `tasks`: see the last test

TEST(DelayedTasksTest, TasksDueAtOnceRunInTheOrderTheyCame) {
  Journal journal;
  DelayedTasks tasks;
  // Holds the tasks' thread until all five are queued, so they are all due together.
  absl::Notification started, release;
  tasks.RunAfter(absl::ZeroDuration(), [&] {
    started.Notify();
    release.WaitForNotification();
  });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kPatience));
  for (const char* name : {"1", "2", "3", "4", "5"}) {
    tasks.RunAfter(absl::ZeroDuration(), [&journal, name] { journal.Add(name); });
  }
  release.Notify();
  ASSERT_TRUE(journal.WaitFor(5));
  EXPECT_EQ(journal.entries(), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
}

TEST(DelayedTasksTest, ATaskMayScheduleAnother) {
  Journal journal;
  DelayedTasks tasks;
  tasks.RunAfter(absl::ZeroDuration(), [&] {
    journal.Add("first");
    tasks.RunAfter(absl::Milliseconds(1), [&] { journal.Add("second"); });
  });
  ASSERT_TRUE(journal.WaitFor(2));
  EXPECT_EQ(journal.entries(), (std::vector<std::string>{"first", "second"}));
}

TEST(DelayedTasksTest, TasksFromManyThreadsAllRun) {
  Journal journal;
  DelayedTasks tasks;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        tasks.RunAfter(absl::Milliseconds(i % 5), [&] { journal.Add("ran"); });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(journal.WaitFor(100));
  EXPECT_EQ(journal.entries().size(), 100u);
}

// Every push schedules its reply deadline as far off as the one before: those must
// not wake the thread. Only a new first task does (or a rare spurious wake-up).
TEST(DelayedTasksTest, ATaskDueAfterTheFirstDoesNotWakeTheThread) {
  DelayedTasks tasks;
  tasks.RunAfter(absl::Hours(1), [] {});
  for (int i = 1; i <= 1000; ++i) tasks.RunAfter(absl::Hours(1) + absl::Milliseconds(i), [] {});
  EXPECT_LT(tasks.wakeups(), 10u);
  // A sooner one still wakes it and runs on time.
  absl::Notification ran;
  tasks.RunAfter(absl::Milliseconds(1), [&] { ran.Notify(); });
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(kPatience));
}

TEST(DelayedTasksTest, ACancelledTaskNeverRunsAndIsFreedAtOnce) {
  Journal journal;
  DelayedTasks tasks;
  auto captured = std::make_shared<int>(0);
  const DelayedTasks::TaskId cancelled =
      tasks.RunAfter(absl::Milliseconds(1), [&journal, captured] { journal.Add("cancelled"); });
  tasks.RunAfter(absl::Hours(1), [] {});
  EXPECT_EQ(captured.use_count(), 2);
  EXPECT_TRUE(tasks.Cancel(cancelled));
  EXPECT_EQ(captured.use_count(), 1) << "the task and what it holds are gone";
  EXPECT_EQ(tasks.pending(), 1u);
  EXPECT_FALSE(tasks.Cancel(cancelled));
  tasks.RunAfter(absl::Milliseconds(2), [&] { journal.Add("kept"); });
  ASSERT_TRUE(journal.WaitFor(1));
  EXPECT_EQ(journal.entries(), std::vector<std::string>{"kept"});
}

// Answered pushes cancel their deadlines: a cancelled task leaves nothing behind,
// and the deadlines after it, no sooner than the wake-up planned, wake nothing.
TEST(DelayedTasksTest, CancelledTasksLeaveNoWakeUpPerTask) {
  DelayedTasks tasks;
  tasks.RunAfter(absl::Hours(1), [] {});
  for (int i = 1; i <= 1000; ++i) {
    EXPECT_TRUE(tasks.Cancel(tasks.RunAfter(absl::Hours(1) + absl::Milliseconds(i), [] {})));
  }
  EXPECT_LT(tasks.wakeups(), 10u);
  EXPECT_EQ(tasks.pending(), 1u);
}

TEST(DelayedTasksTest, ATaskThatRanCannotBeCancelled) {
  DelayedTasks tasks;
  absl::Notification ran;
  const DelayedTasks::TaskId id = tasks.RunAfter(absl::ZeroDuration(), [&] { ran.Notify(); });
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(kPatience));
  EXPECT_FALSE(tasks.Cancel(id));
}

TEST(DelayedTasksTest, PendingTasksAreDroppedNotRunOnDestruction) {
  auto ran = std::make_shared<std::atomic<bool>>(false);
  const absl::Time start = absl::Now();
  {
    DelayedTasks tasks;
    tasks.RunAfter(absl::Hours(1), [ran] { *ran = true; });
  }  // returns without waiting the hour
  EXPECT_FALSE(*ran);
  EXPECT_LT(absl::Now() - start, absl::Minutes(30));
}

}  // namespace
}  // namespace wxgate
