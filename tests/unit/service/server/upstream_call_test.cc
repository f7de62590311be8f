// UpstreamCall with a scripted token provider and the real UpstreamClient against the
// fake WeChat's /fake/echo (which checks any access_token it is sent): one retry on a
// stale token and no more, no retry otherwise, deadlines, cancellation, and errors
// passed through unchanged.
#include "service/server/upstream_call.h"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/error_info.h"
#include "tests/fake_wechat/fake_wechat.h"

namespace wxgate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kCertDir = FAKE_WECHAT_CERT_DIR;
constexpr absl::Duration kPatience = absl::Seconds(30);
constexpr char kEcho[] = "/fake/echo";

// Hands out tokens from a script (the last one repeats) and records Invalidate.
// With HoldAnswers(), GetAccessToken keeps its callbacks until ReleaseHeld().
class ScriptedTokenProvider : public AccessTokenProvider {
 public:
  void Script(std::vector<absl::StatusOr<std::string>> tokens) {
    absl::MutexLock lock(&mu_);
    script_.assign(tokens.begin(), tokens.end());
  }
  // Back to a blank provider: no script, nothing held or recorded.
  void Reset() {
    absl::MutexLock lock(&mu_);
    script_.clear();
    hold_ = false;
    held_.clear();
    asked_for_.clear();
    invalidated_.clear();
  }
  void HoldAnswers() {
    absl::MutexLock lock(&mu_);
    hold_ = true;
  }
  void ReleaseHeld() {
    std::vector<std::pair<Done, absl::StatusOr<std::string>>> answers;
    {
      absl::MutexLock lock(&mu_);
      hold_ = false;
      for (Done& done : held_) answers.emplace_back(std::move(done), NextLocked());
      held_.clear();
    }
    for (auto& [done, token] : answers) std::move(done)(std::move(token));
  }

  void GetAccessToken(const Account& account, Done done) override {
    absl::StatusOr<std::string> token;
    {
      absl::MutexLock lock(&mu_);
      asked_for_.push_back(account.appid);
      if (hold_) {
        held_.push_back(std::move(done));
        return;
      }
      token = NextLocked();
    }
    std::move(done)(std::move(token));
  }

  void Invalidate(const Account& account, absl::string_view token) override {
    absl::MutexLock lock(&mu_);
    invalidated_.emplace_back(token);
  }

  int asks() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(asked_for_.size());
  }
  std::vector<std::string> invalidated() {
    absl::MutexLock lock(&mu_);
    return invalidated_;
  }

 private:
  absl::StatusOr<std::string> NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (script_.empty()) return absl::InternalError("test: the token script ran out");
    absl::StatusOr<std::string> token = script_.front();
    if (script_.size() > 1) script_.pop_front();
    return token;
  }

  absl::Mutex mu_;
  std::deque<absl::StatusOr<std::string>> script_ ABSL_GUARDED_BY(mu_);
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Done> held_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> asked_for_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> invalidated_ ABSL_GUARDED_BY(mu_);
};

// What `build` was called with; the requests it makes go to /fake/echo.
class EchoBuilder {
 public:
  explicit EchoBuilder(std::string base_url) : base_url_(std::move(base_url)) {}

  UpstreamCall::Build Build() {
    return [this](const CallCredential& credential,
                  absl::Duration timeout) -> absl::StatusOr<HttpRequest> {
      {
        absl::MutexLock lock(&mu_);
        credentials_.push_back(credential);
        timeouts_.push_back(timeout);
      }
      std::string url = absl::StrCat(base_url_, kEcho, "?openid=o1");
      if (!credential.access_token.empty()) {
        absl::StrAppend(&url, "&access_token=", credential.access_token);
      }
      return HttpRequest{.method = "GET", .url = url, .timeout = timeout};
    };
  }

  std::vector<std::string> tokens() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> tokens;
    for (const CallCredential& credential : credentials_) tokens.push_back(credential.access_token);
    return tokens;
  }
  std::vector<CallCredential> credentials() {
    absl::MutexLock lock(&mu_);
    return credentials_;
  }
  std::vector<absl::Duration> timeouts() {
    absl::MutexLock lock(&mu_);
    return timeouts_;
  }

 private:
  const std::string base_url_;
  absl::Mutex mu_;
  std::vector<CallCredential> credentials_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> timeouts_ ABSL_GUARDED_BY(mu_);
};

