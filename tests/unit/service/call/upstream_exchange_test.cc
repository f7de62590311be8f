// UpstreamExchange on a scripted credential source and a fake transport, in
// process: one retry on a stale credential and no more, no retry otherwise or for
// kinds the gateway does not manage, deadlines and timeouts, cancellation at every
// stage, and errors passed through unchanged.
#include "service/call/upstream_exchange.h"

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/errors/error_info.h"

namespace wxgate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Hands out credentials from a script (the last one repeats) and records Invalidate.
// With hold, Get keeps its callbacks until Release().
class ScriptedCredentials : public CredentialSource {
 public:
  std::deque<absl::StatusOr<CallCredential>> script;
  bool hold = false;
  std::vector<Done> held;
  int asks = 0;
  std::vector<std::string> invalidated;

  void Get(const Account& account, CredentialKind kind, absl::Span<const int>, Done done) override {
    ++asks;
    if (hold) {
      held.push_back(std::move(done));
      return;
    }
    std::move(done)(Next(account, kind));
  }
  void Invalidate(const Account&, CredentialKind, absl::string_view token) override {
    invalidated.emplace_back(token);
  }
  void Release(const Account& account, CredentialKind kind) {
    hold = false;
    std::vector<Done> waiting;
    waiting.swap(held);
    for (Done& done : waiting) std::move(done)(Next(account, kind));
  }

 private:
  absl::StatusOr<CallCredential> Next(const Account& account, CredentialKind kind) {
    if (script.empty()) return CallCredential{.kind = kind, .appid = account.appid};
    absl::StatusOr<CallCredential> next = script.front();
    if (script.size() > 1) script.pop_front();
    return next;
  }
};

// Records each request and answers it with `answer`, at once or, with hold, when
// the test says so; a cancel of a held transfer completes it with CANCELLED.
class FakeTransport : public HttpTransport {
 public:
  std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)> answer = [](const HttpRequest&) {
    return HttpResponse{.status = 200, .content_type = "application/json", .body = "{}"};
  };
  bool hold = false;
  std::vector<HttpRequest> sent;
  std::vector<TransferId> cancelled;

  TransferId Send(HttpRequest request, Done done) override {
    sent.push_back(request);
    const TransferId id = sent.size();
    if (hold) {
      held_.emplace_back(id, std::move(done));
    } else {
      std::move(done)(answer(request));
    }
    return id;
  }
  void Cancel(TransferId id) override {
    cancelled.push_back(id);
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      if (it->first != id) continue;
      Done done = std::move(it->second);
      held_.erase(it);
      return std::move(done)(absl::CancelledError("cancelled"));
    }
  }
  void AnswerHeld() {
    std::vector<std::pair<TransferId, Done>> waiting;
    waiting.swap(held_);
    for (auto& [id, done] : waiting) std::move(done)(answer(sent[id - 1]));
  }

 private:
  std::vector<std::pair<TransferId, Done>> held_;
};

HttpResponse Json(std::string body) {
  return {.status = 200, .content_type = "application/json", .body = std::move(body)};
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

CallCredential Token(std::string token) {
  return {.kind = CredentialKind::kAccessToken, .token = std::move(token), .appid = "wx1"};
}

class UpstreamExchangeTest : public ::testing::Test {
 protected:
  UpstreamExchangeTest() {
    deps_ = {.transport = &transport_,
             .credentials = &credentials_,
             .base_url = "https://api.test",
             .timeout = absl::Seconds(20),
             .host_base_urls = {{"mp.weixin.qq.com", "https://mp.test"}}};
  }

  UpstreamRequest Request(CredentialKind kind = CredentialKind::kAccessToken) {
    return {.path = "/cgi-bin/user/info", .query = {{"openid", "o1"}}, .credential = kind};
  }

  // Starts an exchange whose outcome lands in outcomes_.
  std::shared_ptr<UpstreamExchange> Start(UpstreamRequest request,
                                          absl::Time deadline = absl::InfiniteFuture(),
                                          AnswerKind kind = ANSWER_KIND_JSON) {
    auto exchange = UpstreamExchange::Create(
        deps_, account_, std::move(request), kind, deadline,
        [this](absl::StatusOr<CheckedAnswer> answer) { outcomes_.push_back(std::move(answer)); });
    exchange->Begin();
    return exchange;
  }

  absl::StatusOr<CheckedAnswer> Run(UpstreamRequest request,
                                    absl::Time deadline = absl::InfiniteFuture()) {
    Start(std::move(request), deadline);
    EXPECT_EQ(outcomes_.size(), 1u);
    if (outcomes_.empty()) return absl::InternalError("test: no outcome");
    return outcomes_.back();
  }

  // The access_token each request carried, in order.
  std::vector<std::string> SentTokens() {
    std::vector<std::string> tokens;
    for (const HttpRequest& request : transport_.sent) {
      size_t at = request.url.find("access_token=");
      tokens.push_back(at == std::string::npos
                           ? ""
                           : request.url.substr(at + 13, request.url.find('&', at) - at - 13));
    }
    return tokens;
  }

  const Account account_{.appid = "wx1", .secret = "secret-1"};
  ScriptedCredentials credentials_;
  FakeTransport transport_;
  UpstreamDeps deps_;
  std::vector<absl::StatusOr<CheckedAnswer>> outcomes_;
};

TEST_F(UpstreamExchangeTest, ValidTokenIsSentOnce) {
  credentials_.script = {Token("T1")};
  transport_.answer = [](const HttpRequest&) { return Json(R"({"openid":"o1"})"); };
  absl::StatusOr<CheckedAnswer> answer = Run(Request());
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->json["openid"], "o1");
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].url, "https://api.test/cgi-bin/user/info?access_token=T1&openid=o1");
  EXPECT_EQ(credentials_.asks, 1);
  EXPECT_THAT(credentials_.invalidated, IsEmpty());
}

