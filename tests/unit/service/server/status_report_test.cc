#include "service/server/status_report.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "auth/caller_authorizer.h"
#include "service/events/memory_event_store.h"
#include "service/token/permission_sets.h"
#include "tests/testing/test_clock.h"

namespace wxgate {
namespace {

using testing::TestClock;

constexpr char kShop[] = "wx1111111111111111";
constexpr char kCrm[] = "wx2222222222222222";
constexpr char kPlatform[] = "wx3333333333333333";
constexpr char kAuthorized[] = "wxa000000000000001";
constexpr char kRevoked[] = "wxa000000000000002";
constexpr char kNeverSeen[] = "wxa000000000000003";

// Sees one appid, or every one.
StatusReport::MaySee Only(std::string appid) {
  return [appid](absl::string_view asked) { return asked == appid; };
}
bool Everything(absl::string_view) { return true; }

class StatusReportTest : public ::testing::Test {
 protected:
  StatusReportTest() {
    EventHub::Options hub_options;
    hub_options.now = [this] { return clock_.Now(); };
    hub_ = std::make_unique<EventHub>(
        std::make_unique<MemoryEventStore>(
            MemoryEventStore::Limits{.max_events = 100, .max_age = absl::Hours(1)}, 1000),
        hub_options);
  }

  StatusReport Report(size_t max_listed_authorizers = 2) {
    return StatusReport({.version = "1.2.3",
                         .replica = "host/1/ab",
                         .started = clock_.Now() - absl::Minutes(3),
                         .accounts = {&shop_, &crm_},
                         .token_state = [this](const Account& account,
                                               TokenKind kind) { return TokenOf(account, kind); },
                         .hub = hub_.get(),
                         .activity = &activity_,
                         .service_of = {{"/cgi-bin/user/info", "wechat.mp.v1.UserService"},
                                        {"/cgi-bin/user/get", "wechat.mp.v1.UserService"}},
                         .now = [this] { return clock_.Now(); },
                         .components = {&platform_},
                         .authorizers =
                             [this](const Account&, size_t max) {
                               AuthorizerDirectory::Listing listing{.total = authorizers_.size()};
                               for (size_t i = 0; i < authorizers_.size() && i < max; ++i) {
                                 listing.first.push_back(&authorizers_[i]);
                               }
                               return listing;
                             },
                         .grant = [this](const Account& authorizer) { return GrantOf(authorizer); },
                         .max_listed_authorizers = max_listed_authorizers,
                         .upstream_base_url = [] { return "https://api2.weixin.qq.com"; }});
  }

  // kAuthorized granted sets 1 and 15; kRevoked revoked; kNeverSeen was not read yet.
  SeenGrant GrantOf(const Account& authorizer) {
    if (authorizer.appid == kAuthorized) {
      return {.seen = true, .grant = AuthorizerGrant{.permission_sets = {1, 15}}};
    }
    if (authorizer.appid == kRevoked) {
      return {.seen = true, .grant = AuthorizerGrant{.revoked = true}};
    }
    return {};
  }

  // shop holds an access_token for 2 h; crm has none after a failed fetch and asked
  // for a jsapi_ticket once.
  TokenState TokenOf(const Account& account, TokenKind kind) {
    TokenState state;
    if (account.appid == kShop && kind == TokenKind::kAccessToken) {
      state.valid = true;
      state.fetched_at = clock_.Now() - absl::Minutes(1);
      state.expires_at = clock_.Now() + absl::Hours(2);
      state.fetches = 1;
    } else if (account.appid == kPlatform && kind == TokenKind::kComponentVerifyTicket) {
      state.valid = true;
      state.fetched_at = clock_.Now() - absl::Minutes(4);
      state.expires_at = clock_.Now() + absl::Hours(11);
    } else if (account.appid == kPlatform && kind == TokenKind::kComponentAccessToken) {
      state.valid = true;
      state.fetched_at = clock_.Now() - absl::Minutes(2);
      state.expires_at = clock_.Now() + absl::Minutes(118);
      state.fetches = 2;
    } else if (account.appid == kAuthorized && kind == TokenKind::kAccessToken) {
      state.valid = true;
      state.expires_at = clock_.Now() + absl::Hours(1);
      state.fetches = 1;
    } else if (account.appid == kCrm && kind != TokenKind::kWxCardTicket) {
      state.failed_fetches = 1;
      state.last_error = "errcode 40164: invalid ip";
    }
    return state;
  }

