// TokenManager in process, on fakes: a scripted HTTP transport stands in for WeChat,
// a store that completes operations when the test says so stands in for memory or
// Redis, and a clock only the test moves. Covers single flight, the cache, refresh
// ahead, compare-and-swap invalidation, backoff, the force_refresh budget, tickets,
// the refresh lease, store values and errors, and destruction with work in flight.
#include "service/token/token_manager.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/observe/log.h"
#include "service/token/authorizer_grant.h"
#include "service/token/token_fetcher.h"
#include "tests/testing/fake_http_transport.h"
#include "tests/testing/fake_token_store.h"
#include "tests/testing/test_clock.h"

namespace wxgate {
namespace {

using ::testing::ElementsAre;
using testing::FakeHttpTransport;
using testing::FakeTokenStore;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Op = FakeTokenStore::Op;

constexpr char kBaseUrl[] = "https://wechat.test";
constexpr char kSecret[] = "s3cr3t-9f8e7d6c5b4a";
constexpr char kStablePath[] = "/cgi-bin/stable_token";
constexpr char kClassicPath[] = "/cgi-bin/token";
constexpr char kTicketPath[] = "/cgi-bin/ticket/getticket";
constexpr char kKey[] = "wx1/access_token";
constexpr absl::Duration kLifetime = absl::Seconds(7200);
const TokenManagerOptions kDefaults;

std::string TokenJson(absl::string_view token) {
  return nlohmann::json{{"access_token", token}, {"expires_in", 7200}}.dump();
}
std::string TicketJson(absl::string_view ticket) {
  return nlohmann::json{{"errcode", 0}, {"errmsg", "ok"}, {"ticket", ticket}, {"expires_in", 7200}}
      .dump();
}
std::string ErrorJson(int errcode, absl::string_view errmsg) {
  return nlohmann::json{{"errcode", errcode}, {"errmsg", errmsg}}.dump();
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

// What the `done` of one Get received, and how many times it ran.
class Outcome {
 public:
  static TokenManager::Done Into(std::shared_ptr<Outcome> outcome) {
    return [outcome = std::move(outcome)](absl::StatusOr<std::string> value) {
      absl::MutexLock lock(&outcome->mu_);
      ++outcome->calls_;
      outcome->value_ = std::move(value);
    };
  }
  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  absl::StatusOr<std::string> value() const {
    absl::MutexLock lock(&mu_);
    if (!value_) return absl::InternalError("test: `done` has not run");
    return *value_;
  }

 private:
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::StatusOr<std::string>> value_ ABSL_GUARDED_BY(mu_);
};

using testing::TestClock;

class TokenManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogSink([this](const std::string& line) {
      absl::MutexLock lock(&log_mu_);
      log_.push_back(line);
    });
    MakeManager();
  }

  void TearDown() override {
    // What a test left pending completes (new operations run inline), then the
    // manager goes first.
    store_.Hold(false);
    store_.RunAll();
    manager_.reset();
    SetLogSink(nullptr);
    absl::MutexLock lock(&log_mu_);
    for (const std::string& line : log_) {
      EXPECT_THAT(line, Not(HasSubstr(kSecret)));
      EXPECT_THAT(line, Not(HasSubstr("TOKEN-"))) << "logs never show a token";
      EXPECT_THAT(line, Not(HasSubstr("TICKET-"))) << "logs never show a ticket";
      EXPECT_THAT(line, Not(HasSubstr("REFRESH-"))) << "nor an authorizer's refresh token";
      EXPECT_THAT(line, Not(HasSubstr("CODE-"))) << "nor an authorization code";
    }
  }

  void MakeManager(TokenManagerOptions options = {}) {
    manager_.reset();
    options.refresh_jitter = 0;
    options.now = [this] { return clock_.Now(); };
    manager_ = std::make_unique<TokenManager>(&fetcher_, &store_, std::move(options));
  }

  // Get, with `done` expected to run before Get returns (cache, backoff, or every
  // fake answering inline).
  absl::StatusOr<std::string> GetNow(const Account& account,
                                     TokenKind kind = TokenKind::kAccessToken) {
    auto outcome = std::make_shared<Outcome>();
    manager_->Get(account, kind, Outcome::Into(outcome));
    if (outcome->calls() != 1) return absl::InternalError("test: `done` did not run inside Get");
    return outcome->value();
  }
  std::shared_ptr<Outcome> GetLater(const Account& account,
                                    TokenKind kind = TokenKind::kAccessToken) {
    auto outcome = std::make_shared<Outcome>();
    manager_->Get(account, kind, Outcome::Into(outcome));
    return outcome;
  }

  int LogLines(absl::string_view event) {
    absl::MutexLock lock(&log_mu_);
    int n = 0;
    for (const std::string& line : log_) n += absl::StrContains(line, event) ? 1 : 0;
    return n;
  }

  Account account_{.appid = "wx1", .secret = kSecret};
  TestClock clock_;
  FakeHttpTransport transport_;
  TokenFetcher fetcher_{&transport_, kBaseUrl, absl::Seconds(5)};
  FakeTokenStore store_{[this] { return clock_.Now(); }};
  std::unique_ptr<TokenManager> manager_;
  absl::Mutex log_mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(log_mu_);
};

TEST_F(TokenManagerTest, FirstUseReadsTheStoreTakesTheLeaseFetchesAndStores) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  const absl::Time start = clock_.Now();
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");

  EXPECT_EQ(transport_.count(), 1);
  EXPECT_EQ(store_.calls(Op::kGet), 2) << "read, then read again under the lease";
  EXPECT_EQ(store_.calls(Op::kTryLease), 1);
  EXPECT_EQ(store_.calls(Op::kCompareAndSet), 1);
  EXPECT_EQ(store_.calls(Op::kReleaseLease), 1);
  EXPECT_EQ(store_.LeaseOwner(kKey), "") << "released once the value is stored";
  std::optional<TokenRecord> stored = store_.Peek(kKey);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, "TOKEN-1");
  EXPECT_EQ(stored->version, 1);
  EXPECT_EQ(stored->fetched_at, start);
  EXPECT_EQ(stored->expires_at, start + kLifetime);

  const TokenState state = manager_->Status(account_, TokenKind::kAccessToken);
  EXPECT_TRUE(state.valid);
  EXPECT_EQ(state.fetches, 1);
  EXPECT_EQ(state.refresh_at, start + kLifetime * kDefaults.refresh_fraction);
}

TEST_F(TokenManagerTest, CachedValueIsAnsweredAtOnceWithoutTheStoreOrWeChat) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  store_.Hold(true);  // a store that would make anyone wait
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(store_.pending(), 0);
  EXPECT_EQ(store_.calls(Op::kGet), 2) << "only the first fetch's";
  EXPECT_EQ(transport_.count(), 1);
}

