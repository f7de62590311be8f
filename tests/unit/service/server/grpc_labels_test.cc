#include "service/server/grpc_labels.h"

#include <gtest/gtest.h>

#include "wechat/mp/v1/user.pb.h"

namespace wxgate {
namespace {

TEST(GrpcLabelsTest, KnownMethodsKeepTheirPathOthersAreUnknown) {
  // Links user.proto, so that the generated pool knows the service.
  EXPECT_NE(wechat::mp::v1::GetUserInfoRequest::descriptor(), nullptr);
  EXPECT_EQ(MethodLabel("/wechat.mp.v1.UserService/GetUserInfo"),
            "/wechat.mp.v1.UserService/GetUserInfo");
  EXPECT_EQ(MethodLabel("/made.up/Path"), "unknown");
  EXPECT_EQ(MethodLabel("/"), "unknown");
  EXPECT_EQ(MethodLabel(nullptr), "unknown");
}

TEST(GrpcLabelsTest, CodesAreNamedAsInTheSpec) {
  EXPECT_EQ(CodeLabel(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(CodeLabel(grpc::StatusCode::NOT_FOUND), "NOT_FOUND");
  EXPECT_EQ(CodeLabel(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(CodeLabel(static_cast<grpc::StatusCode>(42)), "UNKNOWN");
}

}  // namespace
}  // namespace wxgate