TEST_F(UpstreamExchangeTest, EveryStaleTokenErrcodeIsInvalidatedAndRetriedOnce) {
  for (int errcode : {40001, 40014, 42001}) {
    SCOPED_TRACE(errcode);
    credentials_.asks = 0;
    credentials_.invalidated.clear();
    transport_.sent.clear();
    credentials_.script = {Token("old"), Token("new")};
    transport_.answer = [errcode](const HttpRequest& request) {
      return absl::StrContains(request.url, "access_token=old")
                 ? Json(absl::StrCat(R"({"errcode":)", errcode, R"(,"errmsg":"stale"})"))
                 : Json(R"({"ok":1})");
    };
    outcomes_.clear();
    absl::StatusOr<CheckedAnswer> answer = Run(Request());
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_THAT(SentTokens(), ElementsAre("old", "new"));
    EXPECT_THAT(credentials_.invalidated, ElementsAre("old"));
    EXPECT_EQ(credentials_.asks, 2);
  }
}

TEST_F(UpstreamExchangeTest, SecondStaleAnswerIsReturnedWithoutAnotherRetry) {
  credentials_.script = {Token("t1"), Token("t2"), Token("t3")};
  transport_.answer = [](const HttpRequest&) { return Json(R"({"errcode":40001,"errmsg":"x"})"); };
  absl::StatusOr<CheckedAnswer> answer = Run(Request());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnauthenticated) << answer.status();
  EXPECT_EQ(ReasonOf(answer.status()), "WECHAT_40001");
  EXPECT_THAT(credentials_.invalidated, ElementsAre("t1"));
  EXPECT_THAT(SentTokens(), ElementsAre("t1", "t2"));
}

TEST_F(UpstreamExchangeTest, OtherErrorsAreNotRetried) {
  credentials_.script = {Token("T")};
  transport_.answer = [](const HttpRequest&) { return Json(R"({"errcode":40003,"errmsg":"x"})"); };
  EXPECT_EQ(ReasonOf(Run(Request()).status()), "WECHAT_40003");
  transport_.answer = [](const HttpRequest&) { return HttpResponse{.status = 502}; };
  outcomes_.clear();
  EXPECT_EQ(Run(Request()).status().code(), absl::StatusCode::kUnavailable);
  transport_.answer = [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    return absl::UnavailableError("connection refused");
  };
  outcomes_.clear();
  EXPECT_EQ(Run(Request()).status().message(), "connection refused");
  EXPECT_THAT(credentials_.invalidated, IsEmpty());
  EXPECT_EQ(transport_.sent.size(), 3u);
}

TEST_F(UpstreamExchangeTest, KindsWithoutAManagedTokenAreNeverRetried) {
  transport_.answer = [](const HttpRequest&) { return Json(R"({"errcode":40001,"errmsg":"x"})"); };
  for (CredentialKind kind : {CredentialKind::kNone, CredentialKind::kOAuthUserToken}) {
    outcomes_.clear();
    transport_.sent.clear();
    EXPECT_EQ(ReasonOf(Run(Request(kind)).status()), "WECHAT_40001");
    ASSERT_EQ(transport_.sent.size(), 1u);
    EXPECT_EQ(transport_.sent[0].url, "https://api.test/cgi-bin/user/info?openid=o1");
  }
  EXPECT_THAT(credentials_.invalidated, IsEmpty());
}

