#include "service/callback/request_target.h"

#include <gtest/gtest.h>

namespace wxgate {
namespace {

TEST(RequestTargetTest, SplitsThePathFromTheDecodedQuery) {
  const RequestTarget target = ParseRequestTarget("/wechat/callback/wx1?signature=ab&nonce=1%2B2");
  EXPECT_EQ(target.path, "/wechat/callback/wx1");
  EXPECT_EQ(target.query.size(), 2u);
  EXPECT_EQ(target.Param("signature"), "ab");
  EXPECT_EQ(target.Param("nonce"), "1+2");
}

TEST(RequestTargetTest, AnAbsentParameterIsEmpty) {
  const RequestTarget target = ParseRequestTarget("/p?a=1");
  EXPECT_EQ(target.Param("b"), "");
  EXPECT_EQ(ParseRequestTarget("/p").Param("a"), "");
}

TEST(RequestTargetTest, WithoutAQueryThereAreNoParameters) {
  for (const char* raw : {"/wechat/callback/wx1", "/wechat/callback/wx1?", "/p?&&"}) {
    const RequestTarget target = ParseRequestTarget(raw);
    EXPECT_TRUE(target.query.empty()) << raw;
  }
  EXPECT_EQ(ParseRequestTarget("/wechat/callback/wx1?").path, "/wechat/callback/wx1");
  EXPECT_EQ(ParseRequestTarget("").path, "");
}

TEST(RequestTargetTest, PlusIsASpaceInTheQueryOnly) {
  const RequestTarget target = ParseRequestTarget("/a+b?q=x+y&r=%2B");
  EXPECT_EQ(target.path, "/a+b");
  EXPECT_EQ(target.Param("q"), "x y");
  EXPECT_EQ(target.Param("r"), "+");
}

TEST(RequestTargetTest, EscapesDecodeInThePathNamesAndValues) {
  const RequestTarget target = ParseRequestTarget("/a%20b/%e4%bd%a0?a%5Bb%5D=%3d%3D&x=%00");
  EXPECT_EQ(target.path, "/a b/\xe4\xbd\xa0");
  EXPECT_EQ(target.Param("a[b]"), "==");
  EXPECT_EQ(target.Param("x"), std::string(1, '\0'));
}

TEST(RequestTargetTest, AMalformedEscapeIsKeptAsWritten) {
  const RequestTarget target = ParseRequestTarget("/%zz?a=%zz&b=%4&c=%&d=100%");
  EXPECT_EQ(target.path, "/%zz");
  EXPECT_EQ(target.Param("a"), "%zz");
  EXPECT_EQ(target.Param("b"), "%4");
  EXPECT_EQ(target.Param("c"), "%");
  EXPECT_EQ(target.Param("d"), "100%");
}

TEST(RequestTargetTest, AParameterGivenTwiceKeepsItsFirstValue) {
  const RequestTarget target = ParseRequestTarget("/p?signature=first&signature=second");
  EXPECT_EQ(target.Param("signature"), "first");
}

TEST(RequestTargetTest, OnlyTheFirstEqualsSignSplitsAPair) {
  const RequestTarget target = ParseRequestTarget("/p?a=b=c&flag&empty=");
  EXPECT_EQ(target.Param("a"), "b=c");
  EXPECT_TRUE(target.query.contains("flag"));
  EXPECT_EQ(target.Param("flag"), "");
  EXPECT_TRUE(target.query.contains("empty"));
  EXPECT_EQ(target.Param("empty"), "");
}

}  // namespace
}  // namespace wxgate