// The outcome of one call. Shared with its `done`.
class CallOutcome {
 public:
  static UpstreamCall::Done Into(std::shared_ptr<CallOutcome> outcome) {
    return [outcome = std::move(outcome)](absl::StatusOr<CheckedAnswer> answer) {
      absl::MutexLock lock(&outcome->mu_);
      ++outcome->calls_;
      if (answer.ok()) {
        outcome->answer_ = std::move(answer->json);
      } else {
        outcome->answer_ = answer.status();
      }
    };
  }

  absl::StatusOr<nlohmann::json> Wait() {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ > 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), kPatience)) {
      return absl::DeadlineExceededError("test: `done` never ran");
    }
    return *answer_;
  }

  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::StatusOr<nlohmann::json>> answer_ ABSL_GUARDED_BY(mu_);
};

// Polls state the test cannot be notified of (the fake's counters).
bool Eventually(absl::FunctionRef<bool()> condition) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

class UpstreamCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<fake::FakeWeChat>(fake::FakeWeChatOptions{
        .cert_file = kCertDir + "/server.pem", .key_file = kCertDir + "/server.key"});
    fake_->AddAccount("wx1", "secret-1");
    ASSERT_TRUE(fake_->Start().ok());
    upstream_ = std::make_unique<UpstreamClient>(UpstreamOptions{.ca_file = kCertDir + "/ca.pem"});
    builder_ = std::make_unique<EchoBuilder>(fake_->base_url());
    deps_ = {.upstream = upstream_.get(),
             .tokens = &tokens_,
             .base_url = fake_->base_url(),
             .timeout = absl::Seconds(20)};
  }

  // Pending transfers hold calls, whose callbacks use deps_, account_ and tokens_:
  // the client (which runs them as it goes) is destroyed first.
  void TearDown() override {
    upstream_.reset();
    fake_.reset();
  }

  // A real token for wx1 from the fake's classic endpoint (each call issues a new one).
  std::string IssueToken() {
    struct Issued {
      absl::Notification done;
      std::string token;
    };
    auto issued = std::make_shared<Issued>();
    upstream_->Send({.method = "GET",
                     .url = absl::StrCat(fake_->base_url(),
                                         "/cgi-bin/token?grant_type=client_credential&appid=wx1&"
                                         "secret=secret-1")},
                    [issued](absl::StatusOr<HttpResponse> answer) {
                      if (answer.ok()) {
                        nlohmann::json json = nlohmann::json::parse(answer->body, nullptr, false);
                        if (json.contains("access_token")) issued->token = json["access_token"];
                      }
                      issued->done.Notify();
                    });
    if (!issued->done.WaitForNotificationWithTimeout(kPatience)) return "";
    fake_->ResetCounters();
    return issued->token;
  }

  std::shared_ptr<UpstreamCall> Start(bool needs_token, std::shared_ptr<CallOutcome> outcome,
                                      absl::Time deadline) {
    auto call = UpstreamCall::Create(deps_, account_, needs_token, builder_->Build(), deadline,
                                     CallOutcome::Into(std::move(outcome)));
    call->Begin();
    return call;
  }

  absl::StatusOr<nlohmann::json> Run(bool needs_token = true,
                                     absl::Time deadline = absl::Now() + absl::Seconds(20)) {
    auto outcome = std::make_shared<CallOutcome>();
    Start(needs_token, outcome, deadline);
    absl::StatusOr<nlohmann::json> answer = outcome->Wait();
    EXPECT_EQ(outcome->calls(), 1);
    return answer;
  }

  std::unique_ptr<fake::FakeWeChat> fake_;
  ScriptedTokenProvider tokens_;
  const Account account_{.appid = "wx1", .secret = "secret-1"};
  std::unique_ptr<UpstreamClient> upstream_;
  std::unique_ptr<EchoBuilder> builder_;
  UpstreamDeps deps_;
};

TEST_F(UpstreamCallTest, ValidTokenIsSentOnce) {
  const std::string token = IssueToken();
  ASSERT_FALSE(token.empty());
  tokens_.Script({token});
  absl::StatusOr<nlohmann::json> answer = Run();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ((*answer)["appid"], "wx1");
  EXPECT_EQ((*answer)["query"]["access_token"], token);
  EXPECT_EQ(tokens_.asks(), 1);
  EXPECT_THAT(tokens_.invalidated(), IsEmpty());
  EXPECT_EQ(fake_->CallCount(kEcho), 1);
  std::vector<CallCredential> credentials = builder_->credentials();
  ASSERT_EQ(credentials.size(), 1u);
  EXPECT_EQ(credentials[0].appid, "wx1");
  EXPECT_EQ(credentials[0].secret, "secret-1");
}

