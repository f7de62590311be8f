#include "service/observe/recent_activity.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "tests/testing/test_clock.h"

namespace wxgate {
namespace {

using testing::TestClock;

class RecentActivityTest : public ::testing::Test {
 protected:
  TestClock clock_;
  RecentActivity activity_{
      {.bucket = absl::Seconds(10), .buckets = 30, .now = [this] { return clock_.Now(); }}};
};

TEST_F(RecentActivityTest, SumsUpstreamCallsByEndpointWithErrorsByErrcode) {
  activity_.RecordUpstream("/cgi-bin/user/info", "0", absl::Milliseconds(3));
  activity_.RecordUpstream("/cgi-bin/user/info", "40001", absl::Milliseconds(40));
  clock_.Advance(absl::Seconds(25));  // another bucket
  activity_.RecordUpstream("/cgi-bin/user/info", "none", absl::Seconds(20));
  activity_.RecordUpstream("/cgi-bin/tags/get", "0", absl::Milliseconds(1));

  const auto upstream = activity_.Upstream();
  ASSERT_EQ(upstream.size(), 2u);
  const RecentActivity::UpstreamTotals& info = upstream.at("/cgi-bin/user/info");
  EXPECT_EQ(info.calls, 3);
  EXPECT_EQ(info.errors, 2);
  EXPECT_EQ(info.errcodes, (std::map<std::string, int64_t>{{"40001", 1}, {"none", 1}}));
  EXPECT_EQ(info.latency.count(), 3u);
  EXPECT_EQ(upstream.at("/cgi-bin/tags/get").errors, 0);
  EXPECT_TRUE(upstream.at("/cgi-bin/tags/get").errcodes.empty());
}

TEST_F(RecentActivityTest, SumsPushesByAppidAndResult) {
  activity_.RecordPush("wx1", "accepted");
  activity_.RecordPush("wx1", "accepted");
  activity_.RecordPush("wx1", "signature");
  activity_.RecordPush("wx2", "duplicate");
  const auto pushes = activity_.Pushes();
  EXPECT_EQ(pushes.at("wx1"), (std::map<std::string, int64_t>{{"accepted", 2}, {"signature", 1}}));
  EXPECT_EQ(pushes.at("wx2"), (std::map<std::string, int64_t>{{"duplicate", 1}}));
}

TEST_F(RecentActivityTest, ForgetsWhatLeftTheWindow) {
  EXPECT_EQ(activity_.window(), absl::Minutes(5));
  activity_.RecordPush("wx1", "accepted");
  activity_.RecordUpstream("/cgi-bin/user/info", "0", absl::Milliseconds(3));
  clock_.Advance(absl::Minutes(4));
  activity_.RecordPush("wx1", "accepted");
  EXPECT_EQ(activity_.Pushes().at("wx1").at("accepted"), 2);

  clock_.Advance(absl::Seconds(70));  // the first record is 5 min 10 s old
  EXPECT_EQ(activity_.Pushes().at("wx1").at("accepted"), 1);
  EXPECT_TRUE(activity_.Upstream().empty());

  clock_.Advance(absl::Minutes(5));  // nothing recorded: the ring's old buckets stay out
  EXPECT_TRUE(activity_.Pushes().empty());
}

TEST_F(RecentActivityTest, ABucketReusedAfterAFullTurnStartsEmpty) {
  activity_.RecordPush("wx1", "accepted");
  clock_.Advance(absl::Minutes(5));  // the same slot of the ring, a new stretch of time
  activity_.RecordPush("wx1", "duplicate");
  EXPECT_EQ(activity_.Pushes().at("wx1"), (std::map<std::string, int64_t>{{"duplicate", 1}}));
}

TEST_F(RecentActivityTest, RecordsFromManyThreadsAreAllCounted) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < 1000; ++i) activity_.RecordPush("wx1", "accepted");
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(activity_.Pushes().at("wx1").at("accepted"), 4000);
}

TEST(LatencyHistogramTest, QuantilesAreTheUpperBoundsOfTheirBuckets) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.Quantile(0.5), absl::ZeroDuration());
  for (int i = 0; i < 98; ++i) histogram.Add(absl::Milliseconds(3));  // bucket (2, 5] ms
  histogram.Add(absl::Milliseconds(150));                             // (100, 200] ms
  histogram.Add(absl::Seconds(30));                                   // past the last bound
  EXPECT_EQ(histogram.Quantile(0.5), absl::Milliseconds(5));
  EXPECT_EQ(histogram.Quantile(0.99), absl::Milliseconds(200));
  EXPECT_EQ(histogram.Quantile(1), absl::InfiniteDuration());

  LatencyHistogram other;
  other.Add(absl::Milliseconds(1));  // exactly on a bound: that bucket
  histogram.Merge(other);
  EXPECT_EQ(histogram.count(), 101u);
  EXPECT_EQ(other.Quantile(0.5), absl::Milliseconds(1));
}

}  // namespace
}  // namespace wxgate
