// AdminHandler's routes and the admission of /status.json: the same callers and
// policies as the gRPC API, in HTTP's words.
#include "service/server/admin_handler.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "service/server/status_page_files.h"

namespace wxgate {
namespace {

constexpr char kShop[] = "wx1111111111111111";
constexpr char kCrm[] = "wx2222222222222222";
// SHA-256 of "k-ops", "k-shop" and "k-none" (printf %s k-ops | sha256sum).
constexpr char kOpsKeyHash[] = "86be7c4fbab602f1ba6cd349666aeec503486286f411cf319498b878c7b5199d";
constexpr char kShopKeyHash[] = "39ebabbc95c59eb400a50330401638687e85cee4bea4f1193dbd859cb550faa0";
constexpr char kNoneKeyHash[] = "5c32bfe784372d127f5542dd93054677a628b35a5ef93e165ad54b26ba7afe6f";

config::v1::Access Rules(double ops_per_second = 0) {
  config::v1::Access access;
  access.set_identity_header("X-Client-Identity");
  auto* ops = access.add_callers();
  ops->set_name("ops");
  ops->add_api_key_sha256(kOpsKeyHash);
  ops->mutable_policy()->add_appids("*");
  ops->mutable_policy()->add_methods("wxgate.v1.AdminService/*");
  if (ops_per_second > 0) {
    ops->mutable_rate_limit()->set_per_second(ops_per_second);
    ops->mutable_rate_limit()->set_burst(1);
  }
  auto* shop = access.add_callers();
  shop->set_name("shop");
  shop->add_api_key_sha256(kShopKeyHash);
  shop->add_tls_identities("spiffe://test/shop");
  shop->mutable_policy()->add_appids(kShop);
  shop->mutable_policy()->add_methods("wxgate.v1.*");
  auto* none = access.add_callers();
  none->set_name("none");
  none->add_api_key_sha256(kNoneKeyHash);
  none->mutable_policy()->add_appids("*");
  none->mutable_policy()->add_methods("wechat.mp.v1.*");
  return access;
}

class AdminHandlerTest : public ::testing::Test {
 protected:
  CallbackAnswer Get(const std::string& target,
                     absl::flat_hash_map<std::string, std::string> headers = {},
                     const std::string& method = "GET") {
    std::optional<CallbackAnswer> answer;
    handler_.Handle({.method = method, .target = target, .headers = std::move(headers)},
                    [&answer](CallbackAnswer a) { answer = std::move(a); });
    EXPECT_TRUE(answer.has_value());
    return answer.value_or(CallbackAnswer{.status = 0});
  }
  static std::string HeaderOf(const CallbackAnswer& answer, absl::string_view name) {
    for (const auto& [key, value] : answer.headers) {
      if (key == name) return value;
    }
    return "";
  }
  static v1::GetStatusResponse Parse(const CallbackAnswer& answer) {
    v1::GetStatusResponse status;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(answer.body, &status).ok())
        << answer.body;
    return status;
  }