TEST_F(UpstreamCallTest, RevokedTokenIsInvalidatedAndRetriedOnceWithTheNewOne) {
  const std::string old_token = IssueToken();
  fake_->RevokeAccessTokens("wx1");  // WeChat now answers 40001 for it
  const std::string new_token = IssueToken();
  ASSERT_FALSE(old_token.empty());
  ASSERT_FALSE(new_token.empty());
  tokens_.Script({old_token, new_token});

  absl::StatusOr<nlohmann::json> answer = Run();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ((*answer)["query"]["access_token"], new_token);
  EXPECT_THAT(tokens_.invalidated(), ElementsAre(old_token));
  EXPECT_EQ(tokens_.asks(), 2);
  EXPECT_THAT(builder_->tokens(), ElementsAre(old_token, new_token));
  EXPECT_EQ(fake_->CallCount(kEcho), 2);
}

TEST_F(UpstreamCallTest, EveryStaleTokenErrcodeIsRetried) {
  const std::string first = IssueToken();
  const std::string second = IssueToken();  // both valid: the first overlaps for 5 min
  for (int errcode : {40001, 40014, 42001}) {
    SCOPED_TRACE(errcode);
    fake_->ResetCounters();
    tokens_.Reset();
    tokens_.Script({first, second});
    fake_->InjectFailure(kEcho, fake::Failure::Errcode(errcode, "stale"));
    absl::StatusOr<nlohmann::json> answer = Run();
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ((*answer)["query"]["access_token"], second);
    EXPECT_THAT(tokens_.invalidated(), ElementsAre(first));
    EXPECT_EQ(fake_->CallCount(kEcho), 2);
  }
}

TEST_F(UpstreamCallTest, SecondStaleAnswerIsReturnedWithoutAnotherRetry) {
  tokens_.Script({"unknown-token-1", "unknown-token-2", "unknown-token-3"});
  absl::StatusOr<nlohmann::json> answer = Run();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnauthenticated) << answer.status();
  EXPECT_EQ(ReasonOf(answer.status()), "WECHAT_40001") << answer.status();
  EXPECT_THAT(tokens_.invalidated(), ElementsAre("unknown-token-1"));
  EXPECT_EQ(tokens_.asks(), 2);
  EXPECT_EQ(fake_->CallCount(kEcho), 2);
  upstream_.reset();  // nothing left running that could retry again
  EXPECT_EQ(fake_->CallCount(kEcho), 2);
}

TEST_F(UpstreamCallTest, OtherErrorsAreNotRetried) {
  const std::string token = IssueToken();
  tokens_.Script({token});
  fake_->InjectFailure(kEcho, fake::Failure::Errcode(40003, "invalid openid"));
  absl::StatusOr<nlohmann::json> answer = Run();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument) << answer.status();
  EXPECT_EQ(ReasonOf(answer.status()), "WECHAT_40003");

  fake_->InjectFailure(kEcho, fake::Failure::HttpStatus(502));
  answer = Run();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();

  EXPECT_THAT(tokens_.invalidated(), IsEmpty());
  EXPECT_EQ(tokens_.asks(), 2);
  EXPECT_EQ(fake_->CallCount(kEcho), 2);
}

TEST_F(UpstreamCallTest, WithoutTokenTheProviderIsNeverAsked) {
  absl::StatusOr<nlohmann::json> answer = Run(/*needs_token=*/false);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->contains("appid"));  // no token reached the fake
  EXPECT_EQ((*answer)["query"], nlohmann::json({{"openid", "o1"}}));
  std::vector<CallCredential> credentials = builder_->credentials();
  ASSERT_EQ(credentials.size(), 1u);
  EXPECT_TRUE(credentials[0].access_token.empty());
  EXPECT_EQ(credentials[0].appid, "wx1");

  // Not even a stale-token errcode makes it ask: there was no token to refresh.
  fake_->InjectFailure(kEcho, fake::Failure::Errcode(40001, "stale"));
  answer = Run(/*needs_token=*/false);
  EXPECT_EQ(ReasonOf(answer.status()), "WECHAT_40001") << answer.status();
  EXPECT_EQ(tokens_.asks(), 0);
  EXPECT_THAT(tokens_.invalidated(), IsEmpty());
  EXPECT_EQ(fake_->CallCount(kEcho), 2);
}

TEST_F(UpstreamCallTest, PassedDeadlineFailsWithoutCallingUpstream) {
  tokens_.Script({"any-token"});
  for (bool needs_token : {true, false}) {
    SCOPED_TRACE(needs_token);
    absl::StatusOr<nlohmann::json> answer = Run(needs_token, absl::Now() - absl::Seconds(1));
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kDeadlineExceeded) << answer.status();
  }
  EXPECT_THAT(builder_->credentials(), IsEmpty());
  EXPECT_EQ(fake_->CallCount(kEcho), 0);
  EXPECT_EQ(upstream_->active_transfers(), 0);
}