TEST_F(TokenManagerTest, ConcurrentMissesShareOneFetch) {
  constexpr int kCallers = 50;
  transport_.Hold(kStablePath);
  std::vector<std::shared_ptr<Outcome>> outcomes(kCallers);
  for (auto& outcome : outcomes) outcome = std::make_shared<Outcome>();
  absl::Notification go;
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      go.WaitForNotification();
      manager_->Get(account_, TokenKind::kAccessToken, Outcome::Into(outcomes[i]));
    });
  }
  go.Notify();
  for (std::thread& caller : callers) caller.join();

  ASSERT_EQ(transport_.held().size(), 1u);
  EXPECT_EQ(transport_.count(), 1);
  for (const auto& outcome : outcomes) EXPECT_EQ(outcome->calls(), 0);
  ASSERT_TRUE(transport_.CompleteOldest(FakeHttpTransport::Json(TokenJson("TOKEN-1"))));
  for (int i = 0; i < kCallers; ++i) {
    EXPECT_EQ(outcomes[i]->calls(), 1) << "caller " << i;
    EXPECT_EQ(*outcomes[i]->value(), "TOKEN-1") << "caller " << i;
  }
  EXPECT_EQ(transport_.count(), 1);
  EXPECT_EQ(store_.calls(Op::kGet), 2);
}

TEST_F(TokenManagerTest, NeverWaitsOnTheStore) {
  store_.Hold(true);
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < 10; ++i) outcomes.push_back(GetLater(account_));
  // Every step returned at once, with one store read pending for all ten callers.
  EXPECT_EQ(store_.pending(), 1);
  EXPECT_EQ(store_.calls(Op::kGet), 1);
  EXPECT_EQ(outcomes[0]->calls(), 0);

  ASSERT_TRUE(store_.RunNext());  // the read: nothing stored
  EXPECT_EQ(store_.calls(Op::kTryLease), 1);
  EXPECT_EQ(transport_.count(), 0) << "WeChat is asked only under the lease";
  ASSERT_TRUE(store_.RunNext());  // the lease: taken, so the store is read again
  EXPECT_EQ(transport_.count(), 0);
  ASSERT_TRUE(store_.RunNext());  // still nothing stored: WeChat is asked
  EXPECT_EQ(transport_.count(), 1);
  EXPECT_EQ(store_.calls(Op::kCompareAndSet), 1);
  EXPECT_EQ(outcomes[0]->calls(), 0) << "the value is handed out once stored";
  ASSERT_TRUE(store_.RunNext());  // the compare-and-set
  for (const auto& outcome : outcomes) EXPECT_EQ(*outcome->value(), "TOKEN-1");
  EXPECT_EQ(store_.calls(Op::kReleaseLease), 1);
  EXPECT_EQ(store_.pending(), 1);
  EXPECT_EQ(store_.RunAll(), 1);
}

TEST_F(TokenManagerTest, AValueStoredJustBeforeTheLeaseIsTakenIsNotFetchedAgain) {
  store_.Hold(true);
  std::shared_ptr<Outcome> outcome = GetLater(account_);
  ASSERT_TRUE(store_.RunNext());  // the read: nothing stored yet
  // Another replica stores its value and lets its lease go before ours is taken.
  store_.Put(
      kKey,
      {.value = "TOKEN-R2", .fetched_at = clock_.Now(), .expires_at = clock_.Now() + kLifetime});
  ASSERT_TRUE(store_.RunNext());  // the lease: taken
  ASSERT_TRUE(store_.RunNext());  // the read under the lease finds TOKEN-R2
  store_.RunAll();
  EXPECT_EQ(outcome->value().value_or("none"), "TOKEN-R2");
  EXPECT_EQ(transport_.count(), 0);
  EXPECT_EQ(store_.LeaseOwner(kKey), "") << "released";
}

TEST_F(TokenManagerTest, FetchedAgainOnlyPastExpiryMinusTheMargin) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  clock_.Advance(kLifetime - kDefaults.expiry_margin - absl::Seconds(1));
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(transport_.count(), 1);

  clock_.Advance(absl::Seconds(2));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  EXPECT_EQ(transport_.count(), 2);
}

TEST_F(TokenManagerTest, RefreshAheadKeepsHandingOutTheOldValue) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  clock_.Advance(kLifetime * 0.79);
  EXPECT_EQ(manager_->RefreshDue(), 0) << "not due before 80% of the lifetime";

  clock_.Advance(kLifetime * 0.02);
  transport_.Hold(kStablePath);
  EXPECT_EQ(manager_->RefreshDue(), 1);
  EXPECT_EQ(manager_->RefreshDue(), 0) << "one refresh at a time";
  ASSERT_EQ(transport_.held().size(), 1u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(*GetNow(account_), "TOKEN-1") << "callers never wait while a valid token exists";
  }
  ASSERT_TRUE(transport_.CompleteOldest(FakeHttpTransport::Json(TokenJson("TOKEN-2"))));
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  EXPECT_EQ(manager_->Status(account_, TokenKind::kAccessToken).fetches, 2);
  EXPECT_EQ(store_.Peek(kKey)->value, "TOKEN-2");
  EXPECT_EQ(store_.Peek(kKey)->version, 2);
  EXPECT_EQ(manager_->RefreshDue(), 0);
  EXPECT_EQ(transport_.count(), 2);
}

TEST_F(TokenManagerTest, AValueHandedBackUnchangedIsKeptToItsExpiryAndRefreshedThenOnce) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  clock_.Advance(kLifetime * 0.81);
  // stable_token's normal mode hands the same token back, with what is left of it.
  const absl::Duration left = kLifetime * 0.19;
  transport_.AnswerJson(kStablePath, nlohmann::json{{"access_token", "TOKEN-1"},
                                                    {"expires_in", absl::ToInt64Seconds(left)}}
                                         .dump());
  EXPECT_EQ(manager_->RefreshDue(), 1);
  EXPECT_EQ(transport_.count(), 2);

  // Nothing newer can be had: no refresh at a fraction of what is left, and the
  // value is still handed out in its last minute.
  clock_.Advance(left - absl::Seconds(1));
  EXPECT_EQ(manager_->RefreshDue(), 0);
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_TRUE(manager_->Status(account_, TokenKind::kAccessToken).valid);
  EXPECT_EQ(transport_.count(), 2);

  // A second past its expiry (expires_in is rounded down) comes the new one, and
  // its successor too lives to its expiry.
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(manager_->RefreshDue(), 0);
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  clock_.Advance(absl::Seconds(1));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(manager_->RefreshDue(), 1);
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  clock_.Advance(kLifetime - absl::Seconds(1));
  EXPECT_EQ(manager_->RefreshDue(), 0);
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  EXPECT_EQ(transport_.count(), 3);
}

TEST_F(TokenManagerTest, RefreshAheadSpreadsAccountsWithJitter) {
  manager_ = std::make_unique<TokenManager>(
      &fetcher_, &store_,
      TokenManagerOptions{
          .refresh_jitter = 0.05, .now = [this] { return clock_.Now(); }, .jitter_seed = 7});
  transport_.On([](const HttpRequest&) { return true; },
                [](const HttpRequest& request) {
                  return FakeHttpTransport::Json(TokenJson(absl::StrCat(
                      "TOKEN-", nlohmann::json::parse(request.body)["appid"].get<std::string>())));
                });
  std::vector<Account> accounts;
  for (int i = 0; i < 20; ++i) accounts.push_back({.appid = absl::StrCat("wx", i)});
  std::set<absl::Time> refresh_at;
  for (const Account& account : accounts) {
    ASSERT_TRUE(GetNow(account).ok());
    const absl::Time at = manager_->Status(account, TokenKind::kAccessToken).refresh_at;
    EXPECT_GE(at, clock_.Now() + kLifetime * 0.75);
    EXPECT_LE(at, clock_.Now() + kLifetime * 0.85);
    refresh_at.insert(at);
  }
  EXPECT_GT(refresh_at.size(), 1u);
  manager_.reset();  // before `accounts` goes
}