  wechat::mp::v1::Event Push(const std::string& appid) {
    wechat::mp::v1::Event event;
    event.set_appid(appid);
    event.set_id("id-" + appid);
    event.set_msg_type("event");
    event.set_event("subscribe");
    event.set_from_user_name("o6_secret_openid");
    event.mutable_received_time()->set_seconds(absl::ToUnixSeconds(clock_.Now()));
    return event;
  }

  TestClock clock_;
  Account shop_{.appid = kShop, .secret = "shop-secret", .name = "Shop"};
  Account crm_{.appid = kCrm, .secret = "crm-secret"};
  Account platform_{.appid = kPlatform, .secret = "platform-secret", .name = "Platform"};
  std::vector<Account> authorizers_{{.appid = kAuthorized, .component = &platform_},
                                    {.appid = kRevoked, .component = &platform_},
                                    {.appid = kNeverSeen, .component = &platform_}};
  RecentActivity activity_{{.now = [this] { return clock_.Now(); }}};
  std::unique_ptr<EventHub> hub_;
};

TEST_F(StatusReportTest, DescribesTheGatewayAndTheAccountsTokens) {
  const v1::GetStatusResponse status = Report().Build(Everything);
  EXPECT_EQ(status.gateway().version(), "1.2.3");
  EXPECT_EQ(status.gateway().replica(), "host/1/ab");
  EXPECT_EQ(status.gateway().uptime().seconds(), 180);
  EXPECT_EQ(status.gateway().generated_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(status.gateway().upstream_base_url(), "https://api2.weixin.qq.com");
  EXPECT_EQ(status.window().seconds(), 300);

  ASSERT_EQ(status.accounts_size(), 2);
  const v1::AccountStatus& shop = status.accounts(0);
  EXPECT_EQ(shop.appid(), kShop);
  EXPECT_EQ(shop.name(), "Shop");
  ASSERT_EQ(shop.tokens_size(), 1);  // no ticket was ever asked for
  EXPECT_EQ(shop.tokens(0).kind(), v1::TOKEN_KIND_ACCESS_TOKEN);
  EXPECT_TRUE(shop.tokens(0).valid());
  EXPECT_EQ(shop.tokens(0).expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Hours(2)));
  const v1::AccountStatus& crm = status.accounts(1);
  ASSERT_EQ(crm.tokens_size(), 2);
  EXPECT_FALSE(crm.tokens(0).valid());
  EXPECT_EQ(crm.tokens(0).failed_fetches(), 1);
  EXPECT_EQ(crm.tokens(1).kind(), v1::TOKEN_KIND_JSAPI_TICKET);
}

TEST_F(StatusReportTest, SumsUpstreamCallsByServiceWithTheirWorstErrcodesFirst) {
  for (int i = 0; i < 6; ++i)
    activity_.RecordUpstream("/cgi-bin/user/info", "0", absl::Milliseconds(3));
  activity_.RecordUpstream("/cgi-bin/user/get", "45009", absl::Milliseconds(40));
  activity_.RecordUpstream("/cgi-bin/user/get", "45009", absl::Milliseconds(40));
  activity_.RecordUpstream("/cgi-bin/user/info", "none", absl::Seconds(30));
  activity_.RecordUpstream("raw", "0", absl::Milliseconds(1));
  activity_.RecordUpstream("/cgi-bin/unmodelled", "0", absl::Milliseconds(1));

  const v1::GetStatusResponse status = Report().Build(Everything);
  ASSERT_EQ(status.upstream_size(), 3);
  EXPECT_EQ(status.upstream(0).service(), "/cgi-bin/unmodelled");  // no service: its path
  const v1::UpstreamStatus& users = status.upstream(1);
  EXPECT_EQ(status.upstream(2).service(), "wxgate.v1.RawService");
  EXPECT_EQ(users.service(), "wechat.mp.v1.UserService");
  EXPECT_EQ(users.calls(), 9);
  EXPECT_EQ(users.errors(), 3);
  EXPECT_DOUBLE_EQ(users.error_rate(), 3.0 / 9.0);
  EXPECT_EQ(users.p50_latency().nanos(), 5'000'000);  // the (2, 5] ms bucket
  EXPECT_EQ(users.p99_latency().seconds(), 10);       // past the last bound
  ASSERT_EQ(users.top_errcodes_size(), 2);
  EXPECT_EQ(users.top_errcodes(0).errcode(), "45009");
  EXPECT_EQ(users.top_errcodes(0).calls(), 2);
  EXPECT_EQ(users.top_errcodes(1).errcode(), "none");
}

TEST_F(StatusReportTest, CutsAccountsPushesSubscribersAndEventsToWhatTheCallerMaySee) {
  activity_.RecordPush(kShop, "accepted");
  activity_.RecordPush(kShop, "signature");
  activity_.RecordPush(kCrm, "duplicate");
  hub_->Publish(StreamEventOf(Push(kShop)));
  hub_->Publish(StreamEventOf(Push(kCrm)));
  v1::SubscribeRequest shop_only;
  shop_only.mutable_filter()->add_appids(kShop);
  auto shop_subscriber = *hub_->Subscribe(
      shop_only, [] {}, "shop-backend");
  auto every_account = *hub_->Subscribe(
      v1::SubscribeRequest(), [] {}, "ops");

  const v1::GetStatusResponse shop = Report().Build(Only(kShop));
  ASSERT_EQ(shop.accounts_size(), 1);
  EXPECT_EQ(shop.accounts(0).appid(), kShop);
  ASSERT_EQ(shop.callbacks_size(), 1);
  EXPECT_EQ(shop.callbacks(0).accepted(), 1);
  EXPECT_EQ(shop.callbacks(0).refused().at("signature"), 1);
  ASSERT_EQ(shop.subscribers_size(), 1);  // not the one that sees every account
  EXPECT_EQ(shop.subscribers(0).caller(), "shop-backend");
  EXPECT_EQ(shop.subscribers(0).replica(), "host/1/ab");
  ASSERT_EQ(shop.latest_events_size(), 1);
  EXPECT_EQ(shop.latest_events(0).id(), "id-" + std::string(kShop));
  EXPECT_EQ(shop.latest_events(0).cursor(), 1000u);
  EXPECT_EQ(shop.latest_events(0).event(), "subscribe");

  const v1::GetStatusResponse all = Report().Build(Everything);
  EXPECT_EQ(all.accounts_size(), 2);
  EXPECT_EQ(all.callbacks_size(), 2);
  EXPECT_EQ(all.subscribers_size(), 2);
  ASSERT_EQ(all.latest_events_size(), 2);
  EXPECT_EQ(all.latest_events(0).appid(), kCrm);  // newest first
}

TEST_F(StatusReportTest, ShowsPlatformsWithTheirTicketTokenAndFirstAuthorizers) {
  const v1::GetStatusResponse status = Report().Build(Everything);
  ASSERT_EQ(status.components_size(), 1);
  const v1::ComponentStatus& platform = status.components(0);
  EXPECT_EQ(platform.component_appid(), kPlatform);
  EXPECT_EQ(platform.name(), "Platform");
  EXPECT_TRUE(platform.ticket_known());
  EXPECT_EQ(platform.ticket_received_time().seconds(),
            absl::ToUnixSeconds(clock_.Now() - absl::Minutes(4)));
  EXPECT_EQ(platform.component_access_token().kind(), v1::TOKEN_KIND_COMPONENT_ACCESS_TOKEN);
  EXPECT_TRUE(platform.component_access_token().valid());
  EXPECT_EQ(platform.component_access_token().fetches(), 2);
  EXPECT_EQ(platform.component_access_token().expires_at().seconds(),
            absl::ToUnixSeconds(clock_.Now() + absl::Minutes(118)));

  EXPECT_EQ(platform.authorizer_count(), 3);
  ASSERT_EQ(platform.authorizers_size(), 2);  // max_listed_authorizers
  const v1::AuthorizerStatus& authorized = platform.authorizers(0);
  EXPECT_EQ(authorized.appid(), kAuthorized);
  EXPECT_EQ(authorized.grant(), v1::GRANT_STATE_AUTHORIZED);
  ASSERT_EQ(authorized.permission_sets_size(), 2);
  EXPECT_EQ(authorized.permission_sets(0).id(), 1);
  EXPECT_EQ(authorized.permission_sets(0).name(), PermissionSetName(1));
  EXPECT_EQ(authorized.permission_sets(1).id(), 15);
  EXPECT_EQ(authorized.permission_sets(1).name(), "Menu management");
  ASSERT_EQ(authorized.tokens_size(), 1);
  EXPECT_EQ(authorized.tokens(0).kind(), v1::TOKEN_KIND_ACCESS_TOKEN);
  EXPECT_TRUE(authorized.tokens(0).valid());
  EXPECT_EQ(authorized.tokens(0).fetches(), 1);
  const v1::AuthorizerStatus& revoked = platform.authorizers(1);
  EXPECT_EQ(revoked.grant(), v1::GRANT_STATE_REVOKED);
  EXPECT_EQ(revoked.permission_sets_size(), 0);
  EXPECT_FALSE(revoked.tokens(0).valid());
}

TEST_F(StatusReportTest, ShowsAPlatformOnlyToCallersAllowedItsAppid) {
  EXPECT_EQ(Report().Build(Only(kShop)).components_size(), 0);
  const v1::GetStatusResponse platform = Report().Build(Only(kPlatform));
  ASSERT_EQ(platform.components_size(), 1);
  EXPECT_EQ(platform.components(0).authorizers_size(), 2);
  EXPECT_EQ(platform.accounts_size(), 0);
}

TEST_F(StatusReportTest, AnAuthorizerWhoseGrantWasNotReadHasNoGrantState) {
  const v1::GetStatusResponse status = Report(/*max_listed_authorizers=*/10).Build(Everything);
  ASSERT_EQ(status.components(0).authorizers_size(), 3);
  const v1::AuthorizerStatus& unseen = status.components(0).authorizers(2);
  EXPECT_EQ(unseen.appid(), kNeverSeen);
  EXPECT_EQ(unseen.grant(), v1::GRANT_STATE_UNSPECIFIED);
  EXPECT_EQ(unseen.permission_sets_size(), 0);
}

TEST_F(StatusReportTest, HoldsNoSecretNoOpenidAndNoContent) {
  hub_->Publish(StreamEventOf(Push(kShop)));
  const std::string serialized = Report().Build(Everything).DebugString();
  for (const char* secret : {"shop-secret", "crm-secret", "platform-secret", "o6_secret_openid"}) {
    EXPECT_EQ(serialized.find(secret), std::string::npos) << secret;
  }
}

TEST_F(StatusReportTest, AsksAboutEveryAccountAndAllOfThem) {
  EXPECT_EQ(Report().Appids(),
            (std::vector<std::string>{kShop, kCrm, kPlatform, std::string(kAllAppids)}));
}

}  // namespace
}  // namespace wxgate