TEST_F(UpstreamCallTest, TransferTimeoutIsTheSmallerOfDeadlineAndConfiguredTimeout) {
  deps_.timeout = absl::Seconds(7);
  ASSERT_TRUE(Run(/*needs_token=*/false, absl::Now() + absl::Seconds(60)).ok());
  ASSERT_TRUE(Run(/*needs_token=*/false, absl::Now() + absl::Seconds(2)).ok());
  std::vector<absl::Duration> timeouts = builder_->timeouts();
  ASSERT_EQ(timeouts.size(), 2u);
  EXPECT_EQ(timeouts[0], absl::Seconds(7));
  EXPECT_GT(timeouts[1], absl::ZeroDuration());
  EXPECT_LE(timeouts[1], absl::Seconds(2));
}

TEST_F(UpstreamCallTest, CancelBeforeTheTokenArrivesNeverCallsUpstream) {
  const std::string token = IssueToken();
  tokens_.Script({token});
  tokens_.HoldAnswers();
  auto outcome = std::make_shared<CallOutcome>();
  std::shared_ptr<UpstreamCall> call =
      Start(/*needs_token=*/true, outcome, absl::Now() + absl::Seconds(20));
  EXPECT_EQ(tokens_.asks(), 1);
  EXPECT_EQ(outcome->calls(), 0);
  call->Cancel();
  tokens_.ReleaseHeld();
  absl::StatusOr<nlohmann::json> answer = outcome->Wait();
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kCancelled) << answer.status();
  EXPECT_EQ(upstream_->active_transfers(), 0);
  upstream_.reset();
  EXPECT_EQ(fake_->CallCount(kEcho), 0);
  EXPECT_EQ(outcome->calls(), 1);
}

TEST_F(UpstreamCallTest, CancelDuringTheTransferAbortsIt) {
  const std::string token = IssueToken();
  tokens_.Script({token});
  fake_->SetLatency(absl::Seconds(60));
  auto outcome = std::make_shared<CallOutcome>();
  std::shared_ptr<UpstreamCall> call =
      Start(/*needs_token=*/true, outcome, absl::Now() + absl::Seconds(60));
  ASSERT_TRUE(Eventually([&] { return fake_->CallCount(kEcho) == 1; }));
  call->Cancel();
  absl::StatusOr<nlohmann::json> answer = outcome->Wait();
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kCancelled) << answer.status();
  EXPECT_EQ(upstream_->active_transfers(), 0);
  upstream_.reset();
  EXPECT_EQ(outcome->calls(), 1);
  EXPECT_THAT(tokens_.invalidated(), IsEmpty());
}

TEST_F(UpstreamCallTest, BuildErrorsAreReturnedAsIs) {
  const absl::Status refused =
      GatewayError(absl::StatusCode::kPermissionDenied, "RAW_TOKEN_ENDPOINT",
                   "the token endpoints cannot be called through RawService");
  tokens_.Script({"any-token"});
  for (bool needs_token : {true, false}) {
    SCOPED_TRACE(needs_token);
    auto outcome = std::make_shared<CallOutcome>();
    auto call = UpstreamCall::Create(
        deps_, account_, needs_token,
        [&](const CallCredential&, absl::Duration) -> absl::StatusOr<HttpRequest> {
          return refused;
        },
        absl::Now() + absl::Seconds(20), CallOutcome::Into(outcome));
    call->Begin();
    absl::StatusOr<nlohmann::json> answer = outcome->Wait();
    EXPECT_EQ(answer.status(), refused);
    EXPECT_EQ(outcome->calls(), 1);
  }
  EXPECT_EQ(fake_->CallCount(kEcho), 0);
  EXPECT_EQ(upstream_->active_transfers(), 0);
}

TEST_F(UpstreamCallTest, TokenErrorsAreReturnedAsIs) {
  const absl::Status no_token = ErrorWithInfo(
      absl::StatusCode::kFailedPrecondition, "WeChat errcode 40125: invalid appsecret",
      "WECHAT_40125", kWeChatDomain, {{"errcode", "40125"}});
  tokens_.Script({no_token});
  absl::StatusOr<nlohmann::json> answer = Run();
  EXPECT_EQ(answer.status(), no_token);
  EXPECT_THAT(builder_->credentials(), IsEmpty());
  EXPECT_THAT(tokens_.invalidated(), IsEmpty());
  EXPECT_EQ(fake_->CallCount(kEcho), 0);
}

}  // namespace
}  // namespace wxgate
