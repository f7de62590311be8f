// MemoryTokenProvider against the fake WeChat over HTTPS, on a clock the test moves:
// one fetch per cold miss however many callers wait, caching until shortly before
// expiry, compare-and-swap invalidation, and errors that never show the secret.
#include "service/token/memory_token_provider.h"

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
// The fake's token lifetime (WeChat's) and the provider's safety margin before it
// (kExpiryMargin in service/token/memory_token_provider.cc).
constexpr absl::Duration kLifetime = absl::Seconds(7200);
constexpr absl::Duration kMargin = absl::Minutes(6);

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

class MemoryTokenProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<fake::FakeWeChat>(fake::FakeWeChatOptions{
        .cert_file = kCertDir + "/server.pem", .key_file = kCertDir + "/server.key"});
    fake_->AddAccount("wx1", kSecret);
    fake_->AddAccount("wx2", "other-secret");
    ASSERT_TRUE(fake_->Start().ok());
    upstream_ = std::make_unique<UpstreamClient>(UpstreamOptions{.ca_file = kCertDir + "/ca.pem"});
    provider_ = std::make_unique<MemoryTokenProvider>(
        upstream_.get(), fake_->base_url(), absl::Seconds(20), [this] { return clock_.Now(); });
  }

  // Teardown order: the provider's fetch callbacks point at it, so the client (whose
  // destructor runs them) goes first; the fake last.
  void TearDown() override {
    upstream_.reset();
    provider_.reset();
    fake_.reset();
  }

  absl::StatusOr<std::string> GetToken(const Account& account) {
    auto outcome = std::make_shared<TokenOutcome>();
    provider_->GetAccessToken(account, TokenOutcome::Into(outcome));
    return outcome->Wait();
  }

  Account account_{.appid = "wx1", .secret = kSecret};
  TestClock clock_;
  std::unique_ptr<fake::FakeWeChat> fake_;
  std::unique_ptr<UpstreamClient> upstream_;
  std::unique_ptr<MemoryTokenProvider> provider_;
};

TEST_F(MemoryTokenProviderTest, FirstUseFetchesAStableTokenOnceThenServesTheCache) {
  EXPECT_EQ(provider_->fetch_count(), 0);
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(provider_->fetch_count(), 1);
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
  EXPECT_EQ(provider_->fetch_count(), 1);
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);
}

TEST_F(MemoryTokenProviderTest, ClassicAccountsUseTheClassicEndpoint) {
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

TEST_F(MemoryTokenProviderTest, ConcurrentColdMissesShareOneFetch) {
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
  EXPECT_EQ(provider_->fetch_count(), 1);
  upstream_.reset();  // no callback can still come
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(outcomes[i]->calls(), 1) << "caller " << i;
}

TEST_F(MemoryTokenProviderTest, CachedWithinLifetimeAndFetchedAgainPastExpiryMinusMargin) {
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_TRUE(token.ok()) << token.status();

  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(*GetToken(account_), *token);
  clock_.Advance(kLifetime - kMargin - absl::Hours(1) - absl::Seconds(1));  // 1 s to spare
  EXPECT_EQ(*GetToken(account_), *token);
  EXPECT_EQ(provider_->fetch_count(), 1);
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);

  clock_.Advance(absl::Seconds(2));  // past expiry minus the margin
  absl::StatusOr<std::string> renewed = GetToken(account_);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(provider_->fetch_count(), 2);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
  // ... and only one: the renewed token is cached in turn.
  EXPECT_EQ(*GetToken(account_), *renewed);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
}

TEST_F(MemoryTokenProviderTest, InvalidatingTheCurrentTokenFetchesOnNextUse) {
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_TRUE(token.ok()) << token.status();
  fake_->RevokeAccessTokens("wx1");  // as when WeChat answers 40001 for it
  provider_->Invalidate(account_, *token);
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);  // lazily: nothing fetched yet

  absl::StatusOr<std::string> fresh = GetToken(account_);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(*fresh, *token);
  EXPECT_EQ(*fresh, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(provider_->fetch_count(), 2);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
}

TEST_F(MemoryTokenProviderTest, InvalidatingAnOlderTokenKeepsTheCurrentOne) {
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
  EXPECT_EQ(provider_->fetch_count(), 2);
  EXPECT_EQ(fake_->CallCount(kStablePath), 2);
}

TEST_F(MemoryTokenProviderTest, WrongSecretFailsEveryWaiterWithoutShowingTheSecret) {
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
  }
  EXPECT_EQ(fake_->CallCount(kStablePath), 1);
  EXPECT_EQ(fake_->CallCount(kClassicPath), 1);
}

TEST_F(MemoryTokenProviderTest, TransportFailureIsNotCachedAndDoesNotShowTheSecret) {
  account_.token_api = config::v1::TOKEN_API_CLASSIC;  // secret in the query string
  fake_->InjectFailure(kClassicPath, fake::Failure::CloseWithoutAnswer());
  absl::StatusOr<std::string> token = GetToken(account_);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(ReasonOf(token.status()), "UPSTREAM_TRUNCATED") << token.status();
  EXPECT_THAT(token.status().ToString(), Not(HasSubstr(kSecret)));

  fake_->InjectFailure(kClassicPath, fake::Failure::HttpStatus(503));
  token = GetToken(account_);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable) << token.status();
  EXPECT_THAT(token.status().ToString(), Not(HasSubstr(kSecret)));

  token = GetToken(account_);  // the failures were not cached
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, fake_->CurrentAccessToken("wx1"));
  EXPECT_EQ(provider_->fetch_count(), 3);
}

TEST_F(MemoryTokenProviderTest, AccountsHaveTheirOwnTokensAndFetchesAreCounted) {
  const Account other{.appid = "wx2", .secret = "other-secret"};
  absl::StatusOr<std::string> first = GetToken(account_);
  absl::StatusOr<std::string> second = GetToken(other);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(*first, *second);
  EXPECT_EQ(*second, fake_->CurrentAccessToken("wx2"));
  EXPECT_EQ(provider_->fetch_count(), 2);

  provider_->Invalidate(other, *second);  // only wx2's token goes
  EXPECT_EQ(*GetToken(account_), *first);
  ASSERT_TRUE(GetToken(other).ok());
  EXPECT_EQ(provider_->fetch_count(), 3);
  EXPECT_EQ(fake_->CallCount(kStablePath), 3);
}

// Destroying the provider cancels its fetch; the callback never touches freed memory.
TEST_F(MemoryTokenProviderTest, DestroyedWhileAFetchIsInFlight) {
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

}  // namespace
}  // namespace wxgate
