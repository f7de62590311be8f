// TransferQueue: first come first served, the running and connecting limits, waiting
// transfers that expire or go away. Times are given, so nothing here waits.
#include "service/upstream/transfer_queue.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wxgate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kStart = absl::FromUnixSeconds(1'000'000);
const absl::Time kLater = kStart + absl::Seconds(30);

TEST(TransferQueueTest, StartsInArrivalOrderUpToTheRunningLimit) {
  TransferQueue queue({.max_running = 2, .max_connecting = 10});
  for (TransferQueue::Id id : {5, 3, 9, 1}) queue.Add(id, kLater);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(5, 3));
  EXPECT_THAT(queue.TakeStartable(), IsEmpty());
  EXPECT_EQ(queue.running(), 2);
  EXPECT_EQ(queue.waiting(), 2);

  queue.Ended(3);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(9));
  queue.Ended(5);
  queue.Ended(9);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(1));
  EXPECT_EQ(queue.waiting(), 0);
}

TEST(TransferQueueTest, OnlyMaxConnectingWaitForAConnectionAtOnce) {
  TransferQueue queue({.max_running = 100, .max_connecting = 2});
  for (TransferQueue::Id id = 1; id <= 5; ++id) queue.Add(id, kLater);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(1, 2));
  EXPECT_THAT(queue.TakeStartable(), IsEmpty());
  EXPECT_EQ(queue.connecting(), 2);

  queue.Connected(1);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(3));
  queue.Ended(2);  // failed to connect: its slot is free too
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(4));
  EXPECT_EQ(queue.running(), 3);
  EXPECT_EQ(queue.connecting(), 2);

  queue.Connected(1);   // again: no effect
  queue.Connected(42);  // unknown
  EXPECT_EQ(queue.connecting(), 2);
}

TEST(TransferQueueTest, WaitingTransfersPastTheirDeadlineExpireWithoutStarting) {
  TransferQueue queue({.max_running = 1, .max_connecting = 1});
  queue.Add(1, kLater);
  queue.Add(2, kStart + absl::Seconds(2));
  queue.Add(3, kStart + absl::Seconds(1));
  queue.Add(4, kLater);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(1));
  EXPECT_EQ(queue.NextDeadline(), kStart + absl::Seconds(1));

  EXPECT_THAT(queue.TakeExpired(kStart), IsEmpty());
  EXPECT_THAT(queue.TakeExpired(kStart + absl::Seconds(2)), ElementsAre(3, 2));
  EXPECT_EQ(queue.NextDeadline(), kLater);  // 1 runs: its deadline is curl's business
  EXPECT_EQ(queue.waiting(), 1);

  queue.Ended(2);  // already expired: ignored
  queue.Ended(1);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(4));
  EXPECT_EQ(queue.NextDeadline(), std::nullopt);
}

TEST(TransferQueueTest, AWaitingTransferThatEndsNeverStarts) {
  TransferQueue queue({.max_running = 1, .max_connecting = 1});
  queue.Add(1, kLater);
  queue.Add(2, kLater);
  queue.Add(3, kLater);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(1));
  queue.Ended(2);  // cancelled while waiting
  EXPECT_EQ(queue.waiting(), 1);
  queue.Ended(1);
  EXPECT_THAT(queue.TakeStartable(), ElementsAre(3));
  EXPECT_THAT(queue.TakeExpired(kLater), IsEmpty());  // 2 is gone, 3 runs
}

TEST(TransferQueueTest, ManyTransfersKeepTheirOrder) {
  TransferQueue queue({.max_running = 3, .max_connecting = 3});
  std::vector<TransferQueue::Id> started;
  for (TransferQueue::Id id = 0; id < 1000; ++id) queue.Add(id, kLater);
  while (started.size() < 1000) {
    for (TransferQueue::Id id : queue.TakeStartable()) {
      started.push_back(id);
      queue.Connected(id);
      queue.Ended(id);
    }
  }
  for (size_t i = 0; i < started.size(); ++i) EXPECT_EQ(started[i], i);
  EXPECT_EQ(queue.running(), 0);
}

}  // namespace
}  // namespace wxgate
