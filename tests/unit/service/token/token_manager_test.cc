// TokenManager against the fake WeChat over HTTPS, on a clock the test moves:
// one fetch per cold miss however many callers wait, caching until shortly before
// expiry, refresh ahead, compare-and-swap invalidation, backoff, persistence, the
// force_refresh budget, tickets, and errors that never show the secret.
#include "service/token/token_manager.h"

#include "service/upstream/upstream_client.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/token/memory_token_store.h"
#include "tests/fake_wechat/fake_wechat.h"

namespace wxgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kCertDir = FAKE_WECHAT_CERT_DIR;
constexpr absl::Duration kPatience = absl::Seconds(30);
constexpr char kSecret[] = "s3cr3t-9f8e7d6c5b4a";
constexpr char kStablePath[] = "/cgi-bin/stable_token";
constexpr char kClassicPath[] = "/cgi-bin/token";
// The fake's token lifetime (WeChat's) and the manager's margin before expiry.
constexpr absl::Duration kLifetime = absl::Seconds(7200);
const absl::Duration kMargin = TokenManagerOptions().expiry_margin;

// The token one GetAccessToken call delivered. Shared with the callback.
class TokenOutcome {
 public:
  static AccessTokenProvider::Done Into(std::shared_ptr<TokenOutcome> outcome) {
    return [outcome = std::move(outcome)](absl::StatusOr<std::string> token) {
      absl::MutexLock lock(&outcome->mu_);
      ++outcome->calls_;
      outcome->token_ = std::move(token);
    };
  }

  absl::StatusOr<std::string> Wait() {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ > 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), kPatience)) {
      return absl::DeadlineExceededError("test: `done` never ran");
    }
    return *token_;
  }

  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::StatusOr<std::string>> token_ ABSL_GUARDED_BY(mu_);
};

// A clock only the test moves.
class TestClock {
 public:
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration by) {
    absl::MutexLock lock(&mu_);
    now_ += by;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1700000000);
};

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

class TokenManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<fake::FakeWeChat>(
        fake::FakeWeChatOptions{.cert_file = kCertDir + "/server.pem",
                                .key_file = kCertDir + "/server.key",
                                .endpoints_dir = FAKE_WECHAT_ENDPOINTS_DIR});
    fake_->AddAccount("wx1", kSecret);
    fake_->AddAccount("wx2", "other-secret");
    ASSERT_TRUE(fake_->Start().ok());
    upstream_ = std::make_unique<UpstreamClient>(UpstreamOptions{.ca_file = kCertDir + "/ca.pem"});
    fetcher_ =
        std::make_unique<TokenFetcher>(upstream_.get(), fake_->base_url(), absl::Seconds(20));
    MakeManager();
  }

  void MakeManager(std::string state_file = "") {
    provider_.reset();
    store_ = std::make_unique<MemoryTokenStore>(state_file, [this] { return clock_.Now(); });
    provider_ = std::make_unique<TokenManager>(
        fetcher_.get(), store_.get(),
        TokenManagerOptions{.refresh_jitter = 0, .now = [this] { return clock_.Now(); }});
  }

  // The manager cancels its fetches through the client, so it goes first; the fake last.
  void TearDown() override {
    provider_.reset();
    upstream_.reset();
    fake_.reset();
  }

  bool WaitFor(const std::function<bool()>& condition) {
    const absl::Time deadline = absl::Now() + kPatience;
    while (!condition()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));  // polls: the fake cannot notify
    }
    return true;
  }
  bool WaitForCalls(const std::string& path, int64_t n) {
    return WaitFor([&] { return fake_->CallCount(path) >= n; });
  }

  int64_t FetchCount() { return fake_->CallCount(kStablePath) + fake_->CallCount(kClassicPath); }

  absl::StatusOr<std::string> GetToken(const Account& account) {
    auto outcome = std::make_shared<TokenOutcome>();
    provider_->GetAccessToken(account, TokenOutcome::Into(outcome));
    return outcome->Wait();
  }

  Account account_{.appid = "wx1", .secret = kSecret};
  TestClock clock_;
  std::unique_ptr<fake::FakeWeChat> fake_;
  std::unique_ptr<UpstreamClient> upstream_;
  std::unique_ptr<TokenFetcher> fetcher_;
  std::unique_ptr<MemoryTokenStore> store_;
  std::unique_ptr<TokenManager> provider_;
};