TEST_F(TokenManagerTest, InvalidateDropsOnlyTheCurrentValue) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_FALSE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-0"));
  EXPECT_FALSE(manager_->Invalidate(account_, TokenKind::kAccessToken, ""));
  EXPECT_FALSE(
      manager_->Invalidate(Account{.appid = "wx-other"}, TokenKind::kAccessToken, "TOKEN-1"));
  EXPECT_FALSE(manager_->Invalidate(account_, TokenKind::kJsapiTicket, "TOKEN-1"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(transport_.count(), 1);

  EXPECT_TRUE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-1"));
  EXPECT_FALSE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-1")) << "CAS";
  EXPECT_EQ(transport_.count(), 1) << "lazily: nothing fetched yet";
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  // A late Invalidate of the old value must not throw the new one away.
  EXPECT_FALSE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-1"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  EXPECT_EQ(transport_.count(), 2);
}

TEST_F(TokenManagerTest, AThousandCallsFailingWithOneStaleTokenCauseOneRefresh) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  transport_.Hold(kStablePath);
  constexpr int kCalls = 1000;
  int dropped = 0;
  std::vector<std::shared_ptr<Outcome>> retries;
  for (int i = 0; i < kCalls; ++i) {  // each call: WeChat said 40001 for TOKEN-1; retry once
    dropped += manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-1") ? 1 : 0;
    retries.push_back(GetLater(account_));
  }
  EXPECT_EQ(dropped, 1);
  EXPECT_EQ(transport_.count(kStablePath), 2);
  ASSERT_TRUE(transport_.CompleteOldest(FakeHttpTransport::Json(TokenJson("TOKEN-2"))));
  for (const auto& retry : retries) {
    ASSERT_EQ(retry->calls(), 1);
    EXPECT_EQ(*retry->value(), "TOKEN-2");
  }
  EXPECT_EQ(transport_.count(kStablePath), 2);
}

TEST_F(TokenManagerTest, AFailedFetchFailsEveryWaiterThenBacksOffDoubling) {
  transport_.Hold(kStablePath);
  std::vector<std::shared_ptr<Outcome>> waiters;
  for (int i = 0; i < 5; ++i) waiters.push_back(GetLater(account_));
  ASSERT_TRUE(transport_.CompleteOldest(FakeHttpTransport::Json("busy", 503)));
  for (const auto& waiter : waiters) {
    ASSERT_EQ(waiter->calls(), 1);
    EXPECT_EQ(waiter->value().status().code(), absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(store_.LeaseOwner(kKey), "") << "a failed fetch releases the lease";
  EXPECT_EQ(store_.Peek(kKey), std::nullopt);

  // Within the backoff the error comes back at once, without asking WeChat.
  absl::StatusOr<std::string> token = GetNow(account_);
  EXPECT_EQ(ReasonOf(token.status()), "UPSTREAM_HTTP_STATUS") << token.status();
  EXPECT_EQ(transport_.count(), 1);
  EXPECT_EQ(manager_->RefreshDue(), 0);
  TokenState state = manager_->Status(account_, TokenKind::kAccessToken);
  EXPECT_THAT(state.last_error, HasSubstr("HTTP 503"));
  EXPECT_EQ(state.failed_fetches, 1);

  clock_.Advance(kDefaults.min_backoff);  // 1 s: over; fails again
  transport_.Queue(kStablePath, absl::UnavailableError("connection refused"));
  EXPECT_EQ(GetNow(account_).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(transport_.count(), 2);

  clock_.Advance(kDefaults.min_backoff);  // the backoff doubled to 2 s: not yet
  EXPECT_THAT(GetNow(account_).status().message(), HasSubstr("connection refused"));
  EXPECT_EQ(transport_.count(), 2);

  clock_.Advance(kDefaults.min_backoff);
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(transport_.count(), 3);
  state = manager_->Status(account_, TokenKind::kAccessToken);
  EXPECT_EQ(state.last_error, "");
  EXPECT_EQ(state.failed_fetches, 2);
  EXPECT_EQ(state.fetches, 1);
}

TEST_F(TokenManagerTest, BackoffStopsDoublingAtTheMaximum) {
  MakeManager({.min_backoff = absl::Seconds(1), .max_backoff = absl::Seconds(4)});
  transport_.On([](const HttpRequest&) { return true; },
                [](const HttpRequest&) { return FakeHttpTransport::Json("busy", 503); });
  std::vector<absl::Duration> backoffs;
  for (int failure = 0; failure < 5; ++failure) {
    ASSERT_FALSE(GetNow(account_).ok());
    const int sent = transport_.count();
    absl::Duration backoff;
    while (transport_.count() == sent) {  // second by second until it asks WeChat again
      clock_.Advance(absl::Seconds(1));
      backoff += absl::Seconds(1);
      if (GetNow(account_).ok()) break;
      ASSERT_LE(backoff, absl::Seconds(10));
    }
    backoffs.push_back(backoff);
  }
  EXPECT_THAT(backoffs, ElementsAre(absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                    absl::Seconds(4), absl::Seconds(4)));
}

TEST_F(TokenManagerTest, RejectedTokenHandedBackSpendsOneForceRefresh) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  // WeChat rejected TOKEN-1 while stable_token's normal mode still hands it out.
  ASSERT_TRUE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-1"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  std::vector<HttpRequest> sent = transport_.sent(kStablePath);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_FALSE(nlohmann::json::parse(sent[1].body).contains("force_refresh"));
  EXPECT_EQ(nlohmann::json::parse(sent[2].body)["force_refresh"], true);
  EXPECT_EQ(manager_->Status(account_, TokenKind::kAccessToken).force_refresh_left,
            ForceRefreshBudget::kPerDay - 1);
  EXPECT_EQ(LogLines("token_force_refresh"), 1);

  // Again within 30 s: the budget refuses rather than invalidate everyone's token.
  ASSERT_TRUE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-2"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  absl::StatusOr<std::string> refused = GetNow(account_);
  EXPECT_EQ(ReasonOf(refused.status()), "FORCE_REFRESH_TOO_SOON") << refused.status();
  EXPECT_EQ(transport_.count(kStablePath), 4) << "no force_refresh sent";

  clock_.Advance(ForceRefreshBudget::kSpacing);
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-3"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-3");
  EXPECT_EQ(manager_->Status(account_, TokenKind::kAccessToken).force_refresh_left,
            ForceRefreshBudget::kPerDay - 2);
}

TEST_F(TokenManagerTest, NoForceRefreshWhenANewTokenComesBackOrForClassicAccounts) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  ASSERT_TRUE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-1"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  EXPECT_EQ(transport_.count(kStablePath), 2);

  const Account classic{
      .appid = "wx2", .secret = kSecret, .token_api = config::v1::TOKEN_API_CLASSIC};
  transport_.AnswerJson(kClassicPath, TokenJson("TOKEN-C1"));
  ASSERT_EQ(*GetNow(classic), "TOKEN-C1");
  ASSERT_TRUE(manager_->Invalidate(classic, TokenKind::kAccessToken, "TOKEN-C1"));
  transport_.AnswerJson(kClassicPath, TokenJson("TOKEN-C1"));
  EXPECT_EQ(*GetNow(classic), "TOKEN-C1");
  EXPECT_EQ(transport_.count(kClassicPath), 2);
  EXPECT_EQ(transport_.count(kStablePath), 2);
  EXPECT_EQ(manager_->Status(classic, TokenKind::kAccessToken).force_refresh_left,
            ForceRefreshBudget::kPerDay);
}

