#include "auth/message_cipher.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

constexpr char kKey[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr char kAppid[] = "wxb11529c136998cb6";

MessageCipher Cipher(const char* appid = kAppid) { return *MessageCipher::Create(kKey, appid); }

TEST(MessageCipherTest, RoundTripsMessagesOfEveryPaddingLength) {
  const MessageCipher cipher = Cipher();
  // 33 lengths cover every padding from 1 to 32 bytes.
  for (size_t length = 0; length <= 33; ++length) {
    const std::string message(length, 'x');
    const std::string encrypted = cipher.Encrypt(message);
    auto decrypted = cipher.Decrypt(encrypted);
    ASSERT_TRUE(decrypted.ok()) << length << ": " << decrypted.status();
    EXPECT_EQ(*decrypted, message);
  }
}

TEST(MessageCipherTest, EachEncryptionUsesFreshRandomBytes) {
  const MessageCipher cipher = Cipher();
  EXPECT_NE(cipher.Encrypt("<xml/>"), cipher.Encrypt("<xml/>"));
}

TEST(MessageCipherTest, CiphertextIsWholeThirtyTwoByteBlocks) {
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(Cipher().Encrypt("hello"), &raw));
  // 16 random + 4 length + 5 message + 18 appid = 43, padded to 64.
  EXPECT_EQ(raw.size(), 64u);
}

TEST(MessageCipherTest, KnownPrefixGivesAStableCiphertext) {
  const std::string prefix = "0123456789abcdef";
  EXPECT_EQ(Cipher().EncryptWithPrefix("<xml/>", prefix),
            Cipher().EncryptWithPrefix("<xml/>", prefix));
}

TEST(MessageCipherTest, RefusesKeysThatAreNotFortyThreeBase64Characters) {
  EXPECT_FALSE(MessageCipher::Create("short", kAppid).ok());
  EXPECT_FALSE(MessageCipher::Create(std::string(44, 'a'), kAppid).ok());
  EXPECT_FALSE(MessageCipher::Create(std::string(42, 'a') + "!", kAppid).ok());
  EXPECT_EQ(MessageCipher::Create("", kAppid).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessageCipherTest, RefusesAMessageForAnotherAppid) {
  const std::string encrypted = Cipher("wx0000000000000000").Encrypt("<xml/>");
  EXPECT_EQ(Cipher().Decrypt(encrypted).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(MessageCipherTest, RefusesMalformedCiphertexts) {
  const MessageCipher cipher = Cipher();
  const std::string good = cipher.Encrypt("<xml>hello</xml>");
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(good, &raw));

  const std::string cases[] = {
      "",                                                  // nothing
      "not base64 at all!",                                // not base64
      absl::Base64Escape(raw.substr(0, 16)),               // half a pad block
      absl::Base64Escape(raw.substr(0, raw.size() - 32)),  // last block missing
      absl::Base64Escape(std::string(64, '\0')),           // garbage blocks
  };
  for (const std::string& encrypted : cases) {
    EXPECT_EQ(cipher.Decrypt(encrypted).status().code(), absl::StatusCode::kInvalidArgument)
        << "input: " << encrypted;
  }
}

// Encrypts a hand-made plaintext with the test key, to forge what Encrypt never makes.
std::string EncryptRaw(const std::string& plain) {
  std::string key;
  absl::Base64Unescape(std::string(kKey) + "=", &key);
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(context, EVP_aes_256_cbc(), nullptr, key_bytes, key_bytes);
  EVP_CIPHER_CTX_set_padding(context, 0);
  std::string out(plain.size(), '\0');
  int written = 0;
  EVP_EncryptUpdate(context, reinterpret_cast<unsigned char*>(out.data()), &written,
                    reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  EVP_CIPHER_CTX_free(context);
  return absl::Base64Escape(out);
}

std::string Padded(std::string body, char pad) {
  while (body.size() % 32 != 0) body.push_back(pad);
  return body;
}

TEST(MessageCipherTest, ForgedPlaintextsAreRefused) {
  const std::string prefix(16, 'r');
  const std::string message = "<xml/>";
  const std::string length_of_message("\0\0\0\x06", 4);
  const std::string good = prefix + length_of_message + message + kAppid;  // 44 bytes
  ASSERT_TRUE(Cipher().Decrypt(EncryptRaw(Padded(good, 20))).ok());

  const std::string cases[] = {
      Padded(prefix + std::string("\x40\0\0\0", 4) + message + kAppid, 20),  // 1 GiB length
      Padded(prefix + std::string("\xff\xff\xff\xff", 4) + message + kAppid, 20),
      Padded(good, 0),                                        // padding byte 0
      Padded(good, 20).substr(0, 62) + "\x03\x14",            // padding bytes disagree
      good + std::string(20, '\x14') + std::string(32, '!'),  // padding byte 33
      Padded("short", 27),                                    // no room for prefix and length
  };
  for (const std::string& plain : cases) {
    ASSERT_EQ(plain.size() % 32, 0u);
    EXPECT_EQ(Cipher().Decrypt(EncryptRaw(plain)).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(MessageCipherTest, ADifferentKeyFailsCleanly) {
  const std::string encrypted = Cipher().Encrypt("<xml>secret</xml>");
  const MessageCipher other =
      *MessageCipher::Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", kAppid);
  auto decrypted = other.Decrypt(encrypted);
  // Almost always the padding check fails; whatever fails, it is an error, never a message.
  EXPECT_FALSE(decrypted.ok());
}

// The cipher context is reused per thread (message_cipher.cc): ciphers with other
// keys and directions in between must leave no trace in the next result.
TEST(MessageCipherTest, InterleavedKeysAndDirectionsOnOneThreadDoNotMix) {
  const MessageCipher first = Cipher();
  const MessageCipher second =
      *MessageCipher::Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", kAppid);
  const std::string prefix = "0123456789abcdef";
  const std::string first_alone = first.EncryptWithPrefix("<xml>a</xml>", prefix);
  const std::string second_alone = second.EncryptWithPrefix("<xml>b</xml>", prefix);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(first.EncryptWithPrefix("<xml>a</xml>", prefix), first_alone);
    EXPECT_EQ(*second.Decrypt(second_alone), "<xml>b</xml>");
    EXPECT_EQ(second.EncryptWithPrefix("<xml>b</xml>", prefix), second_alone);
    EXPECT_EQ(*first.Decrypt(first_alone), "<xml>a</xml>");
  }
}

TEST(MessageCipherTest, OneCipherServesSeveralThreadsAtOnce) {
  const MessageCipher cipher = Cipher();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string message = absl::StrCat("<xml>", t, "/", i, "</xml>");
        absl::StatusOr<std::string> back = cipher.Decrypt(cipher.Encrypt(message));
        if (!back.ok() || *back != message) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace wxgate
