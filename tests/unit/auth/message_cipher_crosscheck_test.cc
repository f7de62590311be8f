// wxgate's callback crypto against wechat-crypto, an independent implementation
// from npm, run by node (tests/tools/wechat_crypto_peer.js): each side decrypts what
// the other encrypted, and both sign alike.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/callback_signature.h"
#include "auth/message_cipher.h"

namespace wxgate {
namespace {

constexpr char kToken[] = "pamtest";
constexpr char kKey[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr char kAppid[] = "wxb11529c136998cb6";

// Runs the peer with arguments that hold no quote (checked), returns its stdout.
std::string RunPeer(const std::vector<std::string>& args) {
  std::string command = absl::StrCat("node '", WXGATE_TOOLS_DIR, "/wechat_crypto_peer.js'");
  for (const std::string& arg : args) {
    EXPECT_EQ(arg.find('\''), std::string::npos);
    absl::StrAppend(&command, " '", arg, "'");
  }
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string output;
  std::array<char, 4096> buffer;
  size_t read = 0;
  while ((read = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    output.append(buffer.data(), read);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return output;
}

const std::vector<std::string>& Messages() {
  static const auto* messages = new std::vector<std::string>{
      "<xml><Content><![CDATA[hello]]></Content></xml>",
      "<xml><Content><![CDATA[你好，世界]]></Content></xml>", std::string(31, 'a'),
      std::string(32, 'b'), std::string(1000, 'c')};
  return *messages;
}

TEST(MessageCipherCrossCheck, PeerDecryptsWhatWxgateEncrypts) {
  const MessageCipher cipher = *MessageCipher::Create(kKey, kAppid);
  for (const std::string& message : Messages()) {
    EXPECT_EQ(RunPeer({"decrypt", kToken, kKey, kAppid, cipher.Encrypt(message)}), message);
  }
}

TEST(MessageCipherCrossCheck, WxgateDecryptsWhatThePeerEncrypts) {
  const MessageCipher cipher = *MessageCipher::Create(kKey, kAppid);
  for (const std::string& message : Messages()) {
    auto decrypted = cipher.Decrypt(RunPeer({"encrypt", kToken, kKey, kAppid, message}));
    ASSERT_TRUE(decrypted.ok()) << decrypted.status();
    EXPECT_EQ(*decrypted, message);
  }
}

TEST(MessageCipherCrossCheck, BothSignAlike) {
  const std::string encrypted = MessageCipher::Create(kKey, kAppid)->Encrypt("<xml/>");
  EXPECT_EQ(RunPeer({"signature", kToken, kKey, kAppid, "1409304348", "xxxxxx", encrypted}),
            MessageSignature(kToken, "1409304348", "xxxxxx", encrypted));
}

}  // namespace
}  // namespace wxgate
