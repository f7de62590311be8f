#include "service/errors/wechat_errors.h"

#include <gtest/gtest.h>

#include <set>

#include "google/rpc/status.pb.h"
#include "service/errors/error_info.h"

namespace wxgate {
namespace {

using Code = absl::StatusCode;

TEST(WeChatErrorsTest, DocumentedCodesMapByTheTable) {
  EXPECT_EQ(StatusCodeForErrcode(-1), Code::kUnavailable);
  EXPECT_EQ(StatusCodeForErrcode(40001), Code::kUnauthenticated);
  EXPECT_EQ(StatusCodeForErrcode(40013), Code::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForErrcode(40164), Code::kPermissionDenied);
  EXPECT_EQ(StatusCodeForErrcode(45009), Code::kResourceExhausted);
  EXPECT_EQ(StatusCodeForErrcode(45157), Code::kAlreadyExists);
  EXPECT_EQ(StatusCodeForErrcode(46004), Code::kNotFound);
}

TEST(WeChatErrorsTest, UndocumentedCodesFallBackToTheirRange) {
  EXPECT_EQ(StatusCodeForErrcode(41009), Code::kInvalidArgument);
  EXPECT_EQ(StatusCodeForErrcode(45047), Code::kResourceExhausted);
  EXPECT_EQ(StatusCodeForErrcode(46001), Code::kNotFound);
  EXPECT_EQ(StatusCodeForErrcode(48004), Code::kPermissionDenied);
  EXPECT_EQ(StatusCodeForErrcode(9001001), Code::kUnknown);
}

TEST(WeChatErrorsTest, TableHasNoDuplicateErrcodes) {
  std::set<int> seen;
  for (const WeChatErrorRule& rule : WeChatErrorRules()) {
    EXPECT_TRUE(seen.insert(rule.errcode).second) << rule.errcode;
    EXPECT_FALSE(rule.advice.empty()) << rule.errcode;
  }
}

TEST(WeChatErrorsTest, ErrorCarriesErrorInfoWithRidSplitOff) {
  absl::Status status = WeChatError(40003, "invalid openid rid: 6571d2a4-0f3b1c2d-1a2b3c4d");
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_EQ(status.message().find("rid:"), absl::string_view::npos);
  EXPECT_NE(status.message().find("WeChat errcode 40003: invalid openid"), absl::string_view::npos);
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "WECHAT_40003");
  EXPECT_EQ(info->domain(), "api.weixin.qq.com");
  EXPECT_EQ(info->metadata().at("errcode"), "40003");
  EXPECT_EQ(info->metadata().at("errmsg"), "invalid openid");
  EXPECT_EQ(info->metadata().at("rid"), "6571d2a4-0f3b1c2d-1a2b3c4d");
}

TEST(WeChatErrorsTest, ErrmsgWithoutRidHasNoRidMetadata) {
  std::optional<google::rpc::ErrorInfo> info =
      ErrorInfoOf(WeChatError(45009, "reach max api daily quota limit"));
  ASSERT_TRUE(info.has_value());
  EXPECT_FALSE(info->metadata().contains("rid"));
}

TEST(WeChatErrorsTest, StaleTokenErrcodes) {
  EXPECT_TRUE(IsStaleTokenErrcode(40001));
  EXPECT_TRUE(IsStaleTokenErrcode(40014));
  EXPECT_TRUE(IsStaleTokenErrcode(42001));
  EXPECT_FALSE(IsStaleTokenErrcode(40003));
}

}  // namespace
}  // namespace wxgate
