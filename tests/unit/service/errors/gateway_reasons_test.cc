// The one list of the gateway's reasons: each named as its enum value says, once,
// with a code and a README line; errors made from it carry it.
#include "service/errors/gateway_reasons.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"

namespace wxgate {
namespace {

TEST(GatewayReasonsTest, EveryReasonHasAUniqueNameACodeAndAnExplanation) {
  std::set<std::string> names;
  for (const GatewayReason& reason : GatewayReasons()) {
    EXPECT_TRUE(names.insert(std::string(reason.name)).second) << reason.name;
    EXPECT_NE(reason.code, absl::StatusCode::kOk) << reason.name;
    EXPECT_FALSE(reason.when.empty()) << reason.name;
    EXPECT_EQ(&ReasonInfo(reason.reason), &reason) << reason.name;
    for (char c : reason.name) EXPECT_TRUE(absl::ascii_isupper(c) || c == '_') << reason.name;
  }
  EXPECT_GE(names.size(), 30u);
}

TEST(GatewayReasonsTest, AnErrorCarriesItsReasonCodeAndMetadata) {
  absl::Status status =
      GatewayError(Reason::kUnknownAppid, "appid wx9 is not configured", {{"appid", "wx9"}});
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "appid wx9 is not configured");
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "UNKNOWN_APPID");
  EXPECT_EQ(info->domain(), "wxgate");
  EXPECT_EQ(info->metadata().at("appid"), "wx9");

  absl::Status internal =
      GatewayError(Reason::kUpstreamHttpStatus, absl::StatusCode::kInternal, "HTTP 404");
  EXPECT_EQ(internal.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ErrorInfoOf(internal)->reason(), "UPSTREAM_HTTP_STATUS");
}

TEST(GatewayReasonsTest, TheReadmeTableListsEveryReason) {
  const std::string table = ReasonTableMarkdown();
  for (const GatewayReason& reason : GatewayReasons()) {
    EXPECT_NE(table.find(absl::StrCat("| `", reason.name, "` | ")), std::string::npos)
        << reason.name;
  }
  EXPECT_NE(table.find("| `UPSTREAM_HTTP_STATUS` | UNAVAILABLE / INTERNAL |"), std::string::npos);
}

}  // namespace
}  // namespace wxgate
