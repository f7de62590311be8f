// The authorizers the gateway tracks per platform, and the bounded listing that the
// status report and /metrics read.
#include "service/call/authorizer_directory.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

Account Component(std::string appid) { return {.appid = std::move(appid)}; }

std::string AuthorizerAppid(int i) { return absl::StrCat("wx", absl::Hex(i, absl::kZeroPad16)); }

TEST(AuthorizerDirectoryTest, ListsTheFirstEntriesInTheOrderTheyWereMadeAndCountsThemAll) {
  const Account platform = Component("wx00000000000000c1");
  const Account other = Component("wx00000000000000c2");
  AuthorizerDirectory directory({}, 100);
  for (int i : {5, 3, 9, 1}) ASSERT_TRUE(directory.Find(platform, AuthorizerAppid(i)).ok());
  ASSERT_TRUE(directory.Find(platform, AuthorizerAppid(3)).ok());  // known: no new entry
  ASSERT_TRUE(directory.Find(other, AuthorizerAppid(7)).ok());

  const AuthorizerDirectory::Listing listing = directory.List(platform.appid, 3);
  EXPECT_EQ(listing.total, 4u);
  ASSERT_EQ(listing.first.size(), 3u);
  EXPECT_EQ(listing.first[0]->appid, AuthorizerAppid(5));
  EXPECT_EQ(listing.first[1]->appid, AuthorizerAppid(3));
  EXPECT_EQ(listing.first[2]->appid, AuthorizerAppid(9));
  EXPECT_EQ(listing.first[2]->component, &platform);
  EXPECT_EQ(directory.List(platform.appid, 10).first.size(), 4u);
  EXPECT_EQ(directory.List(other.appid, 10).total, 1u);
  EXPECT_EQ(directory.List("wx00000000000000c3", 10).total, 0u);
}

}  // namespace
}  // namespace wxgate
