#include "auth/caller_authorizer.h"

#include <gtest/gtest.h>

namespace wxgate {
namespace {

// SHA-256 of "shop-key-1", "shop-key-2" and "ops-key", computed with Python's hashlib.
constexpr char kShopKey1Hash[] = "9027afd51b2cc5c65a1d95ef344e5293b5521abc3f20da288acaacf84b3ca999";
constexpr char kShopKey2Hash[] = "E139AB49CDA89A0706F2557636C2AF951B2F8B788174E1E0F99806F2ECA83C2B";
constexpr char kOpsKeyHash[] = "2c69bc9111c27110a9b9a7974ba3f8ac0c053c16b23a0738115ee829fbc4d57b";

config::v1::Access Access() {
  config::v1::Access access;
  auto* shop = access.add_callers();
  shop->set_name("shop");
  shop->add_api_key_sha256(kShopKey1Hash);
  shop->add_api_key_sha256(kShopKey2Hash);  // rotation: both keys work
  shop->mutable_policy()->add_appids("wx1");
  shop->mutable_policy()->add_methods("wechat.mp.v1.*");
  shop->mutable_policy()->add_methods("wxgate.v1.TokenService/SignJsSdkConfig");
  auto* ops = access.add_callers();
  ops->set_name("ops");
  ops->add_api_key_sha256(kOpsKeyHash);
  ops->mutable_policy()->add_appids("*");
  ops->mutable_policy()->add_methods("wxgate.v1.TokenService/*");
  return access;
}

constexpr char kGetUser[] = "wechat.mp.v1.UserService/GetUserInfo";

TEST(CallerAuthorizerTest, AKnownKeyWithinItsPolicyIsAllowed) {
  CallerAuthorizer authorizer(Access());
  EXPECT_EQ(*authorizer.Check("Bearer shop-key-1", kGetUser, "wx1"), "shop");
  EXPECT_EQ(*authorizer.Check("Bearer shop-key-2", kGetUser, "wx1"), "shop");
  EXPECT_EQ(*authorizer.Check("Bearer shop-key-1", "wxgate.v1.TokenService/SignJsSdkConfig", "wx1"),
            "shop");
  EXPECT_EQ(*authorizer.Check("Bearer ops-key", "wxgate.v1.TokenService/GetAccessToken", "wx9"),
            "ops");
  EXPECT_EQ(*authorizer.Check("Bearer ops-key", "wxgate.v1.TokenService/TokenStatus", kAllAppids),
            "ops");
}

TEST(CallerAuthorizerTest, NoOrUnknownKeysAreUnauthenticatedAndSayNothingAboutOthers) {
  CallerAuthorizer authorizer(Access());
  for (const char* authorization : {"", "Bearer ", "Bearer wrong", "Basic c2hvcDprZXk=",
                                    "shop-key-1", "bearer shop-key-1", "Bearer shop-key-1 "}) {
    absl::StatusOr<std::string> caller = authorizer.Check(authorization, kGetUser, "wx1");
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated) << authorization;
    EXPECT_EQ(caller.status().message().find("shop"), absl::string_view::npos);
    EXPECT_EQ(caller.status().message().find("ops"), absl::string_view::npos);
  }
}

TEST(CallerAuthorizerTest, AKnownCallerOutsideItsPolicyIsDenied) {
  CallerAuthorizer authorizer(Access());
  // The wrong account, the wrong method, every account.
  EXPECT_EQ(authorizer.Check("Bearer shop-key-1", kGetUser, "wx2").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(authorizer.Check("Bearer shop-key-1", "wxgate.v1.TokenService/GetAccessToken", "wx1")
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(authorizer.Check("Bearer shop-key-1", kGetUser, kAllAppids).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(authorizer.Check("Bearer ops-key", kGetUser, "wx1").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CallerAuthorizerTest, ARemovedKeyNoLongerWorks) {
  config::v1::Access rotated = Access();
  rotated.mutable_callers(0)->mutable_api_key_sha256()->DeleteSubrange(0, 1);
  CallerAuthorizer authorizer(rotated);
  EXPECT_EQ(authorizer.Check("Bearer shop-key-1", kGetUser, "wx1").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(authorizer.Check("Bearer shop-key-2", kGetUser, "wx1").ok());
}

TEST(CallerAuthorizerTest, CallsWithoutAKeyFollowTheAnonymousPolicyOnlyWhenSet) {
  config::v1::Access access = Access();
  EXPECT_FALSE(CallerAuthorizer(access).Identify("").ok());
  access.mutable_anonymous()->add_appids("wx1");
  access.mutable_anonymous()->add_methods("wechat.mp.v1.UserService/*");
  CallerAuthorizer authorizer(access);
  EXPECT_EQ(*authorizer.Check("", kGetUser, "wx1"), "anonymous");
  EXPECT_EQ(authorizer.Check("", "wechat.mp.v1.TagService/GetTags", "wx1").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(*authorizer.Identify(""), "anonymous");
  // A wrong key is not anonymous.
  EXPECT_FALSE(authorizer.Check("Bearer wrong", kGetUser, "wx1").ok());
}

TEST(CallerAuthorizerTest, EachCallerHasItsOwnRateLimit) {
  config::v1::Access access = Access();
  access.mutable_callers(0)->mutable_rate_limit()->set_per_second(1);
  access.mutable_callers(0)->mutable_rate_limit()->set_burst(2);
  absl::Time now = absl::FromUnixSeconds(1700000000);
  CallerAuthorizer authorizer(access, [&] { return now; });
  EXPECT_EQ(authorizer.Throttle("shop"), absl::ZeroDuration());
  EXPECT_EQ(authorizer.Throttle("shop"), absl::ZeroDuration());
  EXPECT_EQ(authorizer.Throttle("shop"), absl::Seconds(1));
  EXPECT_EQ(authorizer.Throttle("ops"), absl::ZeroDuration());  // no limit configured
  now += absl::Seconds(1);
  EXPECT_EQ(authorizer.Throttle("shop"), absl::ZeroDuration());
}

// Access() plus identities: shop's SPIFFE ID, and a caller known only by its
// certificate's DNS name.
config::v1::Access AccessWithIdentities() {
  config::v1::Access access = Access();
  access.mutable_callers(0)->add_tls_identities("spiffe://test/shop");
  auto* batch = access.add_callers();
  batch->set_name("batch");
  batch->add_tls_identities("batch.internal");
  batch->add_tls_identities("batch-client");
  batch->mutable_policy()->add_appids("*");
  batch->mutable_policy()->add_methods("wechat.mp.v1.UserService/*");
  return access;
}

CallerCredentials Certificate(std::vector<std::string> identities) {
  return {.has_certificate = true, .certificate_identities = std::move(identities)};
}

TEST(CallerAuthorizerIdentityTest, ACertificateIdentityNamesItsCaller) {
  CallerAuthorizer authorizer(AccessWithIdentities());
  EXPECT_EQ(*authorizer.Check(Certificate({"spiffe://test/shop"}), kGetUser, "wx1"), "shop");
  EXPECT_EQ(*authorizer.Check(Certificate({"spiffe://other", "batch.internal"}), kGetUser, "wx7"),
            "batch");
  EXPECT_EQ(*authorizer.Identify(Certificate({"batch-client"})), "batch");
  // Matched exactly: no prefix, no case folding.
  for (const char* near : {"spiffe://test/shop/x", "SPIFFE://test/shop", "spiffe://test/sho"}) {
    EXPECT_EQ(authorizer.Check(Certificate({near}), kGetUser, "wx1").status().code(),
              absl::StatusCode::kPermissionDenied)
        << near;
  }
}

TEST(CallerAuthorizerIdentityTest, AnUnknownIdentityIsDeniedLikeACallerWithoutTheRight) {
  config::v1::Access access = AccessWithIdentities();
  access.mutable_anonymous()->add_appids("*");  // never a fall back for a certificate
  access.mutable_anonymous()->add_methods("*");
  CallerAuthorizer authorizer(access);
  absl::Status unknown =
      authorizer.Check(Certificate({"spiffe://test/stranger"}), kGetUser, "wx2").status();
  absl::Status outside =
      authorizer.Check(Certificate({"spiffe://test/shop"}), kGetUser, "wx2").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(outside.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(unknown.message(), outside.message());
  EXPECT_EQ(unknown.message().find("shop"), absl::string_view::npos);
  // A certificate without any identity is no caller either.
  EXPECT_EQ(authorizer.Check(Certificate({}), kGetUser, "wx1").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(authorizer.Identify(Certificate({"spiffe://test/stranger"})).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CallerAuthorizerIdentityTest, AKeyComesFirstAndAWrongKeyNeverFallsBack) {
  CallerAuthorizer authorizer(AccessWithIdentities());
  CallerCredentials both = Certificate({"batch.internal"});
  both.authorization = "Bearer shop-key-1";
  EXPECT_EQ(*authorizer.Check(both, kGetUser, "wx1"), "shop");
  both.authorization = "Bearer wrong";
  EXPECT_EQ(authorizer.Check(both, kGetUser, "wx1").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(CallerAuthorizerIdentityTest, TheIdentityHeaderCountsOnlyWhenConfigured) {
  CallerCredentials header{.identity_header = "By=spiffe://mesh;URI=spiffe://test/shop"};
  // Not configured: the header is ignored, the call is anonymous (refused here).
  EXPECT_EQ(CallerAuthorizer(AccessWithIdentities()).Check(header, kGetUser, "wx1").status().code(),
            absl::StatusCode::kUnauthenticated);
  config::v1::Access access = AccessWithIdentities();
  access.set_identity_header("X-Forwarded-Client-Cert");
  CallerAuthorizer authorizer(access);
  EXPECT_EQ(authorizer.identity_header(), "x-forwarded-client-cert");
  EXPECT_EQ(*authorizer.Check(header, kGetUser, "wx1"), "shop");
  EXPECT_EQ(*authorizer.Check({.identity_header = "batch.internal"}, kGetUser, "wx1"), "batch");
  EXPECT_EQ(authorizer.Check({.identity_header = "spiffe://test/stranger"}, kGetUser, "wx1")
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  // A certificate comes before the header.
  CallerCredentials certificate_and_header = Certificate({"batch.internal"});
  certificate_and_header.identity_header = "spiffe://test/shop";
  EXPECT_EQ(*authorizer.Check(certificate_and_header, kGetUser, "wx9"), "batch");
}

TEST(MethodPatternTest, KnowsTheFourForms) {
  for (const char* good : {"*", "wechat.mp.v1.*", "wechat.mp.v1.UserService/*",
                           "wechat.mp.v1.UserService/GetUserInfo"}) {
    EXPECT_TRUE(IsMethodPattern(good)) << good;
  }
  for (const char* bad : {"", "wechat.mp.v1.User*", "*.UserService", "wechat mp", ".*", "/*"}) {
    EXPECT_FALSE(IsMethodPattern(bad)) << bad;
  }
}

}  // namespace
}  // namespace wxgate
