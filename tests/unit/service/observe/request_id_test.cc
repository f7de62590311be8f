#include "service/observe/request_id.h"

#include <gtest/gtest.h>

#include <string>

namespace wxgate {
namespace {

TEST(RequestIdTest, NewIdsAreUniqueAndUsable) {
  const std::string first = NewRequestId();
  const std::string second = NewRequestId();
  EXPECT_NE(first, second);
  EXPECT_TRUE(UsableRequestId(first)) << first;
}

TEST(RequestIdTest, OnlyShortPrintableIdsAreKept) {
  EXPECT_TRUE(UsableRequestId("0f8e-42_a.b:c"));
  EXPECT_TRUE(UsableRequestId(std::string(128, 'a')));
  EXPECT_FALSE(UsableRequestId(""));
  EXPECT_FALSE(UsableRequestId(std::string(129, 'a')));
  EXPECT_FALSE(UsableRequestId("has space"));
  EXPECT_FALSE(UsableRequestId("new\nline"));
  EXPECT_FALSE(UsableRequestId("caf\xC3\xA9"));
}

}  // namespace
}  // namespace wxgate
