#include "service/call/account_directory.h"

#include <gtest/gtest.h>

#include "service/errors/error_info.h"

namespace wxgate {
namespace {

TEST(AccountDirectoryTest, FindsByAppidOrDefault) {
  AccountDirectory directory({{.appid = "wx0000000000000001"}, {.appid = "wx0000000000000002"}},
                             "wx0000000000000002");
  EXPECT_EQ((*directory.Find("wx0000000000000001"))->appid, "wx0000000000000001");
  EXPECT_EQ((*directory.Find(""))->appid, "wx0000000000000002");
}

TEST(AccountDirectoryTest, UnknownAppidIsNotFoundNamingIt) {
  AccountDirectory directory({{.appid = "wx0000000000000001"}}, "");
  absl::Status status = directory.Find("wxdeadbeefdeadbeef").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("wxdeadbeefdeadbeef"), std::string::npos);
  EXPECT_EQ(ErrorInfoOf(status)->reason(), "UNKNOWN_APPID");
}

TEST(AccountDirectoryTest, NoAppidAndNoDefaultIsAFailedPrecondition) {
  AccountDirectory directory({{.appid = "wx0000000000000001"}}, "");
  absl::Status status = directory.Find("").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("x-wx-appid"), std::string::npos);
}

}  // namespace
}  // namespace wxgate
