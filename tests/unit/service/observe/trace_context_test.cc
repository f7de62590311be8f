#include "service/observe/trace_context.h"

#include <gtest/gtest.h>

#include "absl/container/flat_hash_set.h"

namespace wxgate {
namespace {

constexpr absl::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContextTest, ParsesTheW3cExample) {
  std::optional<TraceContext> trace = ParseTraceparent(kValid);
  ASSERT_TRUE(trace.has_value());
  EXPECT_EQ(trace->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(trace->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(trace->flags, "01");
  EXPECT_EQ(trace->Traceparent(), kValid);
  EXPECT_TRUE(ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
}

TEST(TraceContextTest, RefusesAnythingElse) {
  for (absl::string_view bad : {
           "", "garbage",
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // other version
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",   // invalid version
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",   // uppercase
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",   // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",   // zero parent id
           "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",    // short trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // trailing
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",    // short flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",   // not hex
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",   // separators
           " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // padding
       }) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(TraceContextTest, ContinuingKeepsTheTraceAndFlagsWithANewSpan) {
  const TraceContext next = ContinueTrace(kValid);
  EXPECT_EQ(next.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(next.flags, "01");
  EXPECT_NE(next.span_id, "00f067aa0ba902b7");
  EXPECT_TRUE(ParseTraceparent(next.Traceparent()).has_value());
}

TEST(TraceContextTest, WithoutAParentANewRandomTraceStarts) {
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const TraceContext trace = ContinueTrace("not a traceparent");
    ASSERT_TRUE(ParseTraceparent(trace.Traceparent()).has_value()) << trace.Traceparent();
    EXPECT_EQ(trace.flags, "01");
    ids.insert(trace.trace_id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

}  // namespace
}  // namespace wxgate
