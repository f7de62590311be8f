#include "service/transcode/raw_call.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"

namespace wxgate {
namespace {

const CallCredential kCredential{
    .token = "TOKEN", .appid = "wx0011223344556677", .secret = "SECRET"};

v1::CallRequest Raw(std::string method, std::string path) {
  v1::CallRequest request;
  request.set_method(std::move(method));
  request.set_path(std::move(path));
  return request;
}

// The raw call as it goes upstream, with the credential of the kind it asks for.
absl::StatusOr<HttpRequest> Build(const v1::CallRequest& request) {
  absl::StatusOr<UpstreamRequest> upstream = TranscodeRawCall(request);
  if (!upstream.ok()) return upstream.status();
  CallCredential credential = kCredential;
  credential.kind = upstream->credential;
  return BuildHttpRequest(*upstream, "https://api.test", credential, absl::Seconds(3));
}

TEST(RawCallTest, GetWithQueryAndToken) {
  v1::CallRequest request = Raw("GET", "/cgi-bin/user/info");
  (*request.mutable_query())["openid"] = "o&1";
  absl::StatusOr<HttpRequest> http = Build(request);
  ASSERT_TRUE(http.ok()) << http.status();
  EXPECT_EQ(http->url, "https://api.test/cgi-bin/user/info?access_token=TOKEN&openid=o%261");
  EXPECT_TRUE(http->body.empty());
}

TEST(RawCallTest, PostSendsTheJsonBody) {
  v1::CallRequest request = Raw("POST", "/cgi-bin/tags/create");
  request.set_json_body(R"({"tag":{"name":"vip"}})");
  absl::StatusOr<HttpRequest> http = Build(request);
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(nlohmann::json::parse(http->body), nlohmann::json::parse(request.json_body()));
  EXPECT_EQ(http->content_type, "application/json; charset=utf-8");
}

TEST(RawCallTest, AppidSecretAndNoCredential) {
  v1::CallRequest request = Raw("POST", "/cgi-bin/clear_quota/v2");
  request.set_credential(CREDENTIAL_APPID_SECRET);
  absl::StatusOr<HttpRequest> http = Build(request);
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->url, "https://api.test/cgi-bin/clear_quota/v2");
  EXPECT_EQ(nlohmann::json::parse(http->body),
            nlohmann::json({{"appid", "wx0011223344556677"}, {"secret", "SECRET"}}));

  request = Raw("GET", "/sns/auth");
  request.set_credential(CREDENTIAL_NONE);
  EXPECT_EQ(Build(request)->url, "https://api.test/sns/auth");
}

TEST(RawCallTest, MalformedRequestsAreInvalidArguments) {
  v1::CallRequest with_token_in_query = Raw("GET", "/cgi-bin/x");
  (*with_token_in_query.mutable_query())["access_token"] = "mine";
  v1::CallRequest get_with_body = Raw("GET", "/cgi-bin/x");
  get_with_body.set_json_body("{}");
  v1::CallRequest bad_json = Raw("POST", "/cgi-bin/x");
  bad_json.set_json_body("[1]");
  for (const v1::CallRequest& request :
       {Raw("DELETE", "/cgi-bin/x"), Raw("GET", "cgi-bin/x"), Raw("GET", "/cgi-bin/x?a=1"),
        Raw("GET", "/cgi-bin/../x"), with_token_in_query, get_with_body, bad_json}) {
    absl::Status status = Build(request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << request.DebugString();
    EXPECT_EQ(ErrorInfoOf(status)->reason(), "INVALID_RAW_CALL");
  }
}

TEST(RawCallTest, TokenEndpointsAreRefused) {
  for (const char* path :
       {"/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/ticket/getticket"}) {
    absl::Status status = Build(Raw("GET", path)).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << path;
    EXPECT_NE(status.message().find("TokenService"), std::string::npos);
  }
}

TEST(RawCallTest, TheCredentialKindIsCarriedAsAsked) {
  v1::CallRequest request = Raw("GET", "/cgi-bin/x");
  request.set_credential(CREDENTIAL_COMPONENT_ACCESS_TOKEN);
  // The credential source refuses kinds it cannot serve (token_credentials_test).
  EXPECT_EQ(TranscodeRawCall(request)->credential, CredentialKind::kComponentAccessToken);
  EXPECT_EQ(TranscodeRawCall(Raw("GET", "/cgi-bin/x"))->credential, CredentialKind::kAccessToken);
}

TEST(RawCallTest, UserOAuthTokensAreNotSupported) {
  v1::CallRequest request = Raw("GET", "/sns/userinfo");
  request.set_credential(CREDENTIAL_OAUTH_ACCESS_TOKEN);
  absl::Status status = TranscodeRawCall(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "CREDENTIAL_NOT_SUPPORTED");
}

TEST(RawCallTest, TheGatewaysAppidAndSecretReplaceTheBodys) {
  v1::CallRequest request = Raw("POST", "/cgi-bin/clear_quota/v2");
  request.set_credential(CREDENTIAL_APPID_SECRET);
  request.set_json_body(R"({"appid":"wxother","secret":"guess","keep":1})");
  absl::StatusOr<HttpRequest> http = Build(request);
  ASSERT_TRUE(http.ok()) << http.status();
  EXPECT_EQ(nlohmann::json::parse(http->body),
            nlohmann::json({{"appid", "wx0011223344556677"}, {"secret", "SECRET"}, {"keep", 1}}));
}

}  // namespace
}  // namespace wxgate

namespace wxgate {
namespace {

TEST(RawCallTest, AComponentTokenGoesInTheComponentAccessTokenKey) {
  v1::CallRequest request = Raw("POST", "/cgi-bin/component/api_get_authorizer_list");
  request.set_credential(CREDENTIAL_COMPONENT_ACCESS_TOKEN);
  absl::StatusOr<HttpRequest> http = Build(request);
  ASSERT_TRUE(http.ok()) << http.status();
  EXPECT_EQ(
      http->url,
      "https://api.test/cgi-bin/component/api_get_authorizer_list?component_access_token=TOKEN");
  (*request.mutable_query())["component_access_token"] = "mine";
  EXPECT_EQ(TranscodeRawCall(request).status().code(), absl::StatusCode::kInvalidArgument)
      << "the gateway's to set";
}

}  // namespace
}  // namespace wxgate