TEST_F(TokenManagerTest, TicketsAreFetchedWithTheAccessTokenAndCached) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  transport_.AnswerJson(kTicketPath, TicketJson("TICKET-J1"));
  transport_.AnswerJson(kTicketPath, TicketJson("TICKET-C1"));
  EXPECT_EQ(*GetNow(account_, TokenKind::kJsapiTicket), "TICKET-J1");
  EXPECT_EQ(testing::QueryOf(transport_.last(kTicketPath)->url),
            (std::map<std::string, std::string>{{"access_token", "TOKEN-1"}, {"type", "jsapi"}}));
  EXPECT_EQ(*GetNow(account_, TokenKind::kWxCardTicket), "TICKET-C1");
  EXPECT_EQ(testing::QueryOf(transport_.last(kTicketPath)->url).at("type"), "wx_card");

  EXPECT_EQ(*GetNow(account_, TokenKind::kJsapiTicket), "TICKET-J1");
  EXPECT_EQ(*GetNow(account_, TokenKind::kWxCardTicket), "TICKET-C1");
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(transport_.count(kTicketPath), 2);
  EXPECT_EQ(transport_.count(kStablePath), 1);
  EXPECT_EQ(store_.Peek("wx1/jsapi_ticket")->value, "TICKET-J1");
  EXPECT_EQ(store_.Peek("wx1/wx_card_ticket")->value, "TICKET-C1");
}

TEST_F(TokenManagerTest, TicketWithAStaleAccessTokenRefreshesItOnce) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  // WeChat no longer accepts TOKEN-1 (another program fetched a classic token).
  transport_.On(
      [](const HttpRequest& request) { return testing::PathOf(request.url) == kTicketPath; },
      [](const HttpRequest& request) {
        return FakeHttpTransport::Json(
            testing::QueryOf(request.url)["access_token"] == "TOKEN-1"
                ? ErrorJson(40001, "invalid credential, access_token is invalid or not latest")
                : TicketJson("TICKET-1"));
      });
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(*GetNow(account_, TokenKind::kWxCardTicket), "TICKET-1");
  EXPECT_EQ(transport_.count(kTicketPath), 2);
  EXPECT_EQ(transport_.count(kStablePath), 2);
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
}

TEST_F(TokenManagerTest, TicketStillStaleAfterOneRefreshFails) {
  transport_.On(
      [](const HttpRequest& request) { return testing::PathOf(request.url) == kTicketPath; },
      [](const HttpRequest&) { return FakeHttpTransport::Json(ErrorJson(40001, "invalid")); });
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  absl::StatusOr<std::string> ticket = GetNow(account_, TokenKind::kJsapiTicket);
  EXPECT_EQ(ReasonOf(ticket.status()), "WECHAT_40001") << ticket.status();
  EXPECT_EQ(transport_.count(kTicketPath), 2) << "refreshed once, not in a loop";
  EXPECT_EQ(transport_.count(kStablePath), 2);
}

TEST_F(TokenManagerTest, TicketFailsWithTheAccessTokensError) {
  transport_.AnswerJson(kStablePath, ErrorJson(40125, "invalid appsecret"));
  absl::StatusOr<std::string> ticket = GetNow(account_, TokenKind::kJsapiTicket);
  EXPECT_EQ(ReasonOf(ticket.status()), "WECHAT_40125") << ticket.status();
  EXPECT_THAT(ticket.status().ToString(), Not(HasSubstr(kSecret)));
  EXPECT_EQ(transport_.count(kTicketPath), 0);
}

TEST_F(TokenManagerTest, LeaseHeldElsewhereWaitsForThatReplicasValue) {
  store_.LeaseTo(kKey, "replica-2", absl::Seconds(30));
  std::shared_ptr<Outcome> first = GetLater(account_);
  std::shared_ptr<Outcome> second = GetLater(account_);
  EXPECT_EQ(manager_->RefreshDue(), 0);  // the store still has nothing: keep waiting
  EXPECT_EQ(first->calls(), 0);
  EXPECT_EQ(second->calls(), 0);
  EXPECT_EQ(transport_.count(), 0);
  EXPECT_EQ(store_.LeaseOwner(kKey), "replica-2");

  // replica-2 stores its value; the next RefreshDue reads it for both callers.
  store_.Put(
      kKey,
      {.value = "TOKEN-R2", .fetched_at = clock_.Now(), .expires_at = clock_.Now() + kLifetime});
  manager_->RefreshDue();
  EXPECT_EQ(first->value().value_or("none"), "TOKEN-R2");
  EXPECT_EQ(second->value().value_or("none"), "TOKEN-R2");
  EXPECT_EQ(*GetNow(account_), "TOKEN-R2");
  EXPECT_EQ(transport_.count(), 0);
  EXPECT_EQ(manager_->Status(account_, TokenKind::kAccessToken).fetches, 0);
}

TEST_F(TokenManagerTest, AWaitForAReplicaThatDiedEndsWithThisOneFetching) {
  store_.LeaseTo(kKey, "replica-2", absl::Seconds(30));
  std::shared_ptr<Outcome> waiting = GetLater(account_);
  clock_.Advance(absl::Seconds(30));  // replica-2's lease lapses: it stopped renewing
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  manager_->RefreshDue();
  EXPECT_EQ(waiting->value().value_or("none"), "TOKEN-1");
  EXPECT_EQ(transport_.count(kStablePath), 1);
}

TEST_F(TokenManagerTest, AWaitForAnotherReplicaEndsWhenTheManagerStops) {
  store_.LeaseTo(kKey, "replica-2", absl::Seconds(30));
  std::shared_ptr<Outcome> waiting = GetLater(account_);
  manager_.reset();
  EXPECT_EQ(waiting->calls(), 1);
  EXPECT_EQ(waiting->value().status().code(), absl::StatusCode::kCancelled);
}

TEST_F(TokenManagerTest, AnExpiredLeaseIsTakenOver) {
  store_.LeaseTo(kKey, "replica-2", absl::Seconds(30));
  clock_.Advance(absl::Seconds(30));  // replica-2 died while fetching
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(store_.LeaseOwner(kKey), "");
}

TEST_F(TokenManagerTest, TheLeaseIsRenewedWhileTheFetchRuns) {
  MakeManager({.lease_owner = "replica-1", .lease_ttl = absl::Seconds(30)});
  transport_.Hold(kStablePath);
  std::shared_ptr<Outcome> outcome = GetLater(account_);
  EXPECT_EQ(store_.LeaseOwner(kKey), "replica-1");

  clock_.Advance(absl::Seconds(14));
  manager_->RefreshDue();
  EXPECT_EQ(store_.calls(Op::kTryLease), 1) << "not yet half the TTL";
  clock_.Advance(absl::Seconds(1));
  manager_->RefreshDue();
  EXPECT_EQ(store_.calls(Op::kTryLease), 2);
  clock_.Advance(absl::Seconds(20));  // 35 s after it was first taken
  EXPECT_EQ(store_.LeaseOwner(kKey), "replica-1");
  manager_->RefreshDue();
  EXPECT_EQ(store_.calls(Op::kTryLease), 3);

  ASSERT_TRUE(transport_.CompleteOldest(FakeHttpTransport::Json(TokenJson("TOKEN-1"))));
  EXPECT_EQ(*outcome->value(), "TOKEN-1");
  EXPECT_EQ(store_.LeaseOwner(kKey), "");
  clock_.Advance(absl::Seconds(20));
  manager_->RefreshDue();
  EXPECT_EQ(store_.calls(Op::kTryLease), 3) << "no renewal once the fetch ended";
}

