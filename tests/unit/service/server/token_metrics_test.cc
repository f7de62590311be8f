// The token series of /metrics: accounts', platforms' and authorizers', the last
// bounded to the first few per platform plus one summed series.
#include "service/server/token_metrics.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

std::optional<double> ValueOf(const std::vector<Sample>& samples, Metric metric,
                              const std::vector<std::string>& labels) {
  for (const Sample& sample : samples) {
    if (sample.metric == metric && sample.labels == labels) return sample.value;
  }
  return std::nullopt;
}

class TokenMetricsTest : public ::testing::Test {
 protected:
  TokenMetricsTest() {
    for (int i = 0; i < 5; ++i) {
      authorizers_.push_back(
          {.appid = absl::StrCat("wxa00000000000000", i), .component = &platform_});
    }
  }

  TokenMetricSources Sources() {
    return {.accounts = {&shop_},
            .components = {&platform_},
            .token_state =
                [](const Account& account, TokenKind kind) {
                  TokenState state;
                  if (kind == TokenKind::kAccessToken || kind == TokenKind::kComponentAccessToken) {
                    state.valid = true;
                    state.expires_at = kNow + absl::Seconds(7000);
                    state.fetches = account.component != nullptr ? 2 : 1;
                    state.failed_fetches = account.component != nullptr ? 1 : 0;
                  }
                  return state;
                },
            .authorizers =
                [this](const Account&, size_t max) {
                  AuthorizerDirectory::Listing listing{.total = authorizers_.size()};
                  for (size_t i = 0; i < authorizers_.size() && i < max; ++i) {
                    listing.first.push_back(&authorizers_[i]);
                  }
                  return listing;
                }};
  }

  Account shop_{.appid = "wx1111111111111111"};
  Account platform_{.appid = "wx2222222222222222"};
  std::vector<Account> authorizers_;
};

TEST_F(TokenMetricsTest, LabelsAccountsAndPlatformsByAppidAndAuthorizersUnderTheirPlatform) {
  const std::vector<Sample> samples = ReadTokenMetrics(Sources(), kNow, 2);
  EXPECT_EQ(ValueOf(samples, Metric::kTokenExpiry, {"", shop_.appid, "access_token"}), 7000);
  EXPECT_EQ(ValueOf(samples, Metric::kForceRefreshLeft, {shop_.appid}), 20);
  EXPECT_EQ(
      ValueOf(samples, Metric::kTokenExpiry, {"", platform_.appid, "component_verify_ticket"}), -1);
  EXPECT_EQ(
      ValueOf(samples, Metric::kTokenFetches, {"", platform_.appid, "component_access_token"}), 1);
  const std::string first = authorizers_[0].appid;
  EXPECT_EQ(ValueOf(samples, Metric::kTokenFetches, {platform_.appid, first, "access_token"}), 2);
  EXPECT_EQ(ValueOf(samples, Metric::kTokenFetchFailures, {platform_.appid, first, "access_token"}),
            1);
  EXPECT_EQ(ValueOf(samples, Metric::kTokenExpiry, {platform_.appid, first, "access_token"}), 7000);
  EXPECT_EQ(ValueOf(samples, Metric::kAuthorizers, {platform_.appid}), 5);
  // No ticket was fetched: no ticket series.
  EXPECT_FALSE(ValueOf(samples, Metric::kTokenFetches, {platform_.appid, first, "jsapi_ticket"}));
}

TEST_F(TokenMetricsTest, AuthorizersPastTheFirstAreSummedIntoOneSeriesPerKind) {
  const std::vector<Sample> samples = ReadTokenMetrics(Sources(), kNow, 2);
  for (size_t i = 2; i < authorizers_.size(); ++i) {
    EXPECT_FALSE(ValueOf(samples, Metric::kTokenFetches,
                         {platform_.appid, authorizers_[i].appid, "access_token"}));
  }
  EXPECT_EQ(ValueOf(samples, Metric::kTokenFetches, {platform_.appid, "other", "access_token"}), 6);
  EXPECT_EQ(
      ValueOf(samples, Metric::kTokenFetchFailures, {platform_.appid, "other", "access_token"}), 3);
  EXPECT_FALSE(ValueOf(samples, Metric::kTokenExpiry, {platform_.appid, "other", "access_token"}))
      << "a gauge of many tokens means nothing";
  size_t series = 0;
  for (const Sample& sample : samples) series += sample.metric == Metric::kTokenFetches;
  EXPECT_EQ(series, 1 + 1 + 2 + 1u);  // shop, the platform, two authorizers, other
}

}  // namespace
}  // namespace wxgate
