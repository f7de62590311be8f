// AuthorizerGrant's record and AuthorizerGrants' checks on a fake store: what a
// grant looks like stored, when the store is read again, and what a failing store
// or a record the gateway did not write leads to.
#include "service/token/authorizer_grants.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "service/errors/error_info.h"
#include "tests/testing/fake_token_store.h"
#include "tests/testing/test_clock.h"

namespace wxgate {
namespace {

using testing::FakeTokenStore;
using Op = FakeTokenStore::Op;

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

TEST(AuthorizerGrantTest, RoundTripsAndRefusesWhatItDidNotWrite) {
  const AuthorizerGrant grant{.refresh_token = "R1", .permission_sets = {1, 2, 15}};
  EXPECT_EQ(*DecodeAuthorizerGrant(EncodeAuthorizerGrant(grant)), grant);
  const AuthorizerGrant revoked{.revoked = true};
  EXPECT_EQ(*DecodeAuthorizerGrant(EncodeAuthorizerGrant(revoked)), revoked);
  for (const char* bad : {"", "R1", "[]", R"({"refresh_token":"R1"})",
                          R"({"refresh_token":1,"permission_sets":[],"revoked":false})",
                          R"({"refresh_token":"R1","permission_sets":["1"],"revoked":false})",
                          R"({"refresh_token":"R1","permission_sets":[],"revoked":"no"})"}) {
    EXPECT_EQ(DecodeAuthorizerGrant(bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
  const Account component{.appid = "wxc"};
  EXPECT_EQ(AuthorizerGrantKey(Account{.appid = "wxa", .component = &component}),
            "wxc/wxa/authorizer_grant");
}

class AuthorizerGrantsTest : public ::testing::Test {
 protected:
  absl::StatusOr<AuthorizerGrant> Check() {
    absl::StatusOr<AuthorizerGrant> verdict = absl::InternalError("test: `done` did not run");
    grants_.Check(authorizer_, [&](absl::StatusOr<AuthorizerGrant> g) { verdict = std::move(g); });
    return verdict;
  }
  absl::Status Write(AuthorizerGrant grant) {
    absl::Status written = absl::InternalError("test: `done` did not run");
    grants_.Update(
        authorizer_, [grant](const std::optional<AuthorizerGrant>&) { return grant; },
        [&](absl::Status s) { written = s; });
    return written;
  }

  testing::TestClock clock_;
  FakeTokenStore store_{[this] { return clock_.Now(); }};
  AuthorizerGrants grants_{&store_,
                           {.recheck = absl::Seconds(5), .now = [this] { return clock_.Now(); }}};
  Account component_{.appid = "wxc"};
  Account authorizer_{.appid = "wxa", .component = &component_};
};

TEST_F(AuthorizerGrantsTest, ChecksAreAnsweredFromMemoryUntilTheRecheck) {
  ASSERT_TRUE(Write({.refresh_token = "R1", .permission_sets = {1}}).ok());
  const int reads = store_.calls(Op::kGet);
  EXPECT_EQ(Check()->permission_sets, std::vector<int>{1});
  EXPECT_EQ(store_.calls(Op::kGet), reads) << "what this process wrote is known";
  clock_.Advance(absl::Seconds(5));
  EXPECT_TRUE(Check().ok());
  EXPECT_EQ(store_.calls(Op::kGet), reads + 1) << "read again after the recheck";
}

TEST_F(AuthorizerGrantsTest, LastSeenAnswersWithoutTheStoreAndWithoutTheRefreshToken) {
  EXPECT_FALSE(grants_.LastSeen(authorizer_).seen) << "never read";
  EXPECT_EQ(Check().status().code(), absl::StatusCode::kNotFound);
  const SeenGrant none = grants_.LastSeen(authorizer_);
  EXPECT_TRUE(none.seen);
  EXPECT_FALSE(none.grant.has_value()) << "read: never authorized";
  ASSERT_TRUE(Write({.refresh_token = "R1", .permission_sets = {1, 2}}).ok());
  const int reads = store_.calls(Op::kGet);
  const SeenGrant seen = grants_.LastSeen(authorizer_);
  ASSERT_TRUE(seen.grant.has_value());
  EXPECT_EQ(seen.grant->permission_sets, (std::vector<int>{1, 2}));
  EXPECT_EQ(seen.grant->refresh_token, "") << "a report never holds it";
  EXPECT_EQ(store_.calls(Op::kGet), reads);
}

TEST_F(AuthorizerGrantsTest, AFailingStoreKeepsTheLastGrantReadOrFailsWithoutOne) {
  store_.FailAll(Op::kGet, absl::UnavailableError("Redis is down"));
  EXPECT_EQ(Check().status().code(), absl::StatusCode::kUnavailable) << "nothing known yet";
  store_.ClearFailures();
  ASSERT_TRUE(Write({.refresh_token = "R1"}).ok());
  clock_.Advance(absl::Seconds(10));
  store_.FailAll(Op::kGet, absl::UnavailableError("Redis is down"));
  EXPECT_TRUE(Check().ok()) << "the last grant read still answers";
}

TEST_F(AuthorizerGrantsTest, ARecordTheGatewayDidNotWriteIsReportedAndCanBeOverwritten) {
  store_.CompareAndSet("wxc/wxa/authorizer_grant", 0, {.value = "garbage"},
                       [](absl::StatusOr<CasOutcome>) {});
  EXPECT_EQ(Check().status().code(), absl::StatusCode::kDataLoss);
  ASSERT_TRUE(Write({.refresh_token = "R2"}).ok()) << "a new authorization replaces it";
  EXPECT_EQ(Check()->refresh_token, "R2");
}

TEST_F(AuthorizerGrantsTest, AChangeThatNoLongerAppliesWritesNothing) {
  ASSERT_TRUE(Write({.refresh_token = "R1"}).ok());
  const int writes = store_.calls(Op::kCompareAndSet);
  absl::Status done = absl::InternalError("test: `done` did not run");
  grants_.Update(
      authorizer_, [](const std::optional<AuthorizerGrant>&) { return std::nullopt; },
      [&](absl::Status s) { done = s; });
  EXPECT_TRUE(done.ok());
  EXPECT_EQ(store_.calls(Op::kCompareAndSet), writes);
  EXPECT_EQ(ReasonOf(Check().status()), "<no ErrorInfo>") << "still the grant: OK";
}

}  // namespace
}  // namespace wxgate
