#include "service/observe/process_metrics.h"

#include <gtest/gtest.h>

#include <map>

namespace wxgate {
namespace {

std::map<Metric, double> ByMetric(const std::vector<Sample>& samples) {
  std::map<Metric, double> values;
  for (const Sample& sample : samples) values[sample.metric] = sample.value;
  return values;
}

TEST(ProcessMetricsTest, ReadsStatFieldsAfterAnAwkwardCommandName) {
  // Fields 3.. of proc(5): utime 14 = 250 ticks, stime 15 = 150, num_threads 20 = 7,
  // starttime 22 = 1000 ticks, vsize 23, rss 24 = 300 pages.
  const std::string stat =
      "4242 (wx gate) (x)) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 7 0 1000 "
      "123456789 300 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
  const std::map<Metric, double> values =
      ByMetric(ProcessStatSamples(stat, /*boot_time=*/1'700'000'000, /*ticks=*/100, 4096));
  EXPECT_DOUBLE_EQ(values.at(Metric::kProcessCpuSeconds), 4.0);
  EXPECT_DOUBLE_EQ(values.at(Metric::kProcessThreads), 7);
  EXPECT_DOUBLE_EQ(values.at(Metric::kProcessStartTime), 1'700'000'010);
  EXPECT_DOUBLE_EQ(values.at(Metric::kProcessVirtualBytes), 123456789);
  EXPECT_DOUBLE_EQ(values.at(Metric::kProcessResidentBytes), 300 * 4096);
}

TEST(ProcessMetricsTest, LeavesOutWhatCannotBeRead) {
  EXPECT_TRUE(ProcessStatSamples("", 1, 100, 4096).empty());
  EXPECT_TRUE(ProcessStatSamples("1 (x) S 1 2", 1, 100, 4096).empty());
  // No boot time: no start time, the rest still read.
  const std::map<Metric, double> values = ByMetric(
      ProcessStatSamples("1 (x) S 1 1 1 0 -1 0 0 0 0 0 10 10 0 0 20 0 1 0 5 100 2", 0, 100, 4096));
  EXPECT_EQ(values.count(Metric::kProcessStartTime), 0u);
  EXPECT_DOUBLE_EQ(values.at(Metric::kProcessCpuSeconds), 0.2);
}

TEST(ProcessMetricsTest, ThisProcessHasMemoryFilesAndAStartTime) {
  const std::map<Metric, double> values = ByMetric(ReadProcessMetrics());
  EXPECT_GT(values.at(Metric::kProcessResidentBytes), 1 << 20);
  EXPECT_GE(values.at(Metric::kProcessOpenFds), 3);  // stdin, stdout, stderr at least
  EXPECT_GT(values.at(Metric::kProcessMaxFds), 0);
  EXPECT_GT(values.at(Metric::kProcessStartTime), 1'600'000'000);
  EXPECT_GT(values.at(Metric::kProcessThreads), 0);
}

}  // namespace
}  // namespace wxgate
