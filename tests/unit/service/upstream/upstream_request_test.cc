// BuildHttpRequest: where each credential kind goes, where the gateway's own
// parameters go, and that nothing the request sets is overwritten.
#include "service/upstream/upstream_request.h"

#include <gtest/gtest.h>

#include "service/errors/error_info.h"

namespace wxgate {
namespace {

using nlohmann::json;

const CallCredential kSecret{.kind = CredentialKind::kAppidSecret, .appid = "wx1", .secret = "S"};

TEST(UpstreamRequestTest, AManagedTokenGoesFirstInTheQueryUnderItsParameterName) {
  UpstreamRequest request{
      .path = "/a", .query = {{"openid", "o 1"}}, .credential = CredentialKind::kAccessToken};
  absl::StatusOr<HttpRequest> http =
      BuildHttpRequest(request, "https://api.test",
                       {.kind = CredentialKind::kAccessToken, .token = "T&"}, absl::Seconds(3));
  ASSERT_TRUE(http.ok()) << http.status();
  EXPECT_EQ(http->method, "GET");
  EXPECT_EQ(http->url, "https://api.test/a?access_token=T%26&openid=o%201");
  EXPECT_EQ(http->timeout, absl::Seconds(3));

  request.credential = CredentialKind::kComponentAccessToken;
  request.credential_param = "component_access_token";
  http = BuildHttpRequest(request, "https://b",
                          {.kind = CredentialKind::kComponentAccessToken, .token = "C"},
                          absl::Seconds(1));
  EXPECT_EQ(http->url, "https://b/a?component_access_token=C&openid=o%201");
}

TEST(UpstreamRequestTest, AppidAndSecretGoToTheJsonBodyOrElseTheQuery) {
  UpstreamRequest post{.method = "POST",
                       .path = "/cgi-bin/stable_token",
                       .json_body = json{{"grant_type", "client_credential"}},
                       .credential = CredentialKind::kAppidSecret,
                       .appid_param = "appid",
                       .secret_param = "secret"};
  absl::StatusOr<HttpRequest> http = BuildHttpRequest(post, "https://a", kSecret, absl::Seconds(1));
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->url, "https://a/cgi-bin/stable_token");
  EXPECT_EQ(http->content_type, "application/json; charset=utf-8");
  EXPECT_EQ(json::parse(http->body),
            json({{"grant_type", "client_credential"}, {"appid", "wx1"}, {"secret", "S"}}));

  UpstreamRequest get{.path = "/cgi-bin/token",
                      .query = {{"grant_type", "client_credential"}},
                      .credential = CredentialKind::kAppidSecret,
                      .appid_param = "appid",
                      .secret_param = "secret"};
  http = BuildHttpRequest(get, "https://a", kSecret, absl::Seconds(1));
  EXPECT_EQ(http->url, "https://a/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=S");
  EXPECT_TRUE(http->body.empty());
}

TEST(UpstreamRequestTest, TheSecretIsSentForItsKindOnly) {
  UpstreamRequest request{.path = "/a",
                          .credential = CredentialKind::kNone,
                          .appid_param = "appid",
                          .secret_param = "secret"};
  absl::StatusOr<HttpRequest> http = BuildHttpRequest(
      request, "https://a", {.kind = CredentialKind::kNone, .appid = "wx1", .secret = "S"},
      absl::Seconds(1));
  EXPECT_EQ(http->url, "https://a/a?appid=wx1");
}

TEST(UpstreamRequestTest, FilledParametersNeverReplaceTheRequests) {
  UpstreamRequest request{.path = "/a?action=x",
                          .query = {{"appid", "mine"}},
                          .defaults = {{"lang", "zh_CN"}, {"appid", "theirs"}},
                          .credential = CredentialKind::kNone,
                          .appid_param = "appid"};
  absl::StatusOr<HttpRequest> http = BuildHttpRequest(
      request, "https://a", {.kind = CredentialKind::kNone, .appid = "wx1"}, absl::Seconds(1));
  EXPECT_EQ(http->url, "https://a/a?action=x&appid=mine&lang=zh_CN");

  request.query.clear();
  request.method = "POST";
  request.json_body = json{{"lang", "en"}};
  http = BuildHttpRequest(request, "https://a", {.kind = CredentialKind::kNone, .appid = "wx1"},
                          absl::Seconds(1));
  EXPECT_EQ(http->url, "https://a/a?action=x");
  EXPECT_EQ(json::parse(http->body), json({{"lang", "en"}, {"appid", "wx1"}}));
}

TEST(UpstreamRequestTest, EncodedBodiesAreSentAsTheyAre) {
  UpstreamRequest request{.method = "POST",
                          .path = "/up",
                          .content_type = "text/plain",
                          .body = "héllo",
                          .credential = CredentialKind::kNone};
  absl::StatusOr<HttpRequest> http = BuildHttpRequest(request, "https://a", {}, absl::Seconds(1));
  EXPECT_EQ(http->content_type, "text/plain");
  EXPECT_EQ(http->body, "héllo");
}

TEST(UpstreamRequestTest, JsonBodiesKeepUtf8AndReplaceInvalidBytes) {
  UpstreamRequest request{.method = "POST",
                          .path = "/p",
                          .json_body = json{{"name", "中文"}, {"bad", std::string("\xff")}},
                          .credential = CredentialKind::kNone};
  absl::StatusOr<HttpRequest> http = BuildHttpRequest(request, "https://a", {}, absl::Seconds(1));
  ASSERT_TRUE(http.ok());
  EXPECT_NE(http->body.find("中文"), std::string::npos);
  EXPECT_EQ(http->body.find('\xff'), std::string::npos);
}

TEST(UpstreamRequestTest, ACredentialOfAnotherKindIsRefused) {
  UpstreamRequest request{.path = "/a", .credential = CredentialKind::kAuthorizerAccessToken};
  absl::Status status =
      BuildHttpRequest(request, "https://a",
                       {.kind = CredentialKind::kAccessToken, .token = "token-value"},
                       absl::Seconds(1))
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "CREDENTIAL_MISMATCH");
  EXPECT_NE(status.message().find("authorizer_access_token"), std::string::npos);
  EXPECT_EQ(status.message().find("token-value"), std::string::npos);
}

TEST(UpstreamRequestTest, EscapesEverythingButUnreserved) {
  EXPECT_EQ(EscapeQueryComponent("aZ09-_.~ /?=&+%中"), "aZ09-_.~%20%2F%3F%3D%26%2B%25%E4%B8%AD");
}

}  // namespace
}  // namespace wxgate
