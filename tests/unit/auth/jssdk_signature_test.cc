#include "auth/jssdk_signature.h"

#include <gtest/gtest.h>

namespace wxgate {
namespace {

constexpr char kTicket[] =
    "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";

TEST(JsSdkSignatureTest, MatchesTheDocumentsExample) {
  EXPECT_EQ(JsSdkSignature(kTicket, "Wm3WZYTPz0wzccnW", 1414587457,
                           "http://mp.weixin.qq.com?params=value"),
            "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
}

TEST(JsSdkSignatureTest, TheFragmentIsNotSigned) {
  EXPECT_EQ(JsSdkSignature(kTicket, "Wm3WZYTPz0wzccnW", 1414587457,
                           "http://mp.weixin.qq.com?params=value#section"),
            "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
}

}  // namespace
}  // namespace wxgate