TEST_F(TokenManagerTest, ALostLeaseIsLoggedAndTheFetchStillStoresByCompareAndSet) {
  MakeManager({.lease_owner = "replica-1", .lease_ttl = absl::Seconds(30)});
  transport_.Hold(kStablePath);
  std::shared_ptr<Outcome> outcome = GetLater(account_);
  clock_.Advance(absl::Seconds(31));  // the timer stalled; the lease lapsed
  store_.LeaseTo(kKey, "replica-2", absl::Seconds(30));
  manager_->RefreshDue();
  EXPECT_EQ(LogLines("token_lease_lost"), 1);
  ASSERT_TRUE(transport_.CompleteOldest(FakeHttpTransport::Json(TokenJson("TOKEN-1"))));
  EXPECT_EQ(*outcome->value(), "TOKEN-1");
  EXPECT_EQ(store_.Peek(kKey)->value, "TOKEN-1");
  EXPECT_EQ(store_.LeaseOwner(kKey), "replica-2") << "not released: it is not ours";
}

TEST_F(TokenManagerTest, AStoredValueIsUsedBeforeWeChatIsAsked) {
  // As after a restart, or when another replica fetched first.
  store_.Put(kKey, {.value = "TOKEN-S",
                    .fetched_at = clock_.Now() - absl::Minutes(110),
                    .expires_at = clock_.Now() + absl::Minutes(10)});
  EXPECT_EQ(*GetNow(account_), "TOKEN-S");
  EXPECT_EQ(transport_.count(), 0);
  EXPECT_EQ(store_.calls(Op::kTryLease), 0);
  EXPECT_EQ(manager_->Status(account_, TokenKind::kAccessToken).fetches, 0);
  // Refreshed ahead from the stored times: 80% of its lifetime was 14 min ago.
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  EXPECT_EQ(manager_->RefreshDue(), 1);
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(store_.Peek(kKey)->version, 2);
}

TEST_F(TokenManagerTest, ANewerStoredValueReplacesARefresh) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  clock_.Advance(kLifetime * 0.81);
  store_.Put(kKey, {.value = "TOKEN-R2",
                    .fetched_at = clock_.Now(),
                    .expires_at = clock_.Now() + kLifetime});  // another replica refreshed
  EXPECT_EQ(manager_->RefreshDue(), 1);
  EXPECT_EQ(*GetNow(account_), "TOKEN-R2");
  EXPECT_EQ(transport_.count(), 1);
}

TEST_F(TokenManagerTest, StoredValuesThatCannotServeAreFetchedAgain) {
  // Expired, or the very value WeChat just rejected.
  store_.Put(kKey, {.value = "TOKEN-OLD",
                    .fetched_at = clock_.Now() - kLifetime,
                    .expires_at = clock_.Now() + absl::Seconds(30)});
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(transport_.count(), 1);
  ASSERT_TRUE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-1"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-2") << "TOKEN-1 is still in the store";
  EXPECT_EQ(transport_.count(), 2);
}

TEST_F(TokenManagerTest, LosingTheCompareAndSetConvergesOnTheWinnersValue) {
  store_.Hold(true);
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  std::shared_ptr<Outcome> outcome = GetLater(account_);
  ASSERT_TRUE(store_.RunNext());  // read: nothing stored
  ASSERT_TRUE(store_.RunNext());  // lease
  ASSERT_TRUE(store_.RunNext());  // read again; TOKEN-1 fetched; compare-and-set pending
  store_.Put(
      kKey,
      {.value = "TOKEN-R2", .fetched_at = clock_.Now(), .expires_at = clock_.Now() + kLifetime});
  store_.RunAll();
  EXPECT_EQ(*outcome->value(), "TOKEN-R2");
  EXPECT_EQ(store_.Peek(kKey)->value, "TOKEN-R2");
  EXPECT_EQ(store_.Peek(kKey)->version, 1);
}

