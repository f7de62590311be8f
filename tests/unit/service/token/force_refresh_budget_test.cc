// ForceRefreshBudget: 20 force_refresh calls a day per appid, 30 s apart, the day
// being Beijing's (UTC+8).
#include "service/token/force_refresh_budget.h"

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/error_info.h"

namespace wxgate {
namespace {

using ::testing::HasSubstr;

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

// 2023-11-14 08:00:00 Beijing time.
const absl::Time kMorning = absl::FromUnixSeconds(1699920000);

TEST(ForceRefreshBudgetTest, SpendsThirtySecondsApart) {
  ForceRefreshBudget budget;
  EXPECT_EQ(budget.Left("wx1", kMorning), ForceRefreshBudget::kPerDay);
  ASSERT_TRUE(budget.TrySpend("wx1", kMorning).ok());
  EXPECT_EQ(budget.Left("wx1", kMorning), ForceRefreshBudget::kPerDay - 1);

  absl::Status too_soon = budget.TrySpend("wx1", kMorning + absl::Seconds(29));
  EXPECT_EQ(too_soon.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(too_soon), "FORCE_REFRESH_TOO_SOON");
  EXPECT_THAT(too_soon.message(), HasSubstr("wx1"));
  EXPECT_EQ(budget.Left("wx1", kMorning), ForceRefreshBudget::kPerDay - 1) << "not spent";

  EXPECT_TRUE(budget.TrySpend("wx1", kMorning + ForceRefreshBudget::kSpacing).ok());
  EXPECT_TRUE(budget.TrySpend("wx2", kMorning + ForceRefreshBudget::kSpacing).ok())
      << "each appid has its own budget";
  EXPECT_EQ(budget.Left("wx2", kMorning), ForceRefreshBudget::kPerDay - 1);
}

TEST(ForceRefreshBudgetTest, TwentyADayThenRefused) {
  ForceRefreshBudget budget;
  absl::Time t = kMorning;
  for (int i = 0; i < ForceRefreshBudget::kPerDay; ++i, t += ForceRefreshBudget::kSpacing) {
    ASSERT_TRUE(budget.TrySpend("wx1", t).ok()) << i;
  }
  EXPECT_EQ(budget.Left("wx1", t), 0);
  absl::Status spent = budget.TrySpend("wx1", t + absl::Hours(1));
  EXPECT_EQ(spent.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(spent), "FORCE_REFRESH_BUDGET_SPENT");
  EXPECT_THAT(spent.message(), HasSubstr("20"));
}

TEST(ForceRefreshBudgetTest, TheDayEndsAtMidnightInBeijing) {
  ForceRefreshBudget budget;
  const absl::Time before_midnight = kMorning + absl::Hours(16) - absl::Seconds(40);  // 23:59:20
  absl::Time t = before_midnight - ForceRefreshBudget::kSpacing * ForceRefreshBudget::kPerDay;
  for (int i = 0; i < ForceRefreshBudget::kPerDay; ++i, t += ForceRefreshBudget::kSpacing) {
    ASSERT_TRUE(budget.TrySpend("wx1", t).ok()) << i;
  }
  EXPECT_FALSE(budget.TrySpend("wx1", before_midnight + absl::Seconds(39)).ok());
  const absl::Time midnight = kMorning + absl::Hours(16);  // 16:00 UTC
  EXPECT_EQ(budget.Left("wx1", midnight), ForceRefreshBudget::kPerDay);
  EXPECT_TRUE(budget.TrySpend("wx1", midnight).ok());
  EXPECT_EQ(budget.Left("wx1", midnight), ForceRefreshBudget::kPerDay - 1);
}

}  // namespace
}  // namespace wxgate
