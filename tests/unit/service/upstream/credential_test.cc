#include "service/upstream/credential.h"

#include <gtest/gtest.h>

#include "service/errors/wechat_errors.h"

namespace wxgate {
namespace {

TEST(CredentialTest, EveryKindHasItsOwnName) {
  EXPECT_EQ(CredentialKindName(CredentialKind::kAccessToken), "access_token");
  EXPECT_EQ(CredentialKindName(CredentialKind::kComponentAccessToken), "component_access_token");
  EXPECT_EQ(CredentialKindName(CredentialKind::kAuthorizerAccessToken), "authorizer_access_token");
  EXPECT_EQ(CredentialKindName(CredentialKind::kOAuthUserToken), "oauth_access_token");
  EXPECT_EQ(CredentialKindName(CredentialKind::kWxCardTicket), "wx_card_ticket");
}

TEST(CredentialTest, OnlyManagedTokensAreStale) {
  const absl::Status stale = WeChatError(40001, "invalid credential");
  for (CredentialKind kind : {CredentialKind::kAccessToken, CredentialKind::kComponentAccessToken,
                              CredentialKind::kAuthorizerAccessToken}) {
    EXPECT_TRUE(CredentialWasStale(stale, kind)) << CredentialKindName(kind);
    EXPECT_TRUE(CredentialWasStale(WeChatError(40014, ""), kind));
    EXPECT_TRUE(CredentialWasStale(WeChatError(42001, ""), kind));
    EXPECT_FALSE(CredentialWasStale(WeChatError(40003, "invalid openid"), kind));
    EXPECT_FALSE(CredentialWasStale(absl::UnavailableError("down"), kind));
  }
  // The gateway holds no value of these kinds to refresh.
  for (CredentialKind kind :
       {CredentialKind::kNone, CredentialKind::kAppidSecret, CredentialKind::kOAuthUserToken}) {
    EXPECT_FALSE(CredentialWasStale(stale, kind)) << CredentialKindName(kind);
  }
}

}  // namespace
}  // namespace wxgate
