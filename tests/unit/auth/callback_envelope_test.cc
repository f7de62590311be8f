#include "auth/callback_envelope.h"

#include <gtest/gtest.h>

#include <cctype>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/callback_signature.h"
#include "tests/testing/pushes.h"

namespace wxgate {
namespace {

using config::v1::CALLBACK_MODE_COMPATIBLE;
using config::v1::CALLBACK_MODE_PLAIN;
using config::v1::CALLBACK_MODE_SAFE;
using testing::TextPush;

constexpr char kToken[] = "callback-token";
constexpr char kKey[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr char kOtherKey[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg";
constexpr char kAppid[] = "wx00000000000000bb";
constexpr char kOtherAppid[] = "wx00000000000000cc";
constexpr char kTimestamp[] = "1700000000";
constexpr char kNonce[] = "n1";

CallbackEnvelope Plain() { return CallbackEnvelope(kToken, CALLBACK_MODE_PLAIN, std::nullopt); }
CallbackEnvelope WithKey(config::v1::CallbackMode mode) {
  return CallbackEnvelope(kToken, mode, *MessageCipher::Create(kKey, kAppid));
}

// A push as WeChat sends it: its URL's signed query and its body.
struct Push {
  CallbackEnvelope::Query query;
  std::string body;
};

Push Clear(const std::string& xml) {
  return {{.timestamp = kTimestamp,
           .nonce = kNonce,
           .signature = CallbackSignature(kToken, kTimestamp, kNonce)},
          xml};
}

// `xml` encrypted with `key` for `appid`, in the envelope, signed with the token.
Push Encrypted(const std::string& xml, const std::string& appid = kAppid,
               const std::string& key = kKey) {
  const std::string encrypt = MessageCipher::Create(key, appid)->Encrypt(xml);
  Push push = Clear(absl::StrCat("<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[",
                                 encrypt, "]]></Encrypt></xml>"));
  push.query.encrypted = true;
  push.query.msg_signature = MessageSignature(kToken, kTimestamp, kNonce, encrypt);
  return push;
}

// `envelope`'s <Encrypt> text signed with the token: reaches the decryption.
Push SignedEnvelope(const std::string& encrypt) {
  Push push = Clear(absl::StrCat("<xml><Encrypt><![CDATA[", encrypt, "]]></Encrypt></xml>"));
  push.query.encrypted = true;
  push.query.msg_signature = MessageSignature(kToken, kTimestamp, kNonce, encrypt);
  return push;
}

TEST(CallbackEnvelopeTest, VerifyChecksTheUrlSignature) {
  EXPECT_TRUE(Plain().Verify(Clear("").query).ok());
  CallbackEnvelope::Query forged = Clear("").query;
  forged.signature = CallbackSignature("another-token", kTimestamp, kNonce);
  EXPECT_EQ(Plain().Verify(forged).code(), absl::StatusCode::kPermissionDenied);
}

TEST(CallbackEnvelopeTest, OpensAPlainPushAsItCame) {
  const Push push = Clear(TextPush("hello", 1));
  absl::StatusOr<std::string> opened = Plain().Open(push.query, push.body);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, push.body);
}

TEST(CallbackEnvelopeTest, CompatibleModeOpensClearAndEncryptedPushes) {
  const CallbackEnvelope envelope = WithKey(CALLBACK_MODE_COMPATIBLE);
  const Push clear = Clear(TextPush("in clear", 2));
  absl::StatusOr<std::string> opened = envelope.Open(clear.query, clear.body);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, clear.body);
  const Push encrypted = Encrypted(TextPush("encrypted", 3));
  opened = envelope.Open(encrypted.query, encrypted.body);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, TextPush("encrypted", 3));
}

TEST(CallbackEnvelopeTest, SafeModeOpensAnEncryptedPushToItsPlainXml) {
  const Push push = Encrypted(TextPush("secret hello", 4));
  absl::StatusOr<std::string> opened = WithKey(CALLBACK_MODE_SAFE).Open(push.query, push.body);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, TextPush("secret hello", 4));
}

TEST(CallbackEnvelopeTest, AClearPushToASafeModeAccountIsRefused) {
  const Push push = Clear(TextPush("clear", 5));
  absl::StatusOr<std::string> opened = WithKey(CALLBACK_MODE_SAFE).Open(push.query, push.body);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(opened.status().message(),
            "this account takes encrypted pushes only (safe mode); a clear push is refused");
}

