#include "auth/nonce.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

namespace wxgate {
namespace {

TEST(NonceTest, NoncesAreSixteenAlphanumericsAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string nonce = NewNonce();
    ASSERT_EQ(nonce.size(), 16u);
    for (char c : nonce) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c))) << nonce;
    seen.insert(nonce);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace wxgate