TEST_F(TokenManagerTest, FirstUseFetchesAStableTokenOnceThenServesTheCache) {
  EXPECT_EQ(FetchCount(), 0);
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(FetchCount(), 1);
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);
  EXPECT_EQ(fake_->CallCount(kClassicPath), 0);

  std::optional<fake::FakeWeChat::Request> sent = fake_->LastRequest(kStablePath);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->method, "POST");
  EXPECT_TRUE(sent->query.empty());  // the secret travels in the body, not the URL
  const nlohmann::json body = nlohmann::json::parse(sent->body);
  EXPECT_EQ(body["grant_type"], "client_credential");
  EXPECT_EQ(body["appid"], "wx1");
  EXPECT_EQ(body["secret"], kSecret);

  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::string> again = GetToken(account_);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *token);
  }
  EXPECT_EQ(FetchCount(), 1);
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);
}

TEST_F(TokenManagerTest, ClassicAccountsUseTheClassicEndpoint) {
  account_.token_api = config::v1::TOKEN_API_CLASSIC;
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(fake_->CallCount(kClassicPath), 1);
  EXPECT_EQ(fake_->CallCount(kStablePath), 0);
  std::optional<fake::FakeWeChat::Request> sent = fake_->LastRequest(kClassicPath);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->method, "GET");
  EXPECT_EQ(sent->query["appid"], "wx1");
  EXPECT_EQ(sent->query["grant_type"], "client_credential");

  EXPECT_EQ(*GetToken(account_), *token);
  EXPECT_EQ(fake_->CallCount(kClassicPath), 1);
}

TEST_F(TokenManagerTest, ConcurrentColdMissesShareOneFetch) {
  constexpr int kCallers = 50;
  // The fetch stays in flight long enough for most callers to queue behind it.
  fake_->SetLatency(absl::Milliseconds(200));
  std::vector<std::shared_ptr<TokenOutcome>> outcomes;
  for (int i = 0; i < kCallers; ++i) outcomes.push_back(std::make_shared<TokenOutcome>());
  absl::Notification go;
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      go.WaitForNotification();
      provider_->GetAccessToken(account_, TokenOutcome::Into(outcomes[i]));
    });
  }
  go.Notify();
  for (std::thread& caller : callers) caller.join();

  std::optional<std::string> first;
  for (int i = 0; i < kCallers; ++i) {
    absl::StatusOr<std::string> token = outcomes[i]->Wait();
    ASSERT_TRUE(token.ok()) << "caller " << i << ": " << token.status();
    if (!first) first = *token;
    EXPECT_EQ(*token, *first) << "caller " << i;
  }
  EXPECT_EQ(*first, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);
  EXPECT_EQ(FetchCount(), 1);
  upstream_.reset();  // no callback can still come
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(outcomes[i]->calls(), 1) << "caller " << i;
}

TEST_F(TokenManagerTest, CachedWithinLifetimeAndFetchedAgainPastExpiryMinusMargin) {
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_TRUE(token.ok()) << token.status();

  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(*GetToken(account_), *token);
  clock_.Advance(kLifetime - kMargin - absl::Hours(1) - absl::Seconds(1));  // 1 s to spare
  EXPECT_EQ(*GetToken(account_), *token);
  EXPECT_EQ(FetchCount(), 1);
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);

  clock_.Advance(absl::Seconds(2));  // past expiry minus the margin
  absl::StatusOr<std::string> renewed = GetToken(account_);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(FetchCount(), 2);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
  // ... and only one: the renewed token is cached in turn.
  EXPECT_EQ(*GetToken(account_), *renewed);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
}

TEST_F(TokenManagerTest, InvalidatingTheCurrentTokenFetchesOnNextUse) {
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_TRUE(token.ok()) << token.status();
  fake_->RevokeAccessTokens("wx1");  // as when WeChat answers 40001 for it
  provider_->Invalidate(account_, *token);
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);  // lazily: nothing fetched yet

  absl::StatusOr<std::string> fresh = GetToken(account_);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(*fresh, *token);
  EXPECT_EQ(*fresh, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(FetchCount(), 2);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
}