TEST(CallbackEnvelopeTest, ABadSignatureIsRefused) {
  Push push = Clear(TextPush("forged", 6));
  push.query.signature = CallbackSignature("another-token", kTimestamp, kNonce);
  absl::StatusOr<std::string> opened = Plain().Open(push.query, push.body);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(opened.status().message(), "signature does not match");
  push.query.signature = "";
  EXPECT_EQ(Plain().Open(push.query, push.body).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CallbackEnvelopeTest, ABadMsgSignatureIsRefused) {
  const CallbackEnvelope envelope = WithKey(CALLBACK_MODE_SAFE);
  Push push = Encrypted(TextPush("forged", 7));
  // The body of another push under this push's msg_signature.
  const Push other = Encrypted(TextPush("other", 8));
  absl::StatusOr<std::string> opened = envelope.Open(push.query, other.body);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(opened.status().message(), "msg_signature does not match");
  // A tampered ciphertext no longer matches its msg_signature.
  std::string tampered = push.body;
  tampered[tampered.find("CDATA[", tampered.find("<Encrypt>")) + 10] ^= 1;
  EXPECT_EQ(envelope.Open(push.query, tampered).status().code(),
            absl::StatusCode::kPermissionDenied);
  push.query.msg_signature = "";
  EXPECT_EQ(envelope.Open(push.query, push.body).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CallbackEnvelopeTest, APushEncryptedForAnotherAppidIsRefused) {
  const Push push = Encrypted(TextPush("misrouted", 9), kOtherAppid);
  absl::StatusOr<std::string> opened = WithKey(CALLBACK_MODE_SAFE).Open(push.query, push.body);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(opened.status().message().find("another appid"), absl::string_view::npos)
      << opened.status();
}

TEST(CallbackEnvelopeTest, AnUndecryptableBodyIsRefused) {
  const CallbackEnvelope envelope = WithKey(CALLBACK_MODE_SAFE);
  const std::vector<Push> pushes = {
      Encrypted(TextPush("other key", 10), kAppid, kOtherKey),  // signed, wrong key
      SignedEnvelope("not base64 at all!"),
      SignedEnvelope("AAAA"),  // 3 bytes: not whole blocks
  };
  for (const Push& push : pushes) {
    absl::StatusOr<std::string> opened = envelope.Open(push.query, push.body);
    // With the wrong key, the padding check almost always fails; whatever fails, the
    // push is refused as malformed, never opened.
    EXPECT_FALSE(opened.ok()) << push.body;
    if (!opened.ok()) {
      EXPECT_TRUE(opened.status().code() == absl::StatusCode::kInvalidArgument ||
                  opened.status().code() == absl::StatusCode::kPermissionDenied)
          << opened.status();
    }
  }
  const Push not_base64 = SignedEnvelope("not base64 at all!");
  EXPECT_EQ(envelope.Open(not_base64.query, not_base64.body).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CallbackEnvelopeTest, AMalformedEnvelopeIsRefused) {
  const CallbackEnvelope envelope = WithKey(CALLBACK_MODE_SAFE);
  const Push good = Encrypted(TextPush("x", 11));
  const std::vector<std::string> bodies = {
      "not xml",
      "<xml><Encrypt>abc</Encrypt>",                                            // unclosed
      "<xml><ToUserName>gh_1</ToUserName></xml>",                               // no <Encrypt>
      "<xml><Encrypt></Encrypt></xml>",                                         // empty <Encrypt>
      "<!DOCTYPE xml [<!ENTITY e \"abc\">]><xml><Encrypt>&e;</Encrypt></xml>",  // a DOCTYPE
      "<xml><Encrypt><![CDATA[abc</Encrypt></xml>",                             // unclosed CDATA
      "<xml><Encrypt><Encrypt>abc</Encrypt></Encrypt></xml>",                   // nested
  };
  for (const std::string& body : bodies) {
    absl::StatusOr<std::string> opened = envelope.Open(good.query, body);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
}

// WeChat's envelope is read without a parser; the same push in other XML spellings
// opens the same way, through the parser.
TEST(CallbackEnvelopeTest, OpensTheEnvelopeHoweverItsXmlIsSpelled) {
  const CallbackEnvelope envelope = WithKey(CALLBACK_MODE_SAFE);
  const Push good = Encrypted(TextPush("spelled", 13));
  const size_t start = good.body.find("<Encrypt>");
  const size_t end = good.body.find("</Encrypt>") + sizeof("</Encrypt>") - 1;
  const std::string element = good.body.substr(start, end - start);
  const std::string cdata = element.substr(9, element.size() - 19);
  std::string text = cdata;
  if (absl::StartsWith(text, "<![CDATA[")) text = text.substr(9, text.size() - 12);
  const std::vector<std::string> bodies = {
      good.body,
      absl::StrCat("<xml><Encrypt>", text, "</Encrypt></xml>"),
      absl::StrCat("  <xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[", text,
                   "]]></Encrypt></xml>\n"),
      // Through the parser: a declaration, a comment, attributes.
      absl::StrCat("<?xml version=\"1.0\"?><xml><!-- c --><Encrypt>", text, "</Encrypt></xml>"),
      absl::StrCat("<xml a=\"1\"><Encrypt>", text, "</Encrypt></xml>"),
  };
  for (const std::string& body : bodies) {
    absl::StatusOr<std::string> opened = envelope.Open(good.query, body);
    ASSERT_TRUE(opened.ok()) << body << ": " << opened.status();
    EXPECT_NE(opened->find("spelled"), std::string::npos);
  }
}

TEST(CallbackEnvelopeTest, AnEncryptedPushToAnAccountWithoutAKeyIsRefused) {
  const Push push = Encrypted(TextPush("x", 12));
  absl::StatusOr<std::string> opened = Plain().Open(push.query, push.body);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(opened.status().message().find("encoding_aes_key"), absl::string_view::npos);
}

TEST(CallbackEnvelopeTest, ASealedReplyIsSignedEncryptedXmlStampedWithNow) {
  const absl::Time now = absl::FromUnixSeconds(1700000123);
  const std::string reply = "<xml><Content><![CDATA[secret answer]]></Content></xml>";
  absl::StatusOr<std::string> sealed = WithKey(CALLBACK_MODE_SAFE).Seal(reply, now);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->find("secret answer"), std::string::npos);

  pugi::xml_document document;
  ASSERT_TRUE(document.load_string(sealed->c_str()));
  const pugi::xml_node root = document.document_element();
  EXPECT_STREQ(root.name(), "xml");
  std::vector<std::string> names;
  for (const pugi::xml_node& child : root.children()) names.push_back(child.name());
  EXPECT_EQ(names, (std::vector<std::string>{"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}));
  const std::string encrypt = root.child("Encrypt").text().get();
  const std::string nonce = root.child("Nonce").text().get();
  EXPECT_STREQ(root.child("TimeStamp").text().get(), "1700000123");
  ASSERT_EQ(nonce.size(), 16u);
  for (char c : nonce) EXPECT_TRUE(isalnum(static_cast<unsigned char>(c))) << nonce;
  EXPECT_EQ(root.child("MsgSignature").text().get(),
            MessageSignature(kToken, "1700000123", nonce, encrypt));
  absl::StatusOr<std::string> plain = MessageCipher::Create(kKey, kAppid)->Decrypt(encrypt);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, reply);
}

TEST(CallbackEnvelopeTest, SealThenOpenGivesTheReplyBack) {
  const CallbackEnvelope envelope = WithKey(CALLBACK_MODE_SAFE);
  const std::string reply = TextPush("round trip 你好", 13);
  absl::StatusOr<std::string> sealed = envelope.Seal(reply, absl::FromUnixSeconds(1700000000));
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  pugi::xml_document document;
  ASSERT_TRUE(document.load_string(sealed->c_str()));
  const pugi::xml_node root = document.document_element();
  const CallbackEnvelope::Query query{.timestamp = root.child("TimeStamp").text().get(),
                                      .nonce = root.child("Nonce").text().get(),
                                      .msg_signature = root.child("MsgSignature").text().get(),
                                      .encrypted = true};
  absl::StatusOr<std::string> opened = envelope.Open(query, *sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, reply);
  // Each seal is fresh: new random bytes and nonce.
  EXPECT_NE(*envelope.Seal(reply, absl::FromUnixSeconds(1700000000)), *sealed);
}

TEST(CallbackEnvelopeTest, AnAccountWithoutAKeyCannotSeal) {
  EXPECT_EQ(Plain().Seal("<xml/>", absl::Now()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace wxgate
