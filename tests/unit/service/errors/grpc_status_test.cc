// ToGrpcStatus: the code, the message and the details trailer every gRPC library
// decodes (google.rpc.Status with ErrorInfo and RetryInfo).
#include "service/errors/grpc_status.h"

#include <gtest/gtest.h>

#include "google/rpc/status.pb.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/errors/wechat_errors.h"

namespace wxgate {
namespace {

TEST(GrpcStatusTest, DetailsHoldGoogleRpcStatusWithErrorInfo) {
  grpc::Status status = ToGrpcStatus(WeChatError(46004, "user not exist rid: abc"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "WECHAT_46004");
  EXPECT_EQ(info.metadata().at("rid"), "abc");
}

TEST(GrpcStatusTest, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(GrpcStatusTest, PlainStatusHasNoErrorInfo) {
  grpc::Status status = ToGrpcStatus(absl::InternalError("boom"));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  EXPECT_EQ(details.details_size(), 0);
  EXPECT_EQ(status.error_message(), "boom");
}

TEST(GrpcStatusTest, RetryInfoTravelsWithTheErrorInfo) {
  grpc::Status status = ToGrpcStatus(WithRetryDelay(
      GatewayError(Reason::kCallerRateLimited, "slow down"), absl::Milliseconds(1500)));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_EQ(details.details_size(), 2);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "CALLER_RATE_LIMITED");
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(1).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 1);
  EXPECT_EQ(retry.retry_delay().nanos(), 500000000);
}

}  // namespace
}  // namespace wxgate