TEST_F(TokenManagerTest, InvalidatingAnOlderTokenKeepsTheCurrentOne) {
  // Two calls failed with T1; the first invalidates it and gets T2; the second's
  // late Invalidate(T1) must not throw T2 away.
  absl::StatusOr<std::string> t1 = GetToken(account_);
  ASSERT_TRUE(t1.ok()) << t1.status();
  fake_->RevokeAccessTokens("wx1");
  provider_->Invalidate(account_, *t1);
  absl::StatusOr<std::string> t2 = GetToken(account_);
  ASSERT_TRUE(t2.ok()) << t2.status();
  ASSERT_NE(*t1, *t2);

  provider_->Invalidate(account_, *t1);
  provider_->Invalidate(account_, "");
  provider_->Invalidate(Account{.appid = "wx-unknown"}, *t2);
  EXPECT_EQ(*GetToken(account_), *t2);
  EXPECT_EQ(FetchCount(), 2);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
}

TEST_F(TokenManagerTest, WrongSecretFailsEveryWaiterWithoutShowingTheSecret) {
  for (config::v1::TokenApi api : {config::v1::TOKEN_API_STABLE, config::v1::TOKEN_API_CLASSIC}) {
    SCOPED_TRACE(config::v1::TokenApi_Name(api));
    const std::string wrong = absl::StrCat("wrong-secret-", config::v1::TokenApi_Name(api));
    const Account account{.appid = "wx1", .secret = wrong, .token_api = api};
    fake_->SetLatency(absl::Milliseconds(100));  // so that the waiters pile up
    std::vector<std::shared_ptr<TokenOutcome>> outcomes;
    for (int i = 0; i < 5; ++i) {
      outcomes.push_back(std::make_shared<TokenOutcome>());
      provider_->GetAccessToken(account, TokenOutcome::Into(outcomes.back()));
    }
    for (const auto& outcome : outcomes) {
      absl::StatusOr<std::string> token = outcome->Wait();
      ASSERT_FALSE(token.ok());
      EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition) << token.status();
      EXPECT_EQ(ReasonOf(token.status()), "WECHAT_40125") << token.status();
      EXPECT_THAT(token.status().ToString(), Not(HasSubstr(wrong)));
      EXPECT_THAT(token.status().ToString(), Not(HasSubstr(kSecret)));
    }
    clock_.Advance(absl::Minutes(1));  // past the backoff
  }
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);
  EXPECT_EQ(fake_->CallCount(kClassicPath), 1);
}

TEST_F(TokenManagerTest, FailedFetchesBackOffAndDoNotShowTheSecret) {
  account_.token_api = config::v1::TOKEN_API_CLASSIC;  // secret in the query string
  fake_->InjectFailure(kClassicPath, fake::Failure::CloseWithoutAnswer());
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(ReasonOf(token.status()), "UPSTREAM_TRUNCATED") << token.status();
  EXPECT_THAT(token.status().ToString(), Not(HasSubstr(kSecret)));
  const int64_t after_first = FetchCount();

  // Within the backoff the error comes back at once, without asking WeChat.
  EXPECT_EQ(ReasonOf(GetToken(account_).status()), "UPSTREAM_TRUNCATED");
  EXPECT_EQ(FetchCount(), after_first);
  EXPECT_THAT(provider_->Status(account_, TokenKind::kAccessToken).last_error,
              HasSubstr("closed the connection"));

  clock_.Advance(TokenManagerOptions().min_backoff);
  fake_->InjectFailure(kClassicPath, fake::Failure::HttpStatus(503));
  token = GetToken(account_);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable) << token.status();
  EXPECT_THAT(token.status().ToString(), Not(HasSubstr(kSecret)));
  const int64_t after_second = FetchCount();
  EXPECT_GT(after_second, after_first);

  clock_.Advance(TokenManagerOptions().min_backoff);  // the backoff doubled: not yet
  EXPECT_FALSE(GetToken(account_).ok());
  EXPECT_EQ(FetchCount(), after_second);

  clock_.Advance(TokenManagerOptions().min_backoff);
  token = GetToken(account_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(FetchCount(), after_second + 1);
  EXPECT_EQ(provider_->Status(account_, TokenKind::kAccessToken).last_error, "");
}

