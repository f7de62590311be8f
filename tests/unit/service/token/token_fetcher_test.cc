// TokenFetcher on a scripted transport: the shape of each request (stable_token,
// classic token, jsapi and wx_card tickets) and how an answer becomes a value with
// a lifetime or a status (missing value, bad expires_in, errcode, not JSON).
#include "service/token/token_fetcher.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "tests/testing/fake_http_transport.h"

namespace wxgate {
namespace {

using testing::FakeHttpTransport;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::PathOf;
using testing::QueryOf;
using Query = std::map<std::string, std::string>;

constexpr char kBaseUrl[] = "https://api.weixin.test";
constexpr absl::Duration kTimeout = absl::Seconds(7);
// Characters a secret may hold that a URL must escape.
constexpr char kSecret[] = "s3cr3t a&b=c+d%e/f";

class TokenFetcherTest : public ::testing::Test {
 protected:
  // Runs `fetch` and returns what its `done` got (the fake answers inline).
  template <typename Fetch>
  absl::StatusOr<FetchedToken> Run(Fetch fetch) {
    std::optional<absl::StatusOr<FetchedToken>> got;
    fetch([&](absl::StatusOr<FetchedToken> answer) { got = std::move(answer); });
    if (!got) return absl::InternalError("test: `done` did not run");
    return *got;
  }
  absl::StatusOr<FetchedToken> AccessToken(const Account& account, bool force_refresh = false) {
    return Run([&](TokenFetcher::Done done) {
      fetcher_.FetchAccessToken(account, force_refresh, std::move(done));
    });
  }
  absl::StatusOr<FetchedToken> Ticket(TokenKind kind) {
    return Run([&](TokenFetcher::Done done) {
      fetcher_.FetchTicket("ACCESS&TOKEN", kind, std::move(done));
    });
  }
  // The answer to the next access token request, whatever its path.
  absl::StatusOr<FetchedToken> AnswerWith(FakeHttpTransport::Answer answer) {
    transport_.Queue("/cgi-bin/stable_token", std::move(answer));
    return AccessToken(stable_);
  }

  Account stable_{.appid = "wx1", .secret = kSecret};
  Account classic_{.appid = "wx1", .secret = kSecret, .token_api = config::v1::TOKEN_API_CLASSIC};
  FakeHttpTransport transport_;
  TokenFetcher fetcher_{&transport_, kBaseUrl, kTimeout};
};

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

TEST_F(TokenFetcherTest, StableTokenIsAPostWithTheSecretInTheBody) {
  transport_.AnswerJson("/cgi-bin/stable_token", R"({"access_token":"T1","expires_in":7200})");
  absl::StatusOr<FetchedToken> token = AccessToken(stable_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->value, "T1");
  EXPECT_EQ(token->lifetime, absl::Seconds(7200));

  std::optional<HttpRequest> sent = transport_.last();
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->method, "POST");
  EXPECT_EQ(sent->url, "https://api.weixin.test/cgi-bin/stable_token");
  EXPECT_THAT(sent->content_type, HasSubstr("application/json"));
  EXPECT_EQ(sent->timeout, kTimeout);
  const nlohmann::json body = nlohmann::json::parse(sent->body);
  EXPECT_EQ(body, (nlohmann::json{
                      {"grant_type", "client_credential"}, {"appid", "wx1"}, {"secret", kSecret}}));
  EXPECT_TRUE(sent->repeatable) << "it hands out the token held: may go to another domain";
}

TEST_F(TokenFetcherTest, ForceRefreshIsAskedForInTheBody) {
  transport_.AnswerJson("/cgi-bin/stable_token", R"({"access_token":"T2","expires_in":7200})");
  ASSERT_TRUE(AccessToken(stable_, /*force_refresh=*/true).ok());
  EXPECT_EQ(nlohmann::json::parse(transport_.last()->body)["force_refresh"], true);
  EXPECT_FALSE(transport_.last()->repeatable) << "it issues a new token";
}

TEST_F(TokenFetcherTest, ClassicTokenIsAGetWithEscapedQuery) {
  transport_.AnswerJson("/cgi-bin/token", R"({"access_token":"T1","expires_in":7200})");
  absl::StatusOr<FetchedToken> token = AccessToken(classic_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->value, "T1");

  std::optional<HttpRequest> sent = transport_.last();
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->method, "GET");
  EXPECT_EQ(PathOf(sent->url), "/cgi-bin/token");
  EXPECT_TRUE(sent->url.starts_with(kBaseUrl));
  EXPECT_EQ(QueryOf(sent->url),
            (Query{{"grant_type", "client_credential"}, {"appid", "wx1"}, {"secret", kSecret}}));
  EXPECT_THAT(sent->url, Not(HasSubstr("a&b"))) << "escaped";
  EXPECT_EQ(sent->body, "");
  EXPECT_EQ(sent->timeout, kTimeout);
  EXPECT_FALSE(sent->repeatable) << "every classic fetch issues a new token";
}

TEST_F(TokenFetcherTest, ClassicTokenIgnoresForceRefresh) {
  transport_.AnswerJson("/cgi-bin/token", R"({"access_token":"T1","expires_in":7200})");
  ASSERT_TRUE(AccessToken(classic_, /*force_refresh=*/true).ok());
  EXPECT_EQ(QueryOf(transport_.last()->url).count("force_refresh"), 0u);
}