TEST_F(TokenManagerTest, StoreErrorsAreLoggedAndTokensStillServed) {
  store_.FailNext(Op::kGet, absl::UnavailableError("redis: connection refused"));
  store_.FailNext(Op::kTryLease, absl::UnavailableError("redis: connection refused"));
  store_.FailNext(Op::kReleaseLease, absl::UnavailableError("redis: connection refused"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-1");
  EXPECT_EQ(store_.Peek(kKey)->value, "TOKEN-1");
  EXPECT_EQ(LogLines("token_store_failed"), 3);

  ASSERT_TRUE(manager_->Invalidate(account_, TokenKind::kAccessToken, "TOKEN-1"));
  store_.FailAll(Op::kCompareAndSet, absl::UnavailableError("redis: timeout"));
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  EXPECT_EQ(store_.Peek(kKey)->value, "TOKEN-1") << "not written";
  EXPECT_EQ(*GetNow(account_), "TOKEN-2");
  EXPECT_EQ(LogLines("token_store_failed"), 4);
  EXPECT_EQ(manager_->Status(account_, TokenKind::kAccessToken).last_error, "");
}

TEST_F(TokenManagerTest, AccountsAndKindsHaveTheirOwnFetches) {
  const Account other{.appid = "wx2", .secret = "other-secret"};
  transport_.Hold(kStablePath);
  transport_.Hold(kStablePath);
  std::shared_ptr<Outcome> first = GetLater(account_);
  std::shared_ptr<Outcome> second = GetLater(other);
  std::vector<FakeHttpTransport::TransferId> held = transport_.held();
  ASSERT_EQ(held.size(), 2u);
  transport_.Complete(held[1], FakeHttpTransport::Json(TokenJson("TOKEN-B")));
  transport_.Complete(held[0], FakeHttpTransport::Json(TokenJson("TOKEN-A")));
  EXPECT_EQ(*first->value(), "TOKEN-A");
  EXPECT_EQ(*second->value(), "TOKEN-B");
  EXPECT_TRUE(manager_->Invalidate(other, TokenKind::kAccessToken, "TOKEN-B"));
  EXPECT_EQ(*GetNow(account_), "TOKEN-A");
  EXPECT_FALSE(manager_->Status(other, TokenKind::kAccessToken).valid);
}

TEST_F(TokenManagerTest, DestroyedWithAFetchInFlight) {
  transport_.Hold(kStablePath);
  std::shared_ptr<Outcome> outcome = GetLater(account_);
  ASSERT_EQ(transport_.held().size(), 1u);
  const FakeHttpTransport::TransferId id = transport_.held()[0];
  manager_.reset();  // cancels the fetch and waits for its callback
  EXPECT_EQ(outcome->calls(), 1);
  EXPECT_EQ(outcome->value().status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(transport_.cancelled(), ElementsAre(id));
  EXPECT_THAT(transport_.held(), IsEmpty());
  EXPECT_EQ(store_.LeaseOwner(kKey), "") << "the lease goes with the cancelled fetch";
}

TEST_F(TokenManagerTest, DestroyedWithAStoreReadInFlight) {
  store_.Hold(true);
  std::shared_ptr<Outcome> outcome = GetLater(account_);
  ASSERT_EQ(store_.pending(), 1);
  absl::Notification destroyed;
  std::thread destroyer([&] {
    manager_.reset();
    destroyed.Notify();
  });
  // The destructor waits for the store's callback; it has not come yet.
  EXPECT_FALSE(destroyed.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  EXPECT_EQ(outcome->calls(), 0);
  while (!destroyed.HasBeenNotified()) {
    store_.RunAll();  // the read, and whatever the manager still starts
    absl::SleepFor(absl::Milliseconds(1));
  }
  destroyer.join();
  EXPECT_EQ(outcome->calls(), 1);
  EXPECT_EQ(outcome->value().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(store_.pending(), 0);
}

TEST_F(TokenManagerTest, DestroyedWithALeaseReleaseInFlight) {
  store_.Hold(true);
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  std::shared_ptr<Outcome> outcome = GetLater(account_);
  // read, lease, read again, compare-and-set
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_.RunNext());
  ASSERT_EQ(*outcome->value(), "TOKEN-1");
  ASSERT_EQ(store_.pending(), 1);  // the release: nobody waits for it
  absl::Notification destroyed;
  std::thread destroyer([&] {
    manager_.reset();
    destroyed.Notify();
  });
  EXPECT_FALSE(destroyed.WaitForNotificationWithTimeout(absl::Milliseconds(50)))
      << "the destructor must wait for the release's callback";
  EXPECT_EQ(store_.RunAll(), 1);
  destroyer.join();
  EXPECT_EQ(store_.LeaseOwner(kKey), "");
}

TEST_F(TokenManagerTest, DestroyedWhileAStoreWriteAndARefreshAreInFlight) {
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-1"));
  ASSERT_EQ(*GetNow(account_), "TOKEN-1");
  const Account other{.appid = "wx2", .secret = "other-secret"};
  transport_.Hold(kStablePath);
  std::shared_ptr<Outcome> waiting = GetLater(other);  // a fetch held at WeChat
  store_.Hold(true);
  clock_.Advance(kLifetime * 0.81);
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-2"));
  EXPECT_EQ(manager_->RefreshDue(), 1);  // wx1's refresh: its store read is pending
  std::thread destroyer([&] { manager_.reset(); });
  while (waiting->calls() == 0) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(waiting->value().status().code(), absl::StatusCode::kCancelled);
  while (store_.pending() == 0) absl::SleepFor(absl::Milliseconds(1));
  while (store_.RunAll() > 0 || store_.pending() > 0) {
  }
  destroyer.join();
  EXPECT_THAT(transport_.held(), IsEmpty());
}

}  // namespace
}  // namespace wxgate

namespace wxgate {
namespace {

// --- Third-party platforms (components) --------------------------------------

constexpr char kComponentTokenPath[] = "/cgi-bin/component/api_component_token";
constexpr char kStartPushPath[] = "/cgi-bin/component/api_start_push_ticket";

std::string ComponentTokenJson(absl::string_view token) {
  return nlohmann::json{{"component_access_token", token}, {"expires_in", 7200}}.dump();
}

class ComponentTokenTest : public TokenManagerTest {
 protected:
  absl::Status SetTicket(const std::string& ticket) {
    absl::Status outcome = absl::InternalError("test: `done` did not run");
    manager_->SetComponentTicket(component_, ticket, [&](absl::Status s) { outcome = s; });
    return outcome;
  }

  Account component_{.appid = "wxc", .secret = kSecret};
};

TEST_F(ComponentTokenTest, WithoutATicketTheTokenFailsNamingTheMissingTicket) {
  absl::StatusOr<std::string> token = GetNow(component_, TokenKind::kComponentAccessToken);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(token.status()), "COMPONENT_TICKET_MISSING");
  EXPECT_THAT(token.status().message(), HasSubstr("/wechat/component/wxc"));
  EXPECT_EQ(transport_.count(), 0) << "the ticket is never fetched, nor a token without it";
}

TEST_F(ComponentTokenTest, APushedTicketIsStoredAndFetchesTheTokenAtOnce) {
  ASSERT_EQ(ReasonOf(GetNow(component_, TokenKind::kComponentAccessToken).status()),
            "COMPONENT_TICKET_MISSING");
  ASSERT_TRUE(SetTicket("TICKET-V1").ok());
  std::optional<TokenRecord> stored = store_.Peek("wxc/component_verify_ticket");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, "TICKET-V1");
  EXPECT_EQ(stored->expires_at - stored->fetched_at, absl::Hours(12));

  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C1"));
  // No backoff after the missing ticket: the ticket's arrival ended it.
  EXPECT_EQ(*GetNow(component_, TokenKind::kComponentAccessToken), "TOKEN-C1");
  const std::optional<HttpRequest> sent = transport_.last(kComponentTokenPath);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->method, "POST");
  EXPECT_EQ(nlohmann::json::parse(sent->body),
            (nlohmann::json{{"component_appid", "wxc"},
                            {"component_appsecret", kSecret},
                            {"component_verify_ticket", "TICKET-V1"}}));
  EXPECT_EQ(store_.Peek("wxc/component_access_token")->value, "TOKEN-C1");
  EXPECT_EQ(*GetNow(component_, TokenKind::kComponentAccessToken), "TOKEN-C1");
  EXPECT_EQ(transport_.count(kComponentTokenPath), 1) << "cached";
}

TEST_F(ComponentTokenTest, TheLatestTicketIsUsedAndTicketsAreNeverRefreshedAhead) {
  ASSERT_TRUE(SetTicket("TICKET-V1").ok());
  ASSERT_TRUE(SetTicket("TICKET-V2").ok());
  EXPECT_EQ(store_.Peek("wxc/component_verify_ticket")->value, "TICKET-V2");
  EXPECT_EQ(store_.Peek("wxc/component_verify_ticket")->version, 2);
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C1"));
  ASSERT_TRUE(GetNow(component_, TokenKind::kComponentAccessToken).ok());
  EXPECT_EQ(nlohmann::json::parse(transport_.last(kComponentTokenPath)->body)
                .at("component_verify_ticket"),
            "TICKET-V2");
  clock_.Advance(absl::Minutes(100));  // past the token's refresh point
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C2"));
  EXPECT_EQ(manager_->RefreshDue(), 1) << "the token's refresh only, never the ticket's";
  EXPECT_EQ(transport_.count(), 2);
  EXPECT_EQ(*GetNow(component_, TokenKind::kComponentAccessToken), "TOKEN-C2");
}

TEST_F(ComponentTokenTest, AStoredTicketSurvivesANewManager) {
  ASSERT_TRUE(SetTicket("TICKET-V1").ok());
  MakeManager();  // a restart on the same store
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C1"));
  EXPECT_EQ(*GetNow(component_, TokenKind::kComponentAccessToken), "TOKEN-C1");
  bool asked = true;
  manager_->RequestComponentTicket(component_,
                                   [&](absl::StatusOr<bool> sent) { asked = sent.ok() && *sent; });
  EXPECT_FALSE(asked) << "a ticket is known: WeChat is not asked to push one";
  EXPECT_EQ(transport_.count(kStartPushPath), 0);
}

TEST_F(ComponentTokenTest, ATicketPushedToOneReplicaServesAnotherSharingTheStore) {
  TokenManager other(&fetcher_, &store_,
                     {.now = [this] { return clock_.Now(); }, .lease_owner = "replica-2"});
  ASSERT_TRUE(SetTicket("TICKET-V1").ok());  // the push reached this replica
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C1"));
  absl::StatusOr<std::string> token = absl::InternalError("test: `done` did not run");
  other.Get(component_, TokenKind::kComponentAccessToken,
            [&](absl::StatusOr<std::string> t) { token = std::move(t); });
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "TOKEN-C1");
  EXPECT_EQ(nlohmann::json::parse(transport_.last(kComponentTokenPath)->body)
                .at("component_verify_ticket"),
            "TICKET-V1");
  // And this replica reads the token the other stored instead of fetching one.
  EXPECT_EQ(*GetNow(component_, TokenKind::kComponentAccessToken), "TOKEN-C1");
  EXPECT_EQ(transport_.count(kComponentTokenPath), 1);
}