TEST_F(TokenManagerTest, AccountsHaveTheirOwnTokensAndFetchesAreCounted) {
  const Account other{.appid = "wx2", .secret = "other-secret"};
  absl::StatusOr<std::string> first = GetToken(account_);
  absl::StatusOr<std::string> second = GetToken(other);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*first, *second);
  EXPECT_EQ(*second, fake_->CurrentAccessToken("wx2"));
  EXPECT_EQ(FetchCount(), 2);

  provider_->Invalidate(other, *second);  // only wx2's token goes
  EXPECT_EQ(*GetToken(account_), *first);
  ASSERT_TRUE(GetToken(other).ok());
  // stable_token's normal mode hands back the token said to be rejected, so the
  // manager also spends one force_refresh.
  EXPECT_EQ(FetchCount(), 4);
  EXPECT_EQ(fake_->CallCount(kStablePath), 4);
}

// Destroying the provider cancels its fetch; the callback never touches freed memory.
TEST_F(TokenManagerTest, DestroyedWhileAFetchIsInFlight) {
  fake_->SetLatency(absl::Seconds(60));
  auto outcome = std::make_shared<TokenOutcome>();
  provider_->GetAccessToken(account_, TokenOutcome::Into(outcome));
  const absl::Time deadline = absl::Now() + kPatience;
  while (fake_->CallCount(kStablePath) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));  // polls: the fake cannot notify
  }
  ASSERT_EQ(fake_->CallCount(kStablePath), 1);
  provider_.reset();  // cancels the fetch and waits for its callback
  EXPECT_EQ(outcome->calls(), 1);
  upstream_.reset();
}

TEST_F(TokenManagerTest, ColdStartStormCausesOneFetch) {
  fake_->SetLatency(absl::Milliseconds(200));  // so that every caller arrives first
  constexpr int kCallers = 1000;
  std::vector<std::shared_ptr<TokenOutcome>> outcomes;
  for (int i = 0; i < kCallers; ++i) {
    outcomes.push_back(std::make_shared<TokenOutcome>());
    provider_->GetAccessToken(account_, TokenOutcome::Into(outcomes.back()));
  }
  for (const auto& outcome : outcomes) {
    absl::StatusOr<std::string> token = outcome->Wait();
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_EQ(*token, fake_->CurrentAccessToken("wx1"));
  }
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);
}

TEST_F(TokenManagerTest, RefreshAheadKeepsServingTheOldTokenUntilTheNewOneArrives) {
  absl::StatusOr<std::string> first = GetToken(account_);
  ASSERT_TRUE(first.ok());
  clock_.Advance(kLifetime * 0.79);
  EXPECT_EQ(provider_->RefreshDue(), 0) << "not due before 80% of the lifetime";

  clock_.Advance(kLifetime * 0.02);
  fake_->SetLatency(absl::Seconds(60));  // hold the refresh in flight
  fake_->RevokeAccessTokens("wx1");      // so that stable_token issues a new one
  EXPECT_EQ(provider_->RefreshDue(), 1);
  ASSERT_TRUE(WaitForCalls(kStablePath, 2));
  EXPECT_EQ(*GetToken(account_), *first) << "callers never wait while a valid token exists";

  fake_->SetLatency(absl::ZeroDuration());
  provider_.reset();  // cancels the held refresh
  MakeManager();
  absl::StatusOr<std::string> second = GetToken(account_);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *first);
}

TEST_F(TokenManagerTest, RefreshAheadReplacesTheToken) {
  account_.token_api = config::v1::TOKEN_API_CLASSIC;  // every fetch issues a new token
  absl::StatusOr<std::string> first = GetToken(account_);
  ASSERT_TRUE(first.ok());
  clock_.Advance(kLifetime * 0.81);
  EXPECT_EQ(provider_->RefreshDue(), 1);
  ASSERT_TRUE(
      WaitFor([&] { return provider_->Status(account_, TokenKind::kAccessToken).fetches == 2; }));
  absl::StatusOr<std::string> second = GetToken(account_);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, *first);
  EXPECT_EQ(*second, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(FetchCount(), 2);
  EXPECT_EQ(provider_->RefreshDue(), 0);
}

