// ForceRefreshBudget: 20 force_refresh calls a day per appid, 30 s apart, the day
// being Beijing's (UTC+8), counted in the token store.
#include "service/token/force_refresh_budget.h"

#include <filesystem>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/error_info.h"
#include "service/token/memory_token_store.h"
#include "tests/testing/fake_token_store.h"

namespace wxgate {
namespace {

using ::testing::HasSubstr;

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

// 2023-11-14 08:00:00 Beijing time.
const absl::Time kMorning = absl::FromUnixSeconds(1699920000);

// TrySpend with a store that answers inline.
absl::Status Spend(ForceRefreshBudget& budget, const std::string& appid, absl::Time now) {
  std::optional<absl::Status> spent;
  budget.TrySpend(appid, now, [&](absl::Status status) { spent = std::move(status); });
  return spent.value_or(absl::InternalError("test: TrySpend did not answer inline"));
}

// The budget over a memory store without a file.
class ForceRefreshBudgetTest : public ::testing::Test {
 protected:
  MemoryTokenStore store_;
  ForceRefreshBudget budget{store_};
};

TEST_F(ForceRefreshBudgetTest, SpendsThirtySecondsApart) {
  EXPECT_EQ(budget.Left("wx1", kMorning), ForceRefreshBudget::kPerDay);
  ASSERT_TRUE(Spend(budget, "wx1", kMorning).ok());
  EXPECT_EQ(budget.Left("wx1", kMorning), ForceRefreshBudget::kPerDay - 1);

  absl::Status too_soon = Spend(budget, "wx1", kMorning + absl::Seconds(29));
  EXPECT_EQ(too_soon.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(too_soon), "FORCE_REFRESH_TOO_SOON");
  EXPECT_THAT(too_soon.message(), HasSubstr("wx1"));
  EXPECT_EQ(budget.Left("wx1", kMorning), ForceRefreshBudget::kPerDay - 1) << "not spent";

  EXPECT_TRUE(Spend(budget, "wx1", kMorning + ForceRefreshBudget::kSpacing).ok());
  EXPECT_TRUE(Spend(budget, "wx2", kMorning + ForceRefreshBudget::kSpacing).ok())
      << "each appid has its own budget";
  EXPECT_EQ(budget.Left("wx2", kMorning), ForceRefreshBudget::kPerDay - 1);
}

TEST_F(ForceRefreshBudgetTest, TwentyADayThenRefused) {
  absl::Time t = kMorning;
  for (int i = 0; i < ForceRefreshBudget::kPerDay; ++i, t += ForceRefreshBudget::kSpacing) {
    ASSERT_TRUE(Spend(budget, "wx1", t).ok()) << i;
  }
  EXPECT_EQ(budget.Left("wx1", t), 0);
  absl::Status spent = Spend(budget, "wx1", t + absl::Hours(1));
  EXPECT_EQ(spent.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(spent), "FORCE_REFRESH_BUDGET_SPENT");
  EXPECT_THAT(spent.message(), HasSubstr("20"));
}

TEST_F(ForceRefreshBudgetTest, TheDayEndsAtMidnightInBeijing) {
  const absl::Time before_midnight = kMorning + absl::Hours(16) - absl::Seconds(40);  // 23:59:20
  absl::Time t = before_midnight - ForceRefreshBudget::kSpacing * ForceRefreshBudget::kPerDay;
  for (int i = 0; i < ForceRefreshBudget::kPerDay; ++i, t += ForceRefreshBudget::kSpacing) {
    ASSERT_TRUE(Spend(budget, "wx1", t).ok()) << i;
  }
  EXPECT_FALSE(Spend(budget, "wx1", before_midnight + absl::Seconds(39)).ok());
  const absl::Time midnight = kMorning + absl::Hours(16);  // 16:00 UTC
  EXPECT_EQ(budget.Left("wx1", midnight), ForceRefreshBudget::kPerDay);
  EXPECT_TRUE(Spend(budget, "wx1", midnight).ok());
  EXPECT_EQ(budget.Left("wx1", midnight), ForceRefreshBudget::kPerDay - 1);
}

TEST(ForceRefreshBudgetSharingTest, ReplicasOnOneStoreShareTheTwenty) {
  MemoryTokenStore shared;
  ForceRefreshBudget replica_a(shared), replica_b(shared);
  absl::Time t = kMorning;
  for (int i = 0; i < ForceRefreshBudget::kPerDay; ++i, t += ForceRefreshBudget::kSpacing) {
    ASSERT_TRUE(Spend(i % 2 == 0 ? replica_a : replica_b, "wx1", t).ok()) << i;
  }
  EXPECT_EQ(ReasonOf(Spend(replica_a, "wx1", t)), "FORCE_REFRESH_BUDGET_SPENT");
  EXPECT_EQ(ReasonOf(Spend(replica_b, "wx1", t)), "FORCE_REFRESH_BUDGET_SPENT");
  EXPECT_EQ(replica_b.Left("wx1", t), 0);
  // Spacing is shared too: one replica's spend makes the other wait 30 s.
  EXPECT_TRUE(Spend(replica_a, "wx2", kMorning).ok());
  EXPECT_EQ(ReasonOf(Spend(replica_b, "wx2", kMorning + absl::Seconds(1))),
            "FORCE_REFRESH_TOO_SOON");
}

TEST(ForceRefreshBudgetSharingTest, TheCountSurvivesARestartThroughTheStateFile) {
  const std::string file = ::testing::TempDir() + "/force_refresh_state.json";
  std::filesystem::remove(file);
  {
    MemoryTokenStore store(file);
    ForceRefreshBudget budget(store);
    absl::Time t = kMorning;
    for (int i = 0; i < ForceRefreshBudget::kPerDay; ++i, t += ForceRefreshBudget::kSpacing) {
      ASSERT_TRUE(Spend(budget, "wx1", t).ok()) << i;
    }
  }
  MemoryTokenStore restarted(file);
  ASSERT_EQ(restarted.load_warning(), "");
  ForceRefreshBudget budget(restarted);
  EXPECT_EQ(ReasonOf(Spend(budget, "wx1", kMorning + absl::Hours(2))),
            "FORCE_REFRESH_BUDGET_SPENT");
  std::filesystem::remove(file);
}

TEST(ForceRefreshBudgetSharingTest, WhileTheStoreFailsThisProcessCountsAlone) {
  testing::FakeTokenStore store([] { return kMorning; });
  store.FailAll(testing::FakeTokenStore::Op::kTakeQuota, absl::UnavailableError("down"));
  ForceRefreshBudget budget(store);
  EXPECT_TRUE(Spend(budget, "wx1", kMorning).ok());
  EXPECT_EQ(ReasonOf(Spend(budget, "wx1", kMorning + absl::Seconds(1))), "FORCE_REFRESH_TOO_SOON");
  EXPECT_EQ(budget.Left("wx1", kMorning), ForceRefreshBudget::kPerDay - 1);
}

}  // namespace
}  // namespace wxgate