TEST_F(UpstreamExchangeTest, AppidAndSecretAreSentForThatKindOnly) {
  credentials_.script = {
      CallCredential{.kind = CredentialKind::kAppidSecret, .appid = "wx1", .secret = "secret-1"}};
  UpstreamRequest request = Request(CredentialKind::kAppidSecret);
  request.appid_param = "appid";
  request.secret_param = "secret";
  ASSERT_TRUE(Run(request).ok());
  EXPECT_EQ(transport_.sent[0].url,
            "https://api.test/cgi-bin/user/info?openid=o1&appid=wx1&secret=secret-1");
}

TEST_F(UpstreamExchangeTest, ACredentialTheSourceCannotServeIsPassedThroughAndNothingIsSent) {
  credentials_.script = {absl::FailedPreconditionError("component_access_token is not served")};
  absl::StatusOr<CheckedAnswer> answer = Run(Request(CredentialKind::kComponentAccessToken));
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(transport_.sent, IsEmpty());
}

TEST_F(UpstreamExchangeTest, ACredentialOfAnotherKindIsNeverSent) {
  credentials_.script = {Token("T")};  // an access token where a component token is needed
  absl::StatusOr<CheckedAnswer> answer = Run(Request(CredentialKind::kComponentAccessToken));
  EXPECT_EQ(ReasonOf(answer.status()), "CREDENTIAL_MISMATCH");
  EXPECT_THAT(transport_.sent, IsEmpty());
}

TEST_F(UpstreamExchangeTest, PassedDeadlineFailsWithoutCallingUpstream) {
  absl::StatusOr<CheckedAnswer> answer = Run(Request(), absl::Now() - absl::Seconds(1));
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(ReasonOf(answer.status()), "DEADLINE_BEFORE_UPSTREAM");
  EXPECT_THAT(transport_.sent, IsEmpty());
}

TEST_F(UpstreamExchangeTest, TransferTimeoutIsTheSmallerOfDeadlineAndConfiguredTimeout) {
  deps_.timeout = absl::Seconds(7);
  ASSERT_TRUE(Run(Request(), absl::Now() + absl::Seconds(60)).ok());
  outcomes_.clear();
  ASSERT_TRUE(Run(Request(), absl::Now() + absl::Seconds(2)).ok());
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(transport_.sent[0].timeout, absl::Seconds(7));
  EXPECT_GT(transport_.sent[1].timeout, absl::ZeroDuration());
  EXPECT_LE(transport_.sent[1].timeout, absl::Seconds(2));
}

TEST_F(UpstreamExchangeTest, AnEndpointOnAnotherHostUsesItsBaseUrl) {
  UpstreamRequest request = Request(CredentialKind::kNone);
  request.host = "mp.weixin.qq.com";
  ASSERT_TRUE(Run(request).ok());
  request.host = "open.weixin.qq.com";
  outcomes_.clear();
  ASSERT_TRUE(Run(request).ok());
  EXPECT_EQ(transport_.sent[0].url, "https://mp.test/cgi-bin/user/info?openid=o1");
  EXPECT_EQ(transport_.sent[1].url, "https://open.weixin.qq.com/cgi-bin/user/info?openid=o1");
}

TEST_F(UpstreamExchangeTest, CancelBeforeTheCredentialArrivesNeverCallsUpstream) {
  credentials_.hold = true;
  auto exchange = Start(Request());
  exchange->Cancel();
  credentials_.Release(account_, CredentialKind::kAccessToken);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(transport_.sent, IsEmpty());
}

TEST_F(UpstreamExchangeTest, CancelDuringTheTransferAbortsItOnce) {
  transport_.hold = true;
  auto exchange = Start(Request());
  ASSERT_EQ(transport_.sent.size(), 1u);
  exchange->Cancel();
  exchange->Cancel();
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(transport_.cancelled.empty());
}

TEST_F(UpstreamExchangeTest, CallCancellationReachesWorkAttachedLater) {
  transport_.hold = true;
  CallCancellation cancellation;
  cancellation.Cancel();  // the caller gave up before the work was attached
  auto exchange = Start(Request());
  cancellation.Attach(exchange);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].status().code(), absl::StatusCode::kCancelled);
}

TEST_F(UpstreamExchangeTest, DownloadsAnswerWithTheFile) {
  transport_.answer = [](const HttpRequest&) {
    return HttpResponse{.status = 200, .content_type = "image/jpeg", .body = "JPEG"};
  };
  Start(Request(), absl::InfiniteFuture(), ANSWER_KIND_BINARY);
  ASSERT_EQ(outcomes_.size(), 1u);
  ASSERT_TRUE(outcomes_[0].ok()) << outcomes_[0].status();
  ASSERT_TRUE(outcomes_[0]->file.has_value());
  EXPECT_EQ(outcomes_[0]->file->body, "JPEG");
}

}  // namespace
}  // namespace wxgate
