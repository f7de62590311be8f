#include "service/callback/push_freshness.h"

#include <gtest/gtest.h>

#include <string>

namespace wxgate {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

PushFreshness Limits(absl::Duration max_age, absl::Duration max_ahead) {
  return PushFreshness({.max_age = max_age, .max_ahead = max_ahead});
}

TEST(PushFreshnessTest, AcceptsWhatIsWithinTheLimits) {
  const PushFreshness fresh = Limits(absl::Minutes(5), absl::Minutes(1));
  for (const char* timestamp :
       {"1700000000", "1699999990", "1700000010", "1699999701", "1700000060"}) {
    EXPECT_TRUE(fresh.Check(timestamp, kNow).ok()) << timestamp;
  }
  // A fraction of a second into the current second is no skew at all.
  EXPECT_TRUE(fresh.Check("1700000000", kNow + absl::Milliseconds(999)).ok());
}

TEST(PushFreshnessTest, RefusesWhatIsTooOldOrTooFarAheadSayingByHowMuch) {
  const PushFreshness fresh = Limits(absl::Minutes(5), absl::Minutes(1));
  struct Case {
    std::string timestamp;
    std::string says;
  };
  const Case cases[] = {
      {"1699999700", "signed 5m ago, events.max_push_age is 5m"},
      {"1600000000", "stale push: signed 27777h46m40s ago"},
      {"0", "stale push"},
      {"1700000061", "signed 1m1s ahead of the gateway's clock, events.max_push_ahead is 1m"},
      {"999999999999", "push from the future"},
  };
  for (const Case& c : cases) {
    const absl::Status status = fresh.Check(c.timestamp, kNow);
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << c.timestamp;
    EXPECT_NE(status.message().find(c.says), std::string::npos) << status.message();
  }
}

TEST(PushFreshnessTest, RefusesWhatIsNotUnixSecondsAsMalformed) {
  const PushFreshness fresh = Limits(absl::Minutes(5), absl::Minutes(1));
  for (const char* timestamp :
       {"", "abc", "17e8", "+1700000000", "-1700000000", "1700000000.0", " 1700000000",
        "1700000000 ", "0x6553f100", "1700000000000000000000"}) {
    const absl::Status status = fresh.Check(timestamp, kNow);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << "\"" << timestamp << "\"";
    EXPECT_NE(status.message().find("timestamp"), std::string::npos) << status.message();
  }
}

TEST(PushFreshnessTest, TheDedupWindowMustOutlastAgeAndLead) {
  EXPECT_EQ(Limits(absl::Minutes(5), absl::Minutes(1)).MinDedupWindow(), absl::Minutes(6));
  EXPECT_EQ(Limits(absl::Seconds(30), absl::Seconds(5)).MinDedupWindow(), absl::Seconds(35));
}

}  // namespace
}  // namespace wxgate
