#include "service/observe/metrics.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace wxgate {
namespace {

TEST(MetricsTest, DefinitionsFollowTheEnumAndPrometheusNaming) {
  const std::vector<MetricDefinition>& definitions = MetricDefinitions();
  for (size_t i = 0; i < definitions.size(); ++i) {
    const MetricDefinition& definition = definitions[i];
    EXPECT_EQ(static_cast<size_t>(definition.metric), i) << definition.name;
    // The process_ metrics keep the names every Prometheus client library gives them.
    EXPECT_TRUE(absl::StartsWith(definition.name, "wxgate_") ||
                absl::StartsWith(definition.name, "process_"))
        << definition.name;
    // Counters end in _total; nothing else does.
    EXPECT_EQ(absl::EndsWith(definition.name, "_total"), std::string(definition.type) == "counter")
        << definition.name;
  }
}

TEST(MetricsTest, CountersAndGaugesAreWrittenWithEscapedLabels) {
  Metrics metrics;
  metrics.Count(Metric::kPushes, {"wx1", "text", "accepted", ""});
  metrics.Count(Metric::kPushes, {"wx1", "text", "accepted", ""}, 2);
  metrics.Count(Metric::kPushes, {"wx1", "undecoded", "refused", "stale"});
  const std::string page = metrics.Exposition(
      {{Metric::kBuildInfo, {"1.0 \"q\"\\\n"}, 1}, {Metric::kSubscribers, {}, 4}});
  EXPECT_TRUE(absl::StrContains(page, "# TYPE wxgate_pushes_total counter\n")) << page;
  // An empty label value is left out.
  EXPECT_TRUE(absl::StrContains(
      page, "wxgate_pushes_total{appid=\"wx1\",kind=\"text\",result=\"accepted\"} 3\n"))
      << page;
  EXPECT_TRUE(absl::StrContains(page,
                                "wxgate_pushes_total{appid=\"wx1\",kind=\"undecoded\",result="
                                "\"refused\",reason=\"stale\"} 1\n"))
      << page;
  EXPECT_TRUE(absl::StrContains(page, "wxgate_build_info{version=\"1.0 \\\"q\\\"\\\\\\n\"} 1\n"))
      << page;
  EXPECT_TRUE(absl::StrContains(page, "wxgate_subscribers 4\n")) << page;
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics metrics;
  for (double seconds : {0.003, 0.02, 0.02, 30.0}) {
    metrics.Observe(Metric::kGrpcCallSeconds, {"/a.B/C"}, seconds);
  }
  const std::string page = metrics.Exposition({});
  const std::string series = "wxgate_grpc_call_seconds_bucket{method=\"/a.B/C\",le=";
  EXPECT_TRUE(absl::StrContains(page, series + "\"0.005\"} 1\n")) << page;
  EXPECT_TRUE(absl::StrContains(page, series + "\"0.025\"} 3\n")) << page;
  EXPECT_TRUE(absl::StrContains(page, series + "\"10\"} 3\n")) << page;
  EXPECT_TRUE(absl::StrContains(page, series + "\"+Inf\"} 4\n")) << page;
  EXPECT_TRUE(absl::StrContains(page, "wxgate_grpc_call_seconds_count{method=\"/a.B/C\"} 4\n"))
      << page;
  EXPECT_TRUE(absl::StrContains(page, "wxgate_grpc_call_seconds_sum{method=\"/a.B/C\"} 30.043\n"))
      << page;
}

}  // namespace
}  // namespace wxgate
