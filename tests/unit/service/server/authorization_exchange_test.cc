// AuthorizationExchange on fakes: a scripted transport stands in for WeChat, a
// memory store and a clock only the test moves. Each code is exchanged once and
// remembered for an hour, for at most kRemembered codes.
#include "service/server/authorization_exchange.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/observe/log.h"
#include "tests/testing/fake_http_transport.h"
#include "tests/testing/fake_token_store.h"
#include "tests/testing/test_clock.h"

namespace wxgate {
namespace {

using testing::FakeHttpTransport;
using testing::FakeTokenStore;
using testing::TestClock;

constexpr char kQueryAuthPath[] = "/cgi-bin/component/api_query_auth";
constexpr char kAuthorizer[] = "wx00000000000000a1";
constexpr char kOther[] = "wx00000000000000b1";

std::string QueryAuthJson(absl::string_view appid, std::vector<int> sets) {
  nlohmann::json func_info = nlohmann::json::array();
  for (int id : sets) func_info.push_back({{"funcscope_category", {{"id", id}}}});
  return nlohmann::json{{"authorization_info",
                         {{"authorizer_appid", appid},
                          {"authorizer_access_token", "TOKEN-A"},
                          {"expires_in", 7200},
                          {"authorizer_refresh_token", "REFRESH-A"},
                          {"func_info", func_info}}}}
      .dump();
}

class AuthorizationExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Kept, not printed (4,097 authorizations in one case), and checked for secrets.
    SetLogSink([this](const std::string& line) {
      absl::MutexLock lock(&log_mu_);
      log_.push_back(line);
    });
    absl::Status ticket = absl::InternalError("test: `done` did not run");
    tokens_.SetComponentTicket(component_, "TICKET", [&](absl::Status s) { ticket = s; });
    ASSERT_TRUE(ticket.ok()) << ticket;
    transport_.AnswerJson("/cgi-bin/component/api_component_token",
                          R"({"component_access_token":"TOKEN-C","expires_in":7200})");
  }

  void TearDown() override {
    SetLogSink(nullptr);
    absl::MutexLock lock(&log_mu_);
    for (const std::string& line : log_) {
      EXPECT_EQ(line.find("CODE-"), std::string::npos) << "logs never show a code: " << line;
      EXPECT_EQ(line.find("REFRESH-"), std::string::npos) << line;
    }
  }

  absl::StatusOr<AuthorizationExchange::Authorized> Exchange(const std::string& code,
                                                             const std::string& expected = "") {
    absl::StatusOr<AuthorizationExchange::Authorized> outcome =
        absl::InternalError("test: `done` did not run");
    exchange_.Exchange(component_, code, expected,
                       [&](absl::StatusOr<AuthorizationExchange::Authorized> authorized) {
                         outcome = std::move(authorized);
                       });
    return outcome;
  }

  Account component_{.appid = "wx00000000000000c1", .secret = "s"};
  TestClock clock_;
  FakeHttpTransport transport_;
  TokenFetcher fetcher_{&transport_, "https://wechat.test", absl::Seconds(5)};
  FakeTokenStore store_{[this] { return clock_.Now(); }};
  TokenManager tokens_{&fetcher_, &store_, TokenManagerOptions{.refresh_jitter = 0, .now = [this] {
                                                                 return clock_.Now();
                                                               }}};
  AuthorizerDirectory authorizers_{{}, 100000};
  AuthorizationExchange exchange_{tokens_, authorizers_, [this] { return clock_.Now(); }};
  absl::Mutex log_mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(log_mu_);
};

TEST_F(AuthorizationExchangeTest, ACodeIsExchangedOnceAndRecalledAfterwards) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson(kAuthorizer, {1, 15}));
  absl::StatusOr<AuthorizationExchange::Authorized> first = Exchange("CODE-1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->authorizer->appid, kAuthorizer);
  EXPECT_EQ(first->authorizer->component, &component_);
  EXPECT_EQ(first->permission_sets, (std::vector<int>{1, 15}));

  absl::StatusOr<AuthorizationExchange::Authorized> again = Exchange("CODE-1", kAuthorizer);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->authorizer, first->authorizer);
  EXPECT_EQ(transport_.count(kQueryAuthPath), 1) << "WeChat takes a code once";
}

TEST_F(AuthorizationExchangeTest, AnAnswerForAnotherAccountThanThePushNamedIsRefused) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson(kAuthorizer, {1}));
  absl::StatusOr<AuthorizationExchange::Authorized> outcome = Exchange("CODE-1", kOther);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(ErrorInfoOf(outcome.status())->reason(), "UPSTREAM_SCHEMA");
}

TEST_F(AuthorizationExchangeTest, ACodeIsForgottenAfterAnHour) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson(kAuthorizer, {1}));
  ASSERT_TRUE(Exchange("CODE-1").ok());
  clock_.Advance(AuthorizationExchange::kRememberFor + absl::Seconds(1));
  transport_.AnswerJson(kQueryAuthPath, R"({"errcode":61010,"errmsg":"code is expired"})");
  absl::StatusOr<AuthorizationExchange::Authorized> late = Exchange("CODE-1");
  EXPECT_TRUE(IsSpentAuthorizationCode(late.status())) << late.status();
  EXPECT_EQ(transport_.count(kQueryAuthPath), 2);
}

TEST_F(AuthorizationExchangeTest, AtMostKRememberedCodesAreKept) {
  for (size_t i = 0; i <= AuthorizationExchange::kRemembered; ++i) {
    transport_.AnswerJson(kQueryAuthPath, QueryAuthJson(kAuthorizer, {1}));
    ASSERT_TRUE(Exchange(absl::StrCat("CODE-", i)).ok()) << i;
  }
  const int asked = transport_.count(kQueryAuthPath);
  ASSERT_TRUE(Exchange(absl::StrCat("CODE-", AuthorizationExchange::kRemembered)).ok());
  EXPECT_EQ(transport_.count(kQueryAuthPath), asked) << "the newest is remembered";
  transport_.AnswerJson(kQueryAuthPath, R"({"errcode":61010,"errmsg":"code is expired"})");
  EXPECT_TRUE(IsSpentAuthorizationCode(Exchange("CODE-0").status())) << "the oldest is not";
}

}  // namespace
}  // namespace wxgate
