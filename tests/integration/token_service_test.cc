// wxgate.v1.TokenService through the gateway, and what the token manager does for
// every other call: one fetch shared by all, one refresh after a revocation.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "auth/jssdk_signature.h"
#include "service/observe/log.h"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/basic.grpc.pb.h"
#include "wxgate/v1/token.grpc.pb.h"

namespace wxgate::testing {
namespace {

using wxgate::v1::TokenService;

class TokenServiceTest : public ::testing::Test {
 protected:
  GatewayHarness h_;
  std::unique_ptr<TokenService::Stub> stub_ = TokenService::NewStub(h_.channel());
};

TEST_F(TokenServiceTest, GetAccessTokenIsTheOneTheGatewayUses) {
  v1::GetAccessTokenResponse response;
  ASSERT_TRUE(stub_->GetAccessToken(ContextFor(kAppidB).get(), {}, &response).ok());
  EXPECT_EQ(response.access_token(), h_.fake().CurrentAccessToken(kAppidB));
  EXPECT_GT(response.expires_at().seconds(), absl::ToUnixSeconds(absl::Now()));
  ASSERT_TRUE(stub_->GetAccessToken(ContextFor(kAppidB).get(), {}, &response).ok());
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/stable_token"), 1);
}

TEST_F(TokenServiceTest, SignJsSdkConfigFollowsTheDocument) {
  v1::SignJsSdkConfigRequest request;
  request.set_url("https://shop.example.com/page?id=1#top");
  v1::SignJsSdkConfigResponse response;
  grpc::Status status = stub_->SignJsSdkConfig(ContextFor("").get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.app_id(), kAppidA);
  EXPECT_EQ(response.nonce_str().size(), 16u);
  EXPECT_NEAR(response.timestamp(), absl::ToUnixSeconds(absl::Now()), 60);

  v1::GetJsapiTicketResponse ticket;
  ASSERT_TRUE(stub_->GetJsapiTicket(ContextFor("").get(), {}, &ticket).ok());
  EXPECT_EQ(response.signature(),
            JsSdkSignature(ticket.ticket(), response.nonce_str(), response.timestamp(),
                           "https://shop.example.com/page?id=1"));
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/ticket/getticket"), 1) << "the ticket is cached";
}

TEST_F(TokenServiceTest, SignJsSdkConfigRejectsARelativeUrl) {
  v1::SignJsSdkConfigRequest request;
  request.set_url("/page");
  v1::SignJsSdkConfigResponse response;
  grpc::Status status = stub_->SignJsSdkConfig(ContextFor("").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "INVALID_URL");
}

TEST_F(TokenServiceTest, InvalidateIsCompareAndSwap) {
  v1::GetAccessTokenResponse first;
  ASSERT_TRUE(stub_->GetAccessToken(ContextFor("").get(), {}, &first).ok());
  h_.fake().RevokeAccessTokens(kAppidA);  // as if WeChat had rejected it

  v1::InvalidateTokenRequest request;
  request.set_token(first.access_token());
  v1::InvalidateTokenResponse response;
  ASSERT_TRUE(stub_->InvalidateToken(ContextFor("").get(), request, &response).ok());
  EXPECT_TRUE(response.invalidated());
  ASSERT_TRUE(stub_->InvalidateToken(ContextFor("").get(), request, &response).ok());
  EXPECT_FALSE(response.invalidated()) << "already replaced";

  v1::GetAccessTokenResponse second;
  ASSERT_TRUE(stub_->GetAccessToken(ContextFor("").get(), {}, &second).ok());
  EXPECT_NE(second.access_token(), first.access_token());
  EXPECT_EQ(second.access_token(), h_.fake().CurrentAccessToken(kAppidA));

  request.set_token("");
  EXPECT_EQ(stub_->InvalidateToken(ContextFor("").get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(TokenServiceTest, APlatformsTokenKindIsRefused) {
  // It names what GetStatus reports of a third-party platform, not an account's.
  v1::GetJsapiTicketRequest ticket;
  ticket.set_kind(v1::TOKEN_KIND_COMPONENT_ACCESS_TOKEN);
  v1::GetJsapiTicketResponse ticket_response;
  grpc::Status status = stub_->GetJsapiTicket(ContextFor("").get(), ticket, &ticket_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "INVALID_TOKEN_KIND");
  v1::InvalidateTokenRequest invalidate;
  invalidate.set_kind(v1::TOKEN_KIND_COMPONENT_ACCESS_TOKEN);
  invalidate.set_token("t");
  v1::InvalidateTokenResponse invalidate_response;
  status = stub_->InvalidateToken(ContextFor("").get(), invalidate, &invalidate_response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "INVALID_TOKEN_KIND");
}

TEST_F(TokenServiceTest, StatusReportsEverythingButTheToken) {
  v1::GetAccessTokenResponse token;
  ASSERT_TRUE(stub_->GetAccessToken(ContextFor("").get(), {}, &token).ok());
  v1::TokenStatusResponse status;
  ASSERT_TRUE(stub_->TokenStatus(ContextFor("").get(), {}, &status).ok());
  ASSERT_EQ(status.tokens_size(), 3);
  const v1::TokenState& access = status.tokens(0);
  EXPECT_EQ(access.kind(), v1::TOKEN_KIND_ACCESS_TOKEN);
  EXPECT_TRUE(access.valid());
  EXPECT_EQ(access.fetches(), 1);
  EXPECT_EQ(access.force_refresh_left(), 20);
  EXPECT_GT(access.refresh_at().seconds(), access.fetched_at().seconds());
  EXPECT_LT(access.refresh_at().seconds(), access.expires_at().seconds());
  EXPECT_FALSE(status.tokens(1).valid()) << "no jsapi_ticket fetched yet";
  EXPECT_EQ(status.DebugString().find(token.access_token()), std::string::npos);
}

// A thousand calls in flight when WeChat revokes the token: none fails, one refresh.
TEST_F(TokenServiceTest, RevocationMidRunIsInvisibleToCallers) {
  auto basic = wechat::mp::v1::BasicService::NewStub(h_.channel());
  wechat::mp::v1::GetCallbackIpResponse warm;
  ASSERT_TRUE(basic->GetCallbackIp(ContextFor("").get(), {}, &warm).ok());
  h_.fake().RevokeAccessTokens(kAppidA);

  constexpr int kCalls = 1000;
  absl::Mutex mu;
  int done = 0, failed = 0;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<wechat::mp::v1::GetCallbackIpResponse> responses(kCalls);
  const wechat::mp::v1::GetCallbackIpRequest request;
  for (int i = 0; i < kCalls; ++i) {
    contexts.push_back(ContextFor(""));
    basic->async()->GetCallbackIp(contexts.back().get(), &request, &responses[i],
                                  [&](grpc::Status status) {
                                    absl::MutexLock lock(&mu);
                                    ++done;
                                    if (!status.ok()) ++failed;
                                  });
  }
  absl::MutexLock lock(&mu);
  auto all_done = [&] { return done == kCalls; };
  mu.Await(absl::Condition(&all_done));
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/stable_token"), 2) << "the first fetch and one refresh";
}

// A full run with errors and refreshes logs neither a token nor a secret.
TEST(TokenLogTest, LogsNeverHoldTokensOrSecrets) {
  absl::Mutex mu;
  std::vector<std::string> lines;
  LogSink previous = SetLogSink([&](const std::string& line) {
    absl::MutexLock lock(&mu);
    lines.push_back(line);
  });
  std::vector<std::string> tokens;
  {
    GatewayHarness h;
    auto stub = TokenService::NewStub(h.channel());
    v1::GetAccessTokenResponse token;
    for (const char* appid : {kAppidA, kAppidB}) {
      ASSERT_TRUE(stub->GetAccessToken(ContextFor(appid).get(), {}, &token).ok());
      tokens.push_back(token.access_token());
    }
    h.fake().RevokeAccessTokens(kAppidA);
    v1::InvalidateTokenRequest invalidate;
    invalidate.set_token(tokens[0]);
    v1::InvalidateTokenResponse invalidated;
    ASSERT_TRUE(stub->InvalidateToken(ContextFor("").get(), invalidate, &invalidated).ok());
    v1::GetJsapiTicketResponse ticket;
    ASSERT_TRUE(stub->GetJsapiTicket(ContextFor("").get(), {}, &ticket).ok());
    tokens.push_back(ticket.ticket());
    ASSERT_TRUE(stub->GetAccessToken(ContextFor("").get(), {}, &token).ok());
    tokens.push_back(token.access_token());
    h.fake().InjectFailure("/cgi-bin/stable_token", fake::Failure::HttpStatus(500));
    h.fake().RevokeAccessTokens(kAppidB);
    invalidate.set_token(tokens[1]);
    ASSERT_TRUE(stub->InvalidateToken(ContextFor(kAppidB).get(), invalidate, &invalidated).ok());
    EXPECT_FALSE(stub->GetAccessToken(ContextFor(kAppidB).get(), {}, &token).ok());
  }
  SetLogSink(std::move(previous));
  absl::MutexLock lock(&mu);
  ASSERT_FALSE(lines.empty()) << "the run logged token events";
  for (const std::string& line : lines) {
    for (const std::string& secret : {std::string(kSecretA), std::string(kSecretB)}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << line;
    }
    for (const std::string& token : tokens) EXPECT_EQ(line.find(token), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace wxgate::testing
