#include "auth/callback_signature.h"

#include <gtest/gtest.h>

namespace wxgate {
namespace {

// Expected values computed independently with Python's hashlib over the sorted parts.
TEST(CallbackSignatureTest, IsSha1OfTheSortedParts) {
  EXPECT_EQ(CallbackSignature("pamtest", "1409304348", "xxxxxx"),
            "76480565cbe296026c53aaacd1ad523a1ddba24f");
}

TEST(CallbackSignatureTest, PartOrderDoesNotMatterOnlyTheirValues) {
  EXPECT_EQ(CallbackSignature("pamtest", "1409304348", "xxxxxx"),
            CallbackSignature("xxxxxx", "pamtest", "1409304348"));
  EXPECT_NE(CallbackSignature("pamtest", "1409304348", "xxxxxx"),
            CallbackSignature("pamtest", "1409304349", "xxxxxx"));
}

TEST(MessageSignatureTest, SignsTheEncryptedBodyToo) {
  EXPECT_EQ(MessageSignature("pamtest", "1409304348", "xxxxxx", "abc+/="),
            "48dd093c0b88da8b7d7a5b303656bd30cf1e3a93");
}

TEST(SignaturesEqualTest, ComparesWholeStrings) {
  EXPECT_TRUE(SignaturesEqual("abc", "abc"));
  EXPECT_FALSE(SignaturesEqual("abc", "abd"));
  EXPECT_FALSE(SignaturesEqual("abc", "ab"));
  EXPECT_FALSE(SignaturesEqual("abc", ""));
}

}  // namespace
}  // namespace wxgate
