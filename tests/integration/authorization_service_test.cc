// wxgate.v1.AuthorizationService through the gateway against the fake open platform:
// the authorization links with a fresh pre_auth_code, finishing an authorization
// from the redirect's code (once per code, whichever way it arrives first), the
// grant as kept; and the web-authorization and JS-SDK calls on an authorizer's
// behalf (the component's appid filled in, the authorizer's ticket used).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "auth/jssdk_signature.h"
#include "tests/fake_wechat/push_sender.h"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/user.grpc.pb.h"
#include "wechat/open/v1/oa.grpc.pb.h"
#include "wxgate/v1/authorization.grpc.pb.h"
#include "wxgate/v1/token.grpc.pb.h"

namespace wxgate::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using v1::AuthorizationService;

constexpr char kPreAuthPath[] = "/cgi-bin/component/api_create_preauthcode";
constexpr char kQueryAuthPath[] = "/cgi-bin/component/api_query_auth";
// The fake's sample answer of api_create_preauthcode (endpoints/component.json).
constexpr char kSamplePreAuthCode[] =
    "Cx_Dk6qiBE0Dmx4EmlT3oRfArPvwSQ-oa3NL_fwHM7VI08r52wazoZX2Rhpz1dEw";

class AuthorizationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h_.PushComponentTicket()); }

  grpc::Status Complete(const std::string& code, v1::CompleteAuthorizationResponse* response) {
    v1::CompleteAuthorizationRequest request;
    request.set_authorization_code(code);
    return stub_->CompleteAuthorization(ContextFor("").get(), request, response);
  }
  grpc::Status GrantOf(const std::string& appid, v1::GetAuthorizerGrantResponse* response) {
    return stub_->GetAuthorizerGrant(ContextFor(appid).get(), {}, response);
  }

  GatewayHarness h_{{.component = true}};
  std::unique_ptr<AuthorizationService::Stub> stub_ = AuthorizationService::NewStub(h_.channel());
};

TEST_F(AuthorizationServiceTest, BothLinksCarryOneFreshPreAuthCodeAndTheComponentsAppid) {
  v1::CreateAuthorizationLinksRequest request;
  request.set_redirect_uri("https://platform.example.com/authorized?shop=7");
  request.set_auth_type(wechat::open::v1::COMPONENT_AUTH_TYPE_OFFICIAL_ACCOUNT);
  request.add_permission_sets(1);
  request.add_permission_sets(2);
  v1::CreateAuthorizationLinksResponse links;
  const absl::Time before = absl::Now();
  grpc::Status status = stub_->CreateAuthorizationLinks(ContextFor("").get(), request, &links);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_THAT(links.pc_url(), StartsWith("https://mp.weixin.qq.com/cgi-bin/componentloginpage?"));
  EXPECT_THAT(links.mobile_url(), StartsWith("https://mp.weixin.qq.com/safe/bindcomponent?"));
  EXPECT_THAT(links.mobile_url(), HasSubstr("action=bindcomponent"));
  EXPECT_THAT(links.mobile_url(), HasSubstr("no_scan=1"));
  EXPECT_TRUE(absl::EndsWith(links.mobile_url(), "#wechat_redirect")) << links.mobile_url();
  for (const std::string& url : {links.pc_url(), links.mobile_url()}) {
    EXPECT_THAT(url, HasSubstr(absl::StrCat("component_appid=", kComponentAppid)));
    EXPECT_THAT(url, HasSubstr(absl::StrCat("pre_auth_code=", kSamplePreAuthCode)));
    EXPECT_THAT(
        url, HasSubstr("redirect_uri=https%3A%2F%2Fplatform.example.com%2Fauthorized%3Fshop%3D7"));
    EXPECT_THAT(url, HasSubstr("auth_type=1"));
    EXPECT_THAT(url, HasSubstr("category_list=1%7C2"));
    EXPECT_THAT(url, Not(HasSubstr(kAppidA))) << "the component's appid, not the account's";
    EXPECT_THAT(url, Not(HasSubstr("access_token")));
  }
  EXPECT_NEAR(links.expires_at().seconds(), absl::ToUnixSeconds(before + absl::Seconds(1800)), 60);
  EXPECT_EQ(h_.fake().CallCount(kPreAuthPath), 1);
  const std::optional<fake::FakeWeChat::Request> sent = h_.fake().LastRequest(kPreAuthPath);
  ASSERT_TRUE(sent.has_value());
  EXPECT_THAT(sent->body, HasSubstr(kComponentAppid));
}

TEST_F(AuthorizationServiceTest, ARelativeRedirectIsRefusedBeforeWeChat) {
  v1::CreateAuthorizationLinksRequest request;
  request.set_redirect_uri("/authorized");
  v1::CreateAuthorizationLinksResponse links;
  grpc::Status status = stub_->CreateAuthorizationLinks(ContextFor("").get(), request, &links);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "INVALID_URL");
  EXPECT_EQ(h_.fake().CallCount(kPreAuthPath), 0);
}

