#include "auth/caller_identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace wxgate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(CertificateIdentitiesTest, SanUrisAndDnsNamesSupersedeTheCommonName) {
  EXPECT_THAT(CertificateIdentities({.uris = {"spiffe://test/shop"},
                                     .dns_names = {"shop.internal", "shop"},
                                     .has_subject_alt_names = true,
                                     .common_name = "shop-cn"}),
              ElementsAre("spiffe://test/shop", "shop.internal", "shop"));
}

TEST(CertificateIdentitiesTest, TheCommonNameCountsOnlyWithoutAnySan) {
  EXPECT_THAT(CertificateIdentities({.has_subject_alt_names = false, .common_name = "batch"}),
              ElementsAre("batch"));
  // A SAN of another kind (e-mail, IP) still hides the CN.
  EXPECT_THAT(CertificateIdentities({.has_subject_alt_names = true, .common_name = "batch"}),
              IsEmpty());
  EXPECT_THAT(CertificateIdentities({}), IsEmpty());
}

TEST(IdentitiesFromHeaderTest, APlainValueIsTheIdentity) {
  EXPECT_THAT(IdentitiesFromHeader("spiffe://test/shop"), ElementsAre("spiffe://test/shop"));
  EXPECT_THAT(IdentitiesFromHeader("  shop.internal \t"), ElementsAre("shop.internal"));
  EXPECT_THAT(IdentitiesFromHeader("shop"), ElementsAre("shop"));
  EXPECT_THAT(IdentitiesFromHeader(""), IsEmpty());
  EXPECT_THAT(IdentitiesFromHeader("   "), IsEmpty());
}

TEST(IdentitiesFromHeaderTest, XfccGivesTheUriElseTheDnsNames) {
  EXPECT_THAT(
      IdentitiesFromHeader("By=spiffe://gw;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425"
                           "303443c0748a02dd8de688;URI=spiffe://test/shop;DNS=shop.internal"),
      ElementsAre("spiffe://test/shop"));
  EXPECT_THAT(IdentitiesFromHeader("Hash=abc;DNS=shop.internal;DNS=shop"),
              ElementsAre("shop.internal", "shop"));
  // Keys are case-insensitive; neither URI nor DNS: no identity.
  EXPECT_THAT(IdentitiesFromHeader("by=spiffe://gw;uri=spiffe://test/shop"),
              ElementsAre("spiffe://test/shop"));
  EXPECT_THAT(IdentitiesFromHeader("By=spiffe://gw;Hash=abc"), IsEmpty());
}

TEST(IdentitiesFromHeaderTest, TheLastElementIsTheNearestProxys) {
  EXPECT_THAT(IdentitiesFromHeader("By=spiffe://a;URI=spiffe://test/client,"
                                   "By=spiffe://b;URI=spiffe://test/shop"),
              ElementsAre("spiffe://test/shop"));
  EXPECT_THAT(IdentitiesFromHeader("By=a;URI=spiffe://x, By=b;DNS=ops.internal"),
              ElementsAre("ops.internal"));
}

TEST(IdentitiesFromHeaderTest, QuotedValuesMayHoldSeparators) {
  EXPECT_THAT(
      IdentitiesFromHeader("By=spiffe://gw;Hash=abc;Subject=\"/C=US/ST=CA/O=Lyft, Inc.;x=y\";"
                           "URI=spiffe://test/shop"),
      ElementsAre("spiffe://test/shop"));
  EXPECT_THAT(IdentitiesFromHeader("Subject=\"CN=a,b\";URI=\"spiffe://test/q\\\"uoted\""),
              ElementsAre("spiffe://test/q\"uoted"));
}

}  // namespace
}  // namespace wxgate