TEST_F(ComponentTokenTest, RequestComponentTicketAsksWeChatWhenNoneIsKnown) {
  transport_.AnswerJson(kStartPushPath, ErrorJson(0, "ok"));
  absl::StatusOr<bool> sent = absl::InternalError("test: `done` did not run");
  manager_->RequestComponentTicket(component_, [&](absl::StatusOr<bool> s) { sent = s; });
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_TRUE(*sent);
  ASSERT_EQ(transport_.count(kStartPushPath), 1);
  EXPECT_EQ(nlohmann::json::parse(transport_.last(kStartPushPath)->body),
            (nlohmann::json{{"component_appid", "wxc"}, {"component_secret", kSecret}}));
  EXPECT_EQ(LogLines("component_ticket_requested"), 1);

  transport_.AnswerJson(kStartPushPath, ErrorJson(61004, "access clientip is not registered"));
  clock_.Advance(absl::Minutes(2));  // past the backoff of the missing ticket
  manager_->RequestComponentTicket(component_, [&](absl::StatusOr<bool> s) { sent = s; });
  EXPECT_FALSE(sent.ok()) << "the failure reaches `done`";
  EXPECT_EQ(LogLines("component_ticket_request_failed"), 1) << "and the log, not a crash";
}

TEST_F(ComponentTokenTest, AStaleComponentTokenIsInvalidatedOnceAndRefetched) {
  ASSERT_TRUE(SetTicket("TICKET-V1").ok());
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C1"));
  ASSERT_EQ(*GetNow(component_, TokenKind::kComponentAccessToken), "TOKEN-C1");
  EXPECT_TRUE(manager_->Invalidate(component_, TokenKind::kComponentAccessToken, "TOKEN-C1"));
  EXPECT_FALSE(manager_->Invalidate(component_, TokenKind::kComponentAccessToken, "TOKEN-C1"));
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C2"));
  EXPECT_EQ(*GetNow(component_, TokenKind::kComponentAccessToken), "TOKEN-C2");
  EXPECT_EQ(transport_.count(kComponentTokenPath), 2);
}

}  // namespace
}  // namespace wxgate

namespace wxgate {
namespace {

// --- Authorizers: accounts that authorized the component --------------------

constexpr char kQueryAuthPath[] = "/cgi-bin/component/api_query_auth";
constexpr char kAuthorizerTokenPath[] = "/cgi-bin/component/api_authorizer_token";

std::string QueryAuthJson(absl::string_view appid, absl::string_view token,
                          absl::string_view refresh, std::vector<int> sets) {
  nlohmann::json func_info = nlohmann::json::array();
  for (int id : sets) func_info.push_back({{"funcscope_category", {{"id", id}}}});
  return nlohmann::json{{"authorization_info",
                         {{"authorizer_appid", appid},
                          {"authorizer_access_token", token},
                          {"expires_in", 7200},
                          {"authorizer_refresh_token", refresh},
                          {"func_info", func_info}}}}
      .dump();
}
std::string AuthorizerTokenJson(absl::string_view token, absl::string_view refresh) {
  return nlohmann::json{{"authorizer_access_token", token},
                        {"expires_in", 7200},
                        {"authorizer_refresh_token", refresh}}
      .dump();
}

class AuthorizerTokenTest : public ComponentTokenTest {
 protected:
  void SetUp() override {
    ComponentTokenTest::SetUp();
    ASSERT_TRUE(SetTicket("TICKET-V1").ok());
    transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C1"));
  }
  absl::Status Authorize(const std::string& code = "CODE-1") {
    absl::Status outcome = absl::InternalError("test: `done` did not run");
    manager_->Authorize(
        component_, code,
        [&](absl::string_view appid) -> absl::StatusOr<const Account*> {
          if (appid != authorizer_.appid) return absl::NotFoundError("not this test's account");
          return &authorizer_;
        },
        [&](absl::StatusOr<TokenManager::Authorized> authorized) {
          outcome = authorized.status();
          if (authorized.ok()) authorized_sets = authorized->permission_sets;
        });
    return outcome;
  }
  absl::Status Revoke() {
    absl::Status outcome = absl::InternalError("test: `done` did not run");
    manager_->Revoke(authorizer_, [&](absl::Status s) { outcome = s; });
    return outcome;
  }
  std::optional<AuthorizerGrant> StoredGrant() {
    std::optional<TokenRecord> record = store_.Peek("wxc/wxa/authorizer_grant");
    if (!record.has_value()) return std::nullopt;
    return *DecodeAuthorizerGrant(record->value);
  }

  Account authorizer_{.appid = "wxa", .component = &component_};
  std::vector<int> authorized_sets;  // what the last Authorize answered
};

TEST_F(AuthorizerTokenTest, AnAuthorizationCodeIsExchangedAndItsTokenHandedOut) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson("wxa", "TOKEN-A1", "REFRESH-1", {1, 2}));
  ASSERT_TRUE(Authorize().ok());
  const std::optional<HttpRequest> sent = transport_.last(kQueryAuthPath);
  ASSERT_TRUE(sent.has_value());
  EXPECT_THAT(sent->url, HasSubstr("component_access_token=TOKEN-C1"));
  EXPECT_EQ(nlohmann::json::parse(sent->body),
            (nlohmann::json{{"component_appid", "wxc"}, {"authorization_code", "CODE-1"}}));
  EXPECT_EQ(StoredGrant(),
            (AuthorizerGrant{.refresh_token = "REFRESH-1", .permission_sets = {1, 2}}));
  EXPECT_EQ(authorized_sets, (std::vector<int>{1, 2}));
  EXPECT_EQ(store_.Peek("wxc/wxa/access_token")->value, "TOKEN-A1");

  EXPECT_EQ(*GetNow(authorizer_), "TOKEN-A1");
  EXPECT_EQ(transport_.count(kAuthorizerTokenPath), 0) << "the exchange brought the token";
  EXPECT_EQ(LogLines("authorizer_authorized"), 1);
}

