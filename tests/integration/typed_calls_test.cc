// Typed calls through the gateway: gRPC client → gateway → HTTPS → fake WeChat.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/basic.grpc.pb.h"
#include "wechat/mp/v1/oauth.grpc.pb.h"
#include "wechat/mp/v1/openapi.grpc.pb.h"
#include "wechat/mp/v1/subscribe.grpc.pb.h"
#include "wechat/mp/v1/tag.grpc.pb.h"
#include "wechat/mp/v1/user.grpc.pb.h"

namespace wxgate::testing {
namespace {

using namespace wechat::mp::v1;  // NOLINT: the test reads better with short names

class TypedCallsTest : public ::testing::Test {
 protected:
  GatewayHarness h_;
};

TEST_F(TypedCallsTest, GetUserInfoAnswersEveryField) {
  auto stub = UserService::NewStub(h_.channel());
  GetUserInfoRequest request;
  request.set_openid("o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
  request.set_lang(LANG_ZH_CN);
  GetUserInfoResponse response;
  grpc::Status status = stub->GetUserInfo(ContextFor("").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.openid(), "o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
  EXPECT_EQ(response.subscribe(), 1);
  EXPECT_EQ(response.city(), "广州");
  EXPECT_EQ(response.subscribe_time(), 1382694957);
  EXPECT_EQ(response.tagid_list_size(), 2);
  EXPECT_EQ(response.qr_scene_str(), "spring_campaign");

  std::optional<fake::FakeWeChat::Request> sent = h_.fake().LastRequest("/cgi-bin/user/info");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->method, "GET");
  EXPECT_EQ(sent->query.at("openid"), "o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
  EXPECT_EQ(sent->query.at("lang"), "zh_CN");
  EXPECT_EQ(sent->query.at("access_token"), h_.fake().CurrentAccessToken(kAppidA));
}

TEST_F(TypedCallsTest, PostWithNestedBody) {
  auto stub = TagService::NewStub(h_.channel());
  CreateTagRequest request;
  request.mutable_tag()->set_name("广东");
  CreateTagResponse response;
  grpc::Status status = stub->CreateTag(ContextFor("").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(response.tag().id(), 0);
  std::optional<fake::FakeWeChat::Request> sent = h_.fake().LastRequest("/cgi-bin/tags/create");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(nlohmann::json::parse(sent->body), nlohmann::json({{"tag", {{"name", "广东"}}}}));
}

TEST_F(TypedCallsTest, RepeatedMessagesInTheAnswer) {
  auto stub = TagService::NewStub(h_.channel());
  ListTagsResponse response;
  ASSERT_TRUE(stub->ListTags(ContextFor("").get(), ListTagsRequest(), &response).ok());
  ASSERT_EQ(response.tags_size(), 3);
  EXPECT_EQ(response.tags(2).id(), 127);
  EXPECT_EQ(response.tags(2).count(), 5);
}

TEST_F(TypedCallsTest, EnumsTravelAsWeChatStrings) {
  auto stub = BasicService::NewStub(h_.channel());
  CheckCallbackRequest request;
  request.set_action(CALLBACK_CHECK_ACTION_DNS);
  request.set_check_operator(CHECK_OPERATOR_CHINANET);
  CheckCallbackResponse response;
  grpc::Status status = stub->CheckCallback(ContextFor("").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(response.dns_size(), 0);
  std::optional<fake::FakeWeChat::Request> sent = h_.fake().LastRequest("/cgi-bin/callback/check");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(nlohmann::json::parse(sent->body),
            nlohmann::json({{"action", "dns"}, {"check_operator", "CHINANET"}}));
}

TEST_F(TypedCallsTest, GatewayFillsTheAccountsAppid) {
  auto stub = OpenApiService::NewStub(h_.channel());
  ClearQuotaResponse response;
  grpc::Status status = stub->ClearQuota(ContextFor(kAppidB).get(), ClearQuotaRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::optional<fake::FakeWeChat::Request> sent = h_.fake().LastRequest("/cgi-bin/clear_quota");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(nlohmann::json::parse(sent->body)["appid"], kAppidB);
}

TEST_F(TypedCallsTest, TheAuthorizeUrlIsBuiltWithoutCallingWeChat) {
  auto stub = OauthService::NewStub(h_.channel());
  BuildAuthorizeUrlRequest request;
  request.set_redirect_uri("https://shop.example.com/oauth/back?from=menu");
  request.set_scope(OAUTH_SCOPE_SNSAPI_USERINFO);
  request.set_state("s1");
  BuildAuthorizeUrlResponse response;
  ASSERT_TRUE(stub->BuildAuthorizeUrl(ContextFor(kAppidB).get(), request, &response).ok());
  EXPECT_EQ(
      response.url(),
      absl::StrCat("https://open.weixin.qq.com/connect/oauth2/authorize?redirect_uri=https%3A%2F%2F"
                   "shop.example.com%2Foauth%2Fback%3Ffrom%3Dmenu&scope=snsapi_userinfo&"
                   "state=s1&appid=",
                   kAppidB, "&response_type=code#wechat_redirect"));
  EXPECT_EQ(h_.fake().CallCount("/connect/oauth2/authorize"), 0);
}

TEST_F(TypedCallsTest, OnceSubscribeUrlIsBuiltWithTheAccountsAppid) {
  auto stub = wechat::mp::v1::SubscribeService::NewStub(h_.channel());
  wechat::mp::v1::BuildOnceSubscribeUrlRequest request;
  request.set_scene(0);
  request.set_template_id("TEMPLATE_1");
  request.set_redirect_url("https://shop.example.com/sub?x=1");
  request.set_reserved("csrf1");
  wechat::mp::v1::BuildOnceSubscribeUrlResponse response;
  ASSERT_TRUE(stub->BuildOnceSubscribeUrl(ContextFor(kAppidA).get(), request, &response).ok());
  EXPECT_EQ(response.url(),
            absl::StrCat("https://mp.weixin.qq.com/mp/subscribemsg?scene=0&template_id=TEMPLATE_1&"
                         "redirect_url=https%3A%2F%2Fshop.example.com%2Fsub%3Fx%3D1&reserved=csrf1&"
                         "appid=",
                         kAppidA, "&action=get_confirm#wechat_redirect"));
}

TEST_F(TypedCallsTest, OauthCallsCarryTheAccountsCredentialsOrTheUsersToken) {
  auto stub = OauthService::NewStub(h_.channel());
  ExchangeCodeRequest exchange;
  exchange.set_code("CODE1");
  ExchangeCodeResponse token;
  ASSERT_TRUE(stub->ExchangeCode(ContextFor(kAppidA).get(), exchange, &token).ok());
  auto sent = h_.fake().LastRequest("/sns/oauth2/access_token");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->query.at("appid"), kAppidA);
  EXPECT_EQ(sent->query.at("secret"), kSecretA);
  EXPECT_EQ(sent->query.at("grant_type"), "authorization_code");

  GetOauthUserInfoRequest info;
  info.set_access_token(token.access_token());
  info.set_openid(token.openid());
  GetOauthUserInfoResponse user;
  ASSERT_TRUE(stub->GetOauthUserInfo(ContextFor(kAppidA).get(), info, &user).ok());
  sent = h_.fake().LastRequest("/sns/userinfo");
  // The user's token, not the account's.
  EXPECT_EQ(sent->query.at("access_token"), token.access_token());
  EXPECT_NE(sent->query.at("access_token"), h_.fake().CurrentAccessToken(kAppidA));
}

TEST_F(TypedCallsTest, AccountsAreChosenByMetadata) {
  auto stub = BasicService::NewStub(h_.channel());
  GetCallbackIpResponse response;
  ASSERT_TRUE(
      stub->GetCallbackIp(ContextFor(kAppidB).get(), GetCallbackIpRequest(), &response).ok());
  EXPECT_EQ(h_.fake().LastRequest("/cgi-bin/getcallbackip")->query.at("access_token"),
            h_.fake().CurrentAccessToken(kAppidB));
  ASSERT_TRUE(stub->GetCallbackIp(ContextFor("").get(), GetCallbackIpRequest(), &response).ok());
  EXPECT_EQ(h_.fake().LastRequest("/cgi-bin/getcallbackip")->query.at("access_token"),
            h_.fake().CurrentAccessToken(kAppidA))
      << "no metadata: the default account";
  EXPECT_GT(response.ip_list_size(), 0);
}

TEST_F(TypedCallsTest, UnknownAppidIsNotFoundAndNothingGoesUpstream) {
  auto stub = BasicService::NewStub(h_.channel());
  GetCallbackIpResponse response;
  grpc::Status status = stub->GetCallbackIp(ContextFor("wxdeadbeefdeadbeef").get(),
                                            GetCallbackIpRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("wxdeadbeefdeadbeef"), std::string::npos);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "UNKNOWN_APPID");
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/getcallbackip"), 0);
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/stable_token"), 0);
}

TEST_F(TypedCallsTest, WeChatErrcodeBecomesStatusWithErrorInfo) {
  h_.fake().InjectFailure("/cgi-bin/user/info",
                          fake::Failure::Errcode(40003, "invalid openid rid: 6571d2a4-1"));
  auto stub = UserService::NewStub(h_.channel());
  GetUserInfoRequest request;
  request.set_openid("nobody");
  GetUserInfoResponse response;
  grpc::Status status = stub->GetUserInfo(ContextFor("").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::ErrorInfo info = ErrorInfoFrom(status);
  EXPECT_EQ(info.reason(), "WECHAT_40003");
  EXPECT_EQ(info.domain(), "api.weixin.qq.com");
  EXPECT_EQ(info.metadata().at("errcode"), "40003");
  EXPECT_EQ(info.metadata().at("errmsg"), "invalid openid");
  EXPECT_EQ(info.metadata().at("rid"), "6571d2a4-1");
}

TEST_F(TypedCallsTest, MissingRequiredFieldIsWeChatsInvalidArgument) {
  auto stub = UserService::NewStub(h_.channel());
  GetUserInfoResponse response;
  grpc::Status status = stub->GetUserInfo(ContextFor("").get(), GetUserInfoRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "WECHAT_47001");
}

TEST_F(TypedCallsTest, OneTokenFetchServesManyCalls) {
  auto stub = BasicService::NewStub(h_.channel());
  for (int i = 0; i < 5; ++i) {
    GetApiDomainIpResponse response;
    ASSERT_TRUE(
        stub->GetApiDomainIp(ContextFor("").get(), GetApiDomainIpRequest(), &response).ok());
  }
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/stable_token"), 1);
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/get_api_domain_ip"), 5);
}

TEST_F(TypedCallsTest, RevokedTokenIsRefreshedAndTheCallRetriedOnce) {
  auto stub = BasicService::NewStub(h_.channel());
  GetCallbackIpResponse response;
  ASSERT_TRUE(stub->GetCallbackIp(ContextFor("").get(), GetCallbackIpRequest(), &response).ok());
  h_.fake().RevokeAccessTokens(kAppidA);
  grpc::Status status =
      stub->GetCallbackIp(ContextFor("").get(), GetCallbackIpRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/stable_token"), 2);
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/getcallbackip"), 3);
}

TEST(TypedCallsClassicTokenTest, ClassicTokenApiIsUsedWhenConfigured) {
  GatewayHarness h({.token_api = config::v1::TOKEN_API_CLASSIC});
  auto stub = BasicService::NewStub(h.channel());
  GetCallbackIpResponse response;
  ASSERT_TRUE(stub->GetCallbackIp(ContextFor("").get(), GetCallbackIpRequest(), &response).ok());
  EXPECT_EQ(h.fake().CallCount("/cgi-bin/token"), 1);
  EXPECT_EQ(h.fake().CallCount("/cgi-bin/stable_token"), 0);
}

TEST(TypedCallsWrongSecretTest, TokenErrorReachesTheCallerWithAdvice) {
  GatewayHarness h;
  h.fake().AddAccount(kAppidA, "another-secret");
  auto stub = BasicService::NewStub(h.channel());
  GetCallbackIpResponse response;
  grpc::Status status =
      stub->GetCallbackIp(ContextFor("").get(), GetCallbackIpRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "WECHAT_40125");
  EXPECT_EQ(status.error_message().find(kSecretA), std::string::npos);
}

}  // namespace
}  // namespace wxgate::testing
