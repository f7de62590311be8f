// The call line and the request id through the gateway's real server: what CallLog
// (service/server/call_log.h) writes and answers for calls the harness makes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "service/observe/log.h"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/user.grpc.pb.h"

namespace wxgate::testing {
namespace {

constexpr char kTraceparent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class CallLogTest : public ::testing::Test {
 protected:
  CallLogTest() {
    previous_ = SetLogSink([this](const std::string& line) {
      absl::MutexLock lock(&mu_);
      lines_.push_back(line);
    });
  }
  ~CallLogTest() override {
    SetLogLevel(LogLevel::kInfo);
    SetLogSink(std::move(previous_));
  }

  // The call line that names `request_id`, once it is written ("" if never).
  std::string CallLine(const std::string& request_id) {
    std::string found;
    WaitFor(
        [&] {
          absl::MutexLock lock(&mu_);
          for (const std::string& line : lines_) {
            if (absl::StrContains(line, " call ") &&
                absl::StrContains(line, "request_id=" + request_id + " ")) {
              found = line;
            }
          }
          return !found.empty();
        },
        absl::Seconds(10));
    return found;
  }

  grpc::Status GetUserInfo(grpc::ClientContext& context) {
    wechat::mp::v1::GetUserInfoRequest request;
    request.set_openid("o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
    wechat::mp::v1::GetUserInfoResponse response;
    return users_->GetUserInfo(&context, request, &response);
  }

  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  LogSink previous_;
  GatewayHarness h_;
  std::unique_ptr<wechat::mp::v1::UserService::Stub> users_ =
      wechat::mp::v1::UserService::NewStub(h_.channel());
};

TEST_F(CallLogTest, AnOkCallIsLoggedAtDebugWithTheCallersIds) {
  SetLogLevel(LogLevel::kDebug);
  std::unique_ptr<grpc::ClientContext> context = ContextFor(kAppidA);
  context->AddMetadata("traceparent", kTraceparent);
  context->AddMetadata("x-request-id", "it-1");
  ASSERT_TRUE(GetUserInfo(*context).ok());
  auto echoed = context->GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(echoed, context->GetServerInitialMetadata().end());
  EXPECT_EQ(std::string(echoed->second.data(), echoed->second.size()), "it-1");

  const std::string line = CallLine("it-1");
  EXPECT_TRUE(absl::StrContains(line, " DEBUG call ")) << line;
  EXPECT_TRUE(absl::StrContains(line, "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 ")) << line;
  EXPECT_TRUE(absl::StrContains(line, std::string("appid=") + kAppidA + " ")) << line;
  EXPECT_TRUE(absl::StrContains(line, "method=wechat.mp.v1.UserService/GetUserInfo ")) << line;
  EXPECT_TRUE(absl::StrContains(line, "code=OK ")) << line;
  EXPECT_TRUE(absl::StrContains(line, "latency_ms=")) << line;
}

TEST_F(CallLogTest, AtInfoOnlyFailedCallsAreLoggedAndAnUnusableIdIsReplaced) {
  std::unique_ptr<grpc::ClientContext> ok = ContextFor(kAppidA);
  ok->AddMetadata("x-request-id", "it-ok");
  ASSERT_TRUE(GetUserInfo(*ok).ok());

  std::unique_ptr<grpc::ClientContext> failed = ContextFor("wx9999999999999999");
  failed->AddMetadata("x-request-id", std::string(129, 'x'));
  EXPECT_EQ(GetUserInfo(*failed).error_code(), grpc::StatusCode::NOT_FOUND);
  auto echoed = failed->GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(echoed, failed->GetServerInitialMetadata().end());
  const std::string id(echoed->second.data(), echoed->second.size());
  EXPECT_NE(id, std::string(129, 'x'));

  const std::string line = CallLine(id);
  EXPECT_TRUE(absl::StrContains(line, " INFO call ")) << line;
  EXPECT_TRUE(absl::StrContains(line, "code=NOT_FOUND ")) << line;
  absl::MutexLock lock(&mu_);
  for (const std::string& logged : lines_) {
    EXPECT_FALSE(absl::StrContains(logged, "request_id=it-ok")) << logged;
  }
}

}  // namespace
}  // namespace wxgate::testing