TEST_F(TokenFetcherTest, TicketsAreGetsWithTheAccessTokenAndType) {
  for (auto [kind, type] : {std::pair{TokenKind::kJsapiTicket, "jsapi"},
                            std::pair{TokenKind::kWxCardTicket, "wx_card"}}) {
    SCOPED_TRACE(type);
    transport_.AnswerJson("/cgi-bin/ticket/getticket",
                          R"({"errcode":0,"errmsg":"ok","ticket":"J1","expires_in":7200})");
    absl::StatusOr<FetchedToken> ticket = Ticket(kind);
    ASSERT_TRUE(ticket.ok()) << ticket.status();
    EXPECT_EQ(ticket->value, "J1");
    EXPECT_EQ(ticket->lifetime, absl::Seconds(7200));
    std::optional<HttpRequest> sent = transport_.last();
    ASSERT_TRUE(sent.has_value());
    EXPECT_EQ(sent->method, "GET");
    EXPECT_EQ(PathOf(sent->url), "/cgi-bin/ticket/getticket");
    EXPECT_EQ(QueryOf(sent->url), (Query{{"access_token", "ACCESS&TOKEN"}, {"type", type}}));
    EXPECT_EQ(sent->timeout, kTimeout);
  }
}

TEST_F(TokenFetcherTest, ATicketAnswerNeedsATicket) {
  transport_.AnswerJson("/cgi-bin/ticket/getticket",
                        R"({"errcode":0,"access_token":"T1","expires_in":7200})");
  absl::StatusOr<FetchedToken> ticket = Ticket(TokenKind::kJsapiTicket);
  EXPECT_EQ(ReasonOf(ticket.status()), "UPSTREAM_SCHEMA") << ticket.status();
  EXPECT_THAT(ticket.status().message(), HasSubstr("ticket"));
}

TEST_F(TokenFetcherTest, AnswersWithoutAUsableValueOrLifetimeAreSchemaErrors) {
  for (const char* body : {
           R"({"expires_in":7200})",                        // no value
           R"({"access_token":"","expires_in":7200})",      // empty value
           R"({"access_token":42,"expires_in":7200})",      // not a string
           R"({"access_token":"T1"})",                      // no lifetime
           R"({"access_token":"T1","expires_in":0})",       // not positive
           R"({"access_token":"T1","expires_in":-5})",      // not positive
           R"({"access_token":"T1","expires_in":"7200"})",  // not a number
           R"({"access_token":"T1","expires_in":7200.5})",  // not an integer
       }) {
    SCOPED_TRACE(body);
    absl::StatusOr<FetchedToken> token = AnswerWith(FakeHttpTransport::Json(body));
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInternal);
    EXPECT_EQ(ReasonOf(token.status()), "UPSTREAM_SCHEMA") << token.status();
    EXPECT_THAT(token.status().message(), HasSubstr("access_token"));
  }
}

TEST_F(TokenFetcherTest, AnErrcodeBecomesAStatusWithErrorInfo) {
  absl::StatusOr<FetchedToken> token = AnswerWith(
      FakeHttpTransport::Json(R"({"errcode":40125,"errmsg":"invalid appsecret rid: 65a-b1c"})"));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kFailedPrecondition) << token.status();
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(token.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "WECHAT_40125");
  EXPECT_EQ(info->domain(), "api.weixin.qq.com");
  EXPECT_EQ(info->metadata().at("errcode"), "40125");
  EXPECT_EQ(info->metadata().at("rid"), "65a-b1c");
  EXPECT_THAT(token.status().ToString(), Not(HasSubstr(kSecret)));

  transport_.AnswerJson("/cgi-bin/ticket/getticket", R"({"errcode":40001,"errmsg":"invalid"})");
  EXPECT_EQ(ReasonOf(Ticket(TokenKind::kJsapiTicket).status()), "WECHAT_40001");
}

TEST_F(TokenFetcherTest, AnswersThatAreNotJsonObjects) {
  for (const char* body : {"<html>busy</html>", "[1,2]", ""}) {
    SCOPED_TRACE(body);
    absl::StatusOr<FetchedToken> token =
        AnswerWith(HttpResponse{.status = 200, .content_type = "text/html", .body = body});
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInternal) << token.status();
    EXPECT_EQ(ReasonOf(token.status()), "UPSTREAM_NOT_JSON") << token.status();
  }
}

TEST_F(TokenFetcherTest, HttpAndTransportErrorsPassThrough) {
  absl::StatusOr<FetchedToken> token = AnswerWith(FakeHttpTransport::Json("{}", 503));
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnavailable) << token.status();
  EXPECT_EQ(ReasonOf(token.status()), "UPSTREAM_HTTP_STATUS");

  const absl::Status refused =
      GatewayError(Reason::kUpstreamUnreachable, "cannot connect to api.weixin.test");
  token = AnswerWith(refused);
  EXPECT_EQ(token.status(), refused);
}

TEST_F(TokenFetcherTest, CancelEndsTheTransferWithCancelled) {
  transport_.Hold("/cgi-bin/stable_token");
  absl::Notification done;
  std::optional<absl::StatusOr<FetchedToken>> got;
  const HttpTransport::TransferId id =
      fetcher_.FetchAccessToken(stable_, false, [&](absl::StatusOr<FetchedToken> answer) {
        got = std::move(answer);
        done.Notify();
      });
  EXPECT_EQ(transport_.held(), std::vector<HttpTransport::TransferId>{id});
  fetcher_.Cancel(id);
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status().code(), absl::StatusCode::kCancelled);
  fetcher_.Cancel(id);  // ended: a no-op
}

}  // namespace
}  // namespace wxgate