  Account shop_{.appid = kShop, .secret = "shop-app-secret"};
  Account crm_{.appid = kCrm, .secret = "crm-app-secret"};
  AccountDirectory accounts_{{shop_, crm_}, ""};
  CallAdmission admission_{accounts_, std::make_shared<const CallerAuthorizer>(Rules())};
  StatusReport report_{{.version = "1.2.3",
                        .replica = "host/1/ab",
                        .started = absl::Now(),
                        .accounts = {&shop_, &crm_},
                        .token_state = [](const Account&, TokenKind) { return TokenState(); }}};
  AdminHandler handler_{[] {
                          return std::vector<Sample>{{Metric::kSubscribers, {}, 7}};
                        },
                        report_, admission_};
};

TEST_F(AdminHandlerTest, ServesThePageFilesWithoutCredentials) {
  const CallbackAnswer page = Get("/status");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.body, StatusPageFile("status.html"));
  EXPECT_TRUE(absl::StrContains(page.body, "<script src=\"/status.js\"")) << page.body;
  EXPECT_EQ(Get("/status.css").content_type, "text/css; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(Get("/status.css").body, "font"));
  const CallbackAnswer script = Get("/status.js?v=1");
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_TRUE(absl::StrContains(script.body, "/status.json"));
  for (const CallbackAnswer& answer : {page, script}) {
    EXPECT_EQ(HeaderOf(answer, "Cache-Control"), "no-store");
    EXPECT_TRUE(
        absl::StartsWith(HeaderOf(answer, "Content-Security-Policy"), "default-src 'self'"));
  }
}

TEST_F(AdminHandlerTest, ServesMetricsWithoutCredentials) {
  const CallbackAnswer metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(absl::StrContains(metrics.body, "wxgate_subscribers 7")) << metrics.body;
}

TEST_F(AdminHandlerTest, AnswersUnknownPaths404AndOtherMethods405) {
  EXPECT_EQ(Get("/").status, 404);
  EXPECT_EQ(Get("/status.html").status, 404);
  EXPECT_EQ(Get("/status.json/x").status, 404);
  const CallbackAnswer post = Get("/status.json", {{"authorization", "Bearer k-ops"}}, "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(HeaderOf(post, "Allow"), "GET");
  EXPECT_EQ(Get("/metrics", {}, "DELETE").status, 405);
}

TEST_F(AdminHandlerTest, StatusJsonNeedsAKnownCaller) {
  const CallbackAnswer anonymous = Get("/status.json");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(HeaderOf(anonymous, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(Get("/status.json", {{"authorization", "Bearer wrong"}}).status, 401);
  // Known, but its policy has no AdminService method.
  EXPECT_EQ(Get("/status.json", {{"authorization", "Bearer k-none"}}).status, 403);
}

TEST_F(AdminHandlerTest, StatusJsonIsTheStatusCutToTheCallersAppids) {
  const CallbackAnswer ops = Get("/status.json", {{"authorization", "Bearer k-ops"}});
  ASSERT_EQ(ops.status, 200) << ops.body;
  EXPECT_EQ(ops.content_type, "application/json");
  EXPECT_EQ(HeaderOf(ops, "Cache-Control"), "no-store");
  const v1::GetStatusResponse all = Parse(ops);
  EXPECT_EQ(all.gateway().version(), "1.2.3");
  ASSERT_EQ(all.accounts_size(), 2);

  const v1::GetStatusResponse shop =
      Parse(Get("/status.json", {{"authorization", "Bearer k-shop"}}));
  ASSERT_EQ(shop.accounts_size(), 1);
  EXPECT_EQ(shop.accounts(0).appid(), kShop);

  for (const char* secret : {"shop-app-secret", "crm-app-secret", "k-ops"}) {
    EXPECT_FALSE(absl::StrContains(ops.body, secret)) << secret;
  }
}

TEST_F(AdminHandlerTest, StatusJsonTakesTheConfiguredIdentityHeader) {
  // Header names arrive in lower case, whatever the configuration's spelling.
  const CallbackAnswer shop = Get("/status.json", {{"x-client-identity", "spiffe://test/shop"}});
  ASSERT_EQ(shop.status, 200) << shop.body;
  EXPECT_EQ(Parse(shop).accounts_size(), 1);
  EXPECT_EQ(Get("/status.json", {{"x-client-identity", "spiffe://test/nobody"}}).status, 403);
}

TEST_F(AdminHandlerTest, StatusJsonOverTheRateLimitIs429WithRetryAfter) {
  admission_.ReplaceAuthorizer(std::make_shared<const CallerAuthorizer>(Rules(0.5)));
  EXPECT_EQ(Get("/status.json", {{"authorization", "Bearer k-ops"}}).status, 200);
  const CallbackAnswer limited = Get("/status.json", {{"authorization", "Bearer k-ops"}});
  EXPECT_EQ(limited.status, 429);
  const std::string retry_after = HeaderOf(limited, "Retry-After");
  EXPECT_TRUE(retry_after == "1" || retry_after == "2") << retry_after;
}

TEST_F(AdminHandlerTest, StatusJsonFollowsReloadedRules) {
  config::v1::Access open;
  open.mutable_anonymous()->add_appids(kCrm);
  open.mutable_anonymous()->add_methods("wxgate.v1.AdminService/GetStatus");
  admission_.ReplaceAuthorizer(std::make_shared<const CallerAuthorizer>(open));
  const CallbackAnswer anonymous = Get("/status.json");
  ASSERT_EQ(anonymous.status, 200) << anonymous.body;
  ASSERT_EQ(Parse(anonymous).accounts_size(), 1);
  EXPECT_EQ(Parse(anonymous).accounts(0).appid(), kCrm);
  EXPECT_EQ(Get("/status.json", {{"authorization", "Bearer k-ops"}}).status, 401);
}

}  // namespace
}  // namespace wxgate
