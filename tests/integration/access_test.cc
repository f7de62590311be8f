// Caller authentication and policy through the real gateway: API keys in metadata,
// per-caller accounts and methods, health always open.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "service/observe/log.h"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/user.grpc.pb.h"
#include "wxgate/v1/event.grpc.pb.h"
#include "wxgate/v1/token.grpc.pb.h"

namespace wxgate::testing {
namespace {

// SHA-256 of "shop-key-1", "ops-key" and "batch-key" (Python's hashlib).
constexpr char kShopKeyHash[] = "9027afd51b2cc5c65a1d95ef344e5293b5521abc3f20da288acaacf84b3ca999";
constexpr char kOpsKeyHash[] = "2c69bc9111c27110a9b9a7974ba3f8ac0c053c16b23a0738115ee829fbc4d57b";
constexpr char kBatchKeyHash[] = "9d8db2a67d146638c07fbb5652ad998062e2e2fa857eef026c40c444b07e3872";

HarnessOptions WithCallers() {
  config::v1::Access access;
  auto* shop = access.add_callers();
  shop->set_name("shop");
  shop->add_api_key_sha256(kShopKeyHash);
  shop->mutable_policy()->add_appids(kAppidA);
  shop->mutable_policy()->add_appids(kComponentAppid);
  shop->mutable_policy()->add_methods("wechat.mp.v1.UserService/*");
  shop->mutable_policy()->add_methods("wxgate.v1.EventService/*");
  auto* ops = access.add_callers();
  ops->set_name("ops");
  ops->add_api_key_sha256(kOpsKeyHash);
  ops->mutable_policy()->add_appids("*");
  ops->mutable_policy()->add_methods("wxgate.v1.TokenService/TokenStatus");
  auto* batch = access.add_callers();
  batch->set_name("batch");
  batch->add_api_key_sha256(kBatchKeyHash);
  batch->mutable_policy()->add_appids("*");
  batch->mutable_policy()->add_methods("*");
  // One call, then one more every ~17 minutes: the second call is always refused.
  batch->mutable_rate_limit()->set_per_second(0.001);
  batch->mutable_rate_limit()->set_burst(1);
  HarnessOptions options;
  options.access = access;
  options.component = true;
  return options;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& appid, const std::string& key) {
  std::unique_ptr<grpc::ClientContext> context = ContextFor(appid);
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  return context;
}

class AccessTest : public ::testing::Test {
 protected:
  grpc::Status GetUser(const std::string& appid, const std::string& key) {
    auto stub = wechat::mp::v1::UserService::NewStub(h_.channel());
    wechat::mp::v1::GetUserInfoRequest request;
    request.set_openid("o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
    wechat::mp::v1::GetUserInfoResponse response;
    return stub->GetUserInfo(Context(appid, key).get(), request, &response);
  }

  GatewayHarness h_{WithCallers()};
};

TEST_F(AccessTest, TheRightKeyForTheRightAccountAndMethodIsServed) {
  grpc::Status status = GetUser(kAppidA, "shop-key-1");
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(AccessTest, NoKeyOrAWrongKeyIsUnauthenticatedAndNothingGoesUpstream) {
  for (const std::string& key : {std::string(""), std::string("not-a-key")}) {
    grpc::Status status = GetUser(kAppidA, key);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << key;
    EXPECT_EQ(ErrorInfoFrom(status).reason(), "CALLER_UNAUTHENTICATED");
    EXPECT_EQ(status.error_message().find("shop"), std::string::npos);
  }
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/user/info"), 0);
}

TEST_F(AccessTest, AKnownCallerOutsideItsPolicyIsDenied) {
  // Another account.
  grpc::Status status = GetUser(kAppidB, "shop-key-1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "CALLER_NOT_ALLOWED");
  // Another method.
  auto tokens = wxgate::v1::TokenService::NewStub(h_.channel());
  wxgate::v1::GetAccessTokenResponse token;
  status = tokens->GetAccessToken(Context(kAppidA, "shop-key-1").get(),
                                  wxgate::v1::GetAccessTokenRequest(), &token);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(token.access_token().empty());
  // Within its own policy, the other caller is served.
  wxgate::v1::TokenStatusResponse token_status;
  status = tokens->TokenStatus(Context(kAppidB, "ops-key").get(), wxgate::v1::TokenStatusRequest(),
                               &token_status);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/user/info"), 0);
}

TEST_F(AccessTest, SubscriptionsAreCheckedPerAccount) {
  auto events = wxgate::v1::EventService::NewStub(h_.channel());
  auto subscribe = [&](std::vector<std::string> appids,
                       std::vector<std::string> component_appids = {}) {
    wxgate::v1::SubscribeRequest request;
    for (const std::string& appid : appids) request.mutable_filter()->add_appids(appid);
    for (const std::string& appid : component_appids) {
      request.mutable_filter()->add_component_appids(appid);
    }
    // The previous admitted stream is gone from the hub, so a live count means this one.
    EXPECT_TRUE(WaitFor([&] { return h_.gateway().events().subscriber_count() == 0; }));
    auto context = Context("", "shop-key-1");
    auto reader = events->Subscribe(context.get(), request);
    // An admitted subscription streams until cancelled: cancel it once it is live.
    std::atomic<bool> ended{false};
    std::thread canceller([&] {
      WaitFor([&] { return ended || h_.gateway().events().subscriber_count() > 0; });
      context->TryCancel();
    });
    wxgate::v1::SubscribeResponse ignored;
    while (reader->Read(&ignored)) {
    }
    grpc::Status status = reader->Finish();
    ended = true;
    canceller.join();
    return status;
  };
  EXPECT_EQ(subscribe({}).error_code(), grpc::StatusCode::PERMISSION_DENIED);  // every account
  EXPECT_EQ(subscribe({kAppidB}).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(subscribe({kAppidA, kAppidB}).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(subscribe({kAppidA}).error_code(), grpc::StatusCode::CANCELLED);
  // A third-party platform's pushes need access to its component_appid.
  EXPECT_EQ(subscribe({}, {kComponentAppid}).error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(subscribe({}, {"wx9999999999999999"}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(subscribe({kAppidA}, {kComponentAppid, "wx9999999999999999"}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessTest, ACallerOverItsRateLimitIsToldWhenToRetry) {
  EXPECT_TRUE(GetUser(kAppidA, "batch-key").ok());
  grpc::Status status = GetUser(kAppidA, "batch-key");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  google::rpc::RetryInfo retry;
  bool has_retry = false;
  for (const auto& detail : details.details()) has_retry |= detail.UnpackTo(&retry);
  ASSERT_TRUE(has_retry);
  EXPECT_GT(retry.retry_delay().seconds(), 60);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "CALLER_RATE_LIMITED");
  // Other callers are not slowed down.
  EXPECT_TRUE(GetUser(kAppidA, "shop-key-1").ok());
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/user/info"), 2);
}

TEST_F(AccessTest, AnOversizedRequestIsRefusedBeforeAnyWork) {
  auto stub = wechat::mp::v1::UserService::NewStub(h_.channel());
  wechat::mp::v1::GetUserInfoRequest request;
  request.set_openid(std::string(2 << 20, 'o'));  // over the harness's 1 MiB
  wechat::mp::v1::GetUserInfoResponse response;
  grpc::Status status = stub->GetUserInfo(Context(kAppidA, "shop-key-1").get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(h_.fake().CallCount("/cgi-bin/user/info"), 0);
}

TEST_F(AccessTest, HealthIsOpen) {
  auto health = grpc::health::v1::Health::NewStub(h_.channel());
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status =
      health->Check(ContextFor("").get(), grpc::health::v1::HealthCheckRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// Refused and served calls and pushes log neither API keys nor callback secrets,
// nor openids or message content, even at the debug level (every call and push).
TEST(AccessLogTest, LogsNeverHoldKeysOrCallbackSecrets) {
  absl::Mutex mu;
  std::vector<std::string> lines;
  LogSink previous = SetLogSink([&](const std::string& line) {
    absl::MutexLock lock(&mu);
    lines.push_back(line);
  });
  SetLogLevel(LogLevel::kDebug);
  {
    GatewayHarness h(WithCallers());
    auto users = wechat::mp::v1::UserService::NewStub(h.channel());
    wechat::mp::v1::GetUserInfoRequest request;
    request.set_openid("o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
    wechat::mp::v1::GetUserInfoResponse response;
    for (const auto& [appid, key] :
         {std::pair{kAppidA, "shop-key-1"}, std::pair{kAppidB, "shop-key-1"},
          std::pair{kAppidA, "guessed-key-123"}}) {
      (void)users->GetUserInfo(Context(appid, key).get(), request, &response);
    }
    const std::string push =
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId><Extra>x</Extra></xml>";
    for (const char* appid : {kAppidA, kAppidB}) {
      ASSERT_TRUE(fake::PushSender(h.PushTargetFor(appid)).Send(push).ok());
      fake::PushTarget forged = h.PushTargetFor(appid);
      forged.token = "forged-token";
      ASSERT_TRUE(fake::PushSender(forged).Send(push).ok());
    }
  }
  SetLogLevel(LogLevel::kInfo);
  SetLogSink(std::move(previous));
  absl::MutexLock lock(&mu);
  ASSERT_FALSE(lines.empty());
  int call_lines = 0;
  for (const std::string& line : lines) {
    if (line.find(" call request_id=") != std::string::npos) ++call_lines;
    for (const char* secret :
         {"shop-key-1", "guessed-key-123", kCallbackToken, kAesKeyB, "forged-token", kSecretA,
          kSecretB, "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "<Content>", "Content>hi"}) {
      EXPECT_EQ(line.find(secret), std::string::npos) << line;
    }
  }
  EXPECT_GE(call_lines, 3) << "a call line for each call";
}

}  // namespace
}  // namespace wxgate::testing