TEST_F(AuthorizationServiceTest, TheRedirectsCodeAuthorizesAndThePushWithItIsNotExchangedAgain) {
  const std::string code =
      h_.fake().IssueAuthorizationCode(kComponentAppid, kAuthorizerAppid, {1, 2});
  v1::CompleteAuthorizationResponse completed;
  grpc::Status status = Complete(code, &completed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(completed.grant().authorizer_appid(), kAuthorizerAppid);
  EXPECT_EQ(completed.grant().component_appid(), kComponentAppid);
  ASSERT_EQ(completed.grant().permission_sets_size(), 2);
  EXPECT_EQ(completed.grant().permission_sets(0).id(), 1);
  EXPECT_EQ(completed.grant().permission_sets(0).name(), "Message management");
  EXPECT_FALSE(completed.grant().revoked());

  // Calls on its behalf work at once.
  auto users = wechat::mp::v1::UserService::NewStub(h_.channel());
  wechat::mp::v1::GetUserInfoRequest who;
  who.set_openid("o-authorization-test");
  wechat::mp::v1::GetUserInfoResponse user;
  status = users->GetUserInfo(ContextFor(kAuthorizerAppid).get(), who, &user);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // WeChat's `authorized` push carries the same code: answered from memory.
  absl::StatusOr<fake::PushAnswer> pushed =
      fake::PushSender(h_.ComponentTarget())
          .Send(fake::AuthorizedXml(kComponentAppid, kAuthorizerAppid, code, absl::Now()));
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->body, "success");
  // And the redirect page reloaded: the same answer, no second exchange.
  ASSERT_TRUE(Complete(code, &completed).ok());
  EXPECT_EQ(completed.grant().authorizer_appid(), kAuthorizerAppid);
  EXPECT_EQ(h_.fake().CallCount(kQueryAuthPath), 1);
}

TEST_F(AuthorizationServiceTest, ACodeWeChatCallsSpentOrNoCodeIsRefused) {
  v1::CompleteAuthorizationResponse completed;
  grpc::Status spent = Complete("queryauthcode@@@never-issued", &completed);
  EXPECT_EQ(spent.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoFrom(spent).reason(), "AUTHORIZATION_CODE_SPENT");
  EXPECT_THAT(spent.error_message(), Not(HasSubstr("never-issued")));

  grpc::Status missing = Complete("", &completed);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(missing).reason(), "MISSING_AUTHORIZATION_CODE");
  EXPECT_EQ(h_.fake().CallCount(kQueryAuthPath), 1) << "only the first asked WeChat";
}

TEST_F(AuthorizationServiceTest, TheGrantIsWhatTheAuthorizerGrantedUntilItRevokes) {
  v1::GetAuthorizerGrantResponse grant;
  grpc::Status unknown = GrantOf(kAuthorizerAppid, &grant);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorInfoFrom(unknown).reason(), "UNKNOWN_APPID");

  ASSERT_TRUE(h_.AuthorizeAccount(kAuthorizerAppid, {1, 15}));
  ASSERT_TRUE(GrantOf(kAuthorizerAppid, &grant).ok());
  EXPECT_EQ(grant.grant().authorizer_appid(), kAuthorizerAppid);
  ASSERT_EQ(grant.grant().permission_sets_size(), 2);
  EXPECT_EQ(grant.grant().permission_sets(1).id(), 15);
  EXPECT_EQ(grant.grant().permission_sets(1).name(), "Menu management");
  EXPECT_FALSE(grant.grant().revoked());

  ASSERT_TRUE(h_.UnauthorizeAccount(kAuthorizerAppid));
  ASSERT_TRUE(GrantOf(kAuthorizerAppid, &grant).ok());
  EXPECT_TRUE(grant.grant().revoked());

  grpc::Status own = GrantOf(kAppidA, &grant);
  EXPECT_EQ(own.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoFrom(own).reason(), "NOT_AN_AUTHORIZER");
}

TEST_F(AuthorizationServiceTest, WebAuthorizationAndJsSdkActForTheAuthorizer) {
  ASSERT_TRUE(h_.AuthorizeAccount(kAuthorizerAppid, {1, 2}));
  auto oauth = wechat::open::v1::OfficialAccountService::NewStub(h_.channel());
  wechat::open::v1::BuildComponentAuthorizeUrlRequest page;
  page.set_redirect_uri("https://platform.example.com/user");
  wechat::open::v1::BuildComponentAuthorizeUrlResponse url;
  grpc::Status status =
      oauth->BuildComponentAuthorizeUrl(ContextFor(kAuthorizerAppid).get(), page, &url);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(url.url(), HasSubstr(absl::StrCat("appid=", kAuthorizerAppid)));
  EXPECT_THAT(url.url(), HasSubstr(absl::StrCat("component_appid=", kComponentAppid)));

  auto tokens = v1::TokenService::NewStub(h_.channel());
  v1::SignJsSdkConfigRequest sign;
  sign.set_url("https://platform.example.com/shop");
  v1::SignJsSdkConfigResponse config;
  status = tokens->SignJsSdkConfig(ContextFor(kAuthorizerAppid).get(), sign, &config);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(config.app_id(), kAuthorizerAppid);
  v1::GetJsapiTicketResponse ticket;
  ASSERT_TRUE(tokens->GetJsapiTicket(ContextFor(kAuthorizerAppid).get(), {}, &ticket).ok());
  EXPECT_EQ(config.signature(),
            JsSdkSignature(ticket.ticket(), config.nonce_str(), config.timestamp(), sign.url()));
  const std::optional<fake::FakeWeChat::Request> fetched =
      h_.fake().LastRequest("/cgi-bin/ticket/getticket");
  ASSERT_TRUE(fetched.has_value());
  EXPECT_EQ(fetched->query.at("access_token"), h_.fake().CurrentAccessToken(kAuthorizerAppid))
      << "the authorizer's ticket, fetched with its authorizer_access_token";

  // Its access token itself never leaves the gateway.
  v1::GetAccessTokenResponse token;
  grpc::Status refused = tokens->GetAccessToken(ContextFor(kAuthorizerAppid).get(), {}, &token);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoFrom(refused).reason(), "CREDENTIAL_NOT_SERVED");
}

}  // namespace
}  // namespace wxgate::testing