TEST_F(AuthorizerTokenTest, TheTokenIsRefreshedWithTheStoredRefreshTokenAndARotatedOneIsKept) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson("wxa", "TOKEN-A1", "REFRESH-1", {1}));
  ASSERT_TRUE(Authorize().ok());
  clock_.Advance(absl::Minutes(100));  // past the refresh point
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C2"));
  transport_.AnswerJson(kAuthorizerTokenPath, AuthorizerTokenJson("TOKEN-A2", "REFRESH-2"));
  EXPECT_GE(manager_->RefreshDue(), 1);
  EXPECT_EQ(*GetNow(authorizer_), "TOKEN-A2");
  const std::optional<HttpRequest> sent = transport_.last(kAuthorizerTokenPath);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(nlohmann::json::parse(sent->body),
            (nlohmann::json{{"component_appid", "wxc"},
                            {"authorizer_appid", "wxa"},
                            {"authorizer_refresh_token", "REFRESH-1"}}));
  EXPECT_EQ(StoredGrant()->refresh_token, "REFRESH-2") << "the rotated one is kept";
  EXPECT_EQ(StoredGrant()->permission_sets, std::vector<int>{1}) << "and the sets with it";
}

TEST_F(AuthorizerTokenTest, ARestartRefreshesWithThePersistedRefreshToken) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson("wxa", "TOKEN-A1", "REFRESH-1", {1}));
  ASSERT_TRUE(Authorize().ok());
  MakeManager();  // a restart on the same store
  EXPECT_EQ(*GetNow(authorizer_), "TOKEN-A1") << "read from the store";
  clock_.Advance(absl::Hours(3));  // expired
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C2"));
  transport_.AnswerJson(kAuthorizerTokenPath, AuthorizerTokenJson("TOKEN-A2", "REFRESH-1"));
  EXPECT_EQ(*GetNow(authorizer_), "TOKEN-A2");
  EXPECT_EQ(nlohmann::json::parse(transport_.last(kAuthorizerTokenPath)->body)
                .at("authorizer_refresh_token"),
            "REFRESH-1");
  EXPECT_EQ(transport_.count(kQueryAuthPath), 1) << "no new authorization needed";
}

TEST_F(AuthorizerTokenTest, AStaleComponentTokenIsRefreshedOnceForTheAuthorizersFetch) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson("wxa", "TOKEN-A1", "REFRESH-1", {1}));
  ASSERT_TRUE(Authorize().ok());
  ASSERT_TRUE(manager_->Invalidate(authorizer_, TokenKind::kAccessToken, "TOKEN-A1"));
  transport_.AnswerJson(kAuthorizerTokenPath, ErrorJson(40001, "invalid credential"));
  transport_.AnswerJson(kComponentTokenPath, ComponentTokenJson("TOKEN-C2"));
  transport_.AnswerJson(kAuthorizerTokenPath, AuthorizerTokenJson("TOKEN-A2", "REFRESH-1"));
  EXPECT_EQ(*GetNow(authorizer_), "TOKEN-A2");
  EXPECT_EQ(transport_.count(kAuthorizerTokenPath), 2);
  EXPECT_THAT(transport_.last(kAuthorizerTokenPath)->url,
              HasSubstr("component_access_token=TOKEN-C2"));
}

TEST_F(AuthorizerTokenTest, AnAccountThatNeverAuthorizedIsUnknownAndWeChatIsNotAsked) {
  absl::StatusOr<std::string> token = GetNow(authorizer_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(token.status()), "UNKNOWN_APPID");
  EXPECT_THAT(token.status().message(), HasSubstr("wxc"));
  EXPECT_EQ(transport_.count(), 0);
}

TEST_F(AuthorizerTokenTest, ARevokedAuthorizerIsRefusedAndNoLongerRefreshed) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson("wxa", "TOKEN-A1", "REFRESH-1", {1}));
  ASSERT_TRUE(Authorize().ok());
  ASSERT_TRUE(Revoke().ok());
  EXPECT_EQ(StoredGrant(), (AuthorizerGrant{.revoked = true})) << "the refresh token is dropped";
  absl::StatusOr<std::string> token = GetNow(authorizer_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(token.status()), "AUTHORIZER_REVOKED");
  clock_.Advance(absl::Minutes(100));
  manager_->RefreshDue();
  EXPECT_EQ(transport_.count(kAuthorizerTokenPath), 0) << "nothing of it is refreshed";

  // Authorizing again brings it back.
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson("wxa", "TOKEN-A3", "REFRESH-3", {1}));
  ASSERT_TRUE(Authorize("CODE-2").ok());
  EXPECT_EQ(*GetNow(authorizer_), "TOKEN-A3");
}

TEST_F(AuthorizerTokenTest, AnotherReplicaSeesARevocationWithinTheRecheck) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson("wxa", "TOKEN-A1", "REFRESH-1", {1}));
  ASSERT_TRUE(Authorize().ok());
  TokenManager other(&fetcher_, &store_,
                     {.grant_recheck = absl::Seconds(5),
                      .now = [this] { return clock_.Now(); },
                      .lease_owner = "replica-2"});
  auto get_there = [&] {
    absl::StatusOr<std::string> token = absl::InternalError("test: `done` did not run");
    other.Get(authorizer_, TokenKind::kAccessToken,
              [&](absl::StatusOr<std::string> t) { token = std::move(t); });
    return token;
  };
  EXPECT_EQ(*get_there(), "TOKEN-A1") << "the grant and the token come from the store";
  ASSERT_TRUE(Revoke().ok());  // the unauthorized push reached this replica
  EXPECT_TRUE(get_there().ok()) << "the other replica trusts its read for 5 s";
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(ReasonOf(get_there().status()), "AUTHORIZER_REVOKED");
}

TEST_F(AuthorizerTokenTest, AnExchangeForAnAccountTheCallerRefusesKeepsNothing) {
  transport_.AnswerJson(kQueryAuthPath, QueryAuthJson("wxb", "TOKEN-B1", "REFRESH-1", {1}));
  EXPECT_TRUE(absl::IsNotFound(Authorize()));
  EXPECT_FALSE(store_.Peek("wxc/wxb/authorizer_grant").has_value()) << "nothing kept";
  EXPECT_FALSE(store_.Peek("wxc/wxb/access_token").has_value());
}

TEST_F(AuthorizerTokenTest, AMalformedExchangeAnswerIsRefusedNamingWhatIsMissing) {
  transport_.AnswerJson(kQueryAuthPath,
                        R"({"authorization_info":{"authorizer_appid":"wxa",)"
                        R"("authorizer_access_token":"TOKEN-A1","expires_in":7200,)"
                        R"("authorizer_refresh_token":"REFRESH-1","func_info":[{"x":1}]}})");
  absl::Status authorized = Authorize();
  EXPECT_EQ(ReasonOf(authorized), "UPSTREAM_SCHEMA");
  EXPECT_THAT(authorized.message(), HasSubstr("funcscope_category.id"));
  EXPECT_FALSE(StoredGrant().has_value());
}

TEST_F(AuthorizerTokenTest, KeysOfAnAuthorizerDoNotMeetTheSameAppidAsAnAccount) {
  Account own{.appid = "wxa", .secret = kSecret};
  transport_.AnswerJson(kStablePath, TokenJson("TOKEN-OWN"));
  EXPECT_EQ(*GetNow(own), "TOKEN-OWN");
  EXPECT_EQ(store_.Peek("wxa/access_token")->value, "TOKEN-OWN");
  EXPECT_EQ(ReasonOf(GetNow(authorizer_).status()), "UNKNOWN_APPID");
}

}  // namespace
}  // namespace wxgate