TEST_F(TokenManagerTest, PersistedTokenSurvivesARestart) {
  const std::string state_file = absl::StrCat(::testing::TempDir(), "/tokens-restart.json");
  std::remove(state_file.c_str());
  MakeManager(state_file);
  absl::StatusOr<std::string> first = GetToken(account_);
  ASSERT_TRUE(first.ok());
  struct stat info {};
  ASSERT_EQ(stat(state_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600) << "the file holds tokens";

  MakeManager(state_file);  // a restart
  absl::StatusOr<std::string> again = GetToken(account_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(FetchCount(), 1) << "no fetch after a restart with a valid token";
}

TEST_F(TokenManagerTest, CorruptStateFileIsMovedAsideAndTokensFetched) {
  const std::string state_file = absl::StrCat(::testing::TempDir(), "/tokens-corrupt.json");
  {
    std::ofstream out(state_file);
    out << "{not json";
  }
  MakeManager(state_file);
  EXPECT_THAT(store_->load_warning(), HasSubstr(".corrupt"));
  EXPECT_TRUE(GetToken(account_).ok());
  EXPECT_EQ(FetchCount(), 1);
  std::ifstream aside(state_file + ".corrupt");
  EXPECT_TRUE(aside.good());
}

TEST_F(TokenManagerTest, RejectedTokenHandedBackSpendsOneForceRefresh) {
  absl::StatusOr<std::string> first = GetToken(account_);
  ASSERT_TRUE(first.ok());
  // WeChat rejected `first` (40001) while stable_token's normal mode still returns it.
  EXPECT_TRUE(provider_->Invalidate(account_, TokenKind::kAccessToken, *first));
  EXPECT_FALSE(provider_->Invalidate(account_, TokenKind::kAccessToken, *first)) << "CAS";
  absl::StatusOr<std::string> second = GetToken(account_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*second, *first);
  EXPECT_EQ(fake_->CallCount(kStablePath), 3) << "normal mode, then force_refresh";
  EXPECT_EQ(provider_->Status(account_, TokenKind::kAccessToken).force_refresh_left,
            ForceRefreshBudget::kPerDay - 1);

  // Again within 30 s: the budget refuses rather than invalidate everyone's token.
  EXPECT_TRUE(provider_->Invalidate(account_, TokenKind::kAccessToken, *second));
  absl::StatusOr<std::string> third = GetToken(account_);
  EXPECT_EQ(ReasonOf(third.status()), "FORCE_REFRESH_TOO_SOON") << third.status();
}

TEST_F(TokenManagerTest, TicketsAreFetchedWithTheAccessTokenAndCached) {
  auto outcome = std::make_shared<TokenOutcome>();
  provider_->Get(account_, TokenKind::kJsapiTicket, TokenOutcome::Into(outcome));
  absl::StatusOr<std::string> ticket = outcome->Wait();
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  EXPECT_FALSE(ticket->empty());
  std::optional<fake::FakeWeChat::Request> sent = fake_->LastRequest("/cgi-bin/ticket/getticket");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->query.at("type"), "jsapi");
  EXPECT_EQ(sent->query.at("access_token"), fake_->CurrentAccessToken("wx1"));

  auto again = std::make_shared<TokenOutcome>();
  provider_->Get(account_, TokenKind::kJsapiTicket, TokenOutcome::Into(again));
  EXPECT_EQ(*again->Wait(), *ticket);
  EXPECT_EQ(fake_->CallCount("/cgi-bin/ticket/getticket"), 1);
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);
}

TEST_F(TokenManagerTest, TicketFetchRefreshesAStaleAccessTokenOnce) {
  ASSERT_TRUE(GetToken(account_).ok());
  fake_->RevokeAccessTokens("wx1");
  auto outcome = std::make_shared<TokenOutcome>();
  provider_->Get(account_, TokenKind::kWxCardTicket, TokenOutcome::Into(outcome));
  ASSERT_TRUE(outcome->Wait().ok()) << outcome->Wait().status();
  EXPECT_EQ(fake_->LastRequest("/cgi-bin/ticket/getticket")->query.at("type"), "wx_card");
  EXPECT_EQ(fake_->CallCount("/cgi-bin/ticket/getticket"), 2);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
}

}  // namespace
}  // namespace wxgate
