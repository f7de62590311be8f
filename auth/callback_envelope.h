// The envelope of a WeChat callback, as WeChat's message-encryption document
// defines it: how a push is proven to come from WeChat and opened, and how a
// passive reply to an encrypted push is sealed. One per account:
//
//   CallbackEnvelope envelope("token", config::v1::CALLBACK_MODE_SAFE,
//                             *MessageCipher::Create(encoding_aes_key, "wx1234..."));
//
//   // GET ?timestamp=T&nonce=N&signature=sha1(sorted "token",T,N)&echostr=E
//   envelope.Verify({.timestamp = T, .nonce = N, .signature = S})   -> OK: echo E
//
//   // POST ?timestamp=T&nonce=N&signature=S          <xml><MsgType>text</MsgType>...</xml>
//   envelope.Open({.timestamp = T, .nonce = N, .signature = S}, body)  -> the body, as is
//   // POST ...&encrypt_type=aes&msg_signature=M, M = sha1(sorted "token",T,N,X)
//   //                            <xml><ToUserName>gh_1</ToUserName><Encrypt>X</Encrypt></xml>
//   envelope.Open({.timestamp = T, .nonce = N, .msg_signature = M, .encrypted = true}, body)
//     -> the push XML decrypted from X
//
//   envelope.Seal("<xml>reply</xml>", now)
//     -> <xml><Encrypt><![CDATA[Y]]></Encrypt><MsgSignature><![CDATA[sha1(sorted "token",
//        now,n,Y)]]></MsgSignature><TimeStamp>now</TimeStamp><Nonce><![CDATA[n]]></Nonce></xml>
//        with Y = the reply encrypted for this appid, n = NewNonce()
//
// Open's refusals say which check failed:
//   PERMISSION_DENIED  a clear push to a safe-mode account; `signature` (clear) or
//                      `msg_signature` (encrypted) does not match; the push was
//                      encrypted for another appid
//   INVALID_ARGUMENT   an encrypted push to an account without an EncodingAESKey; the
//                      envelope XML does not parse or has no <Encrypt>; <Encrypt> does
//                      not decrypt (wrong key, not base64, bad padding or lengths)
// A clear push's body is not parsed here: that is the push decoder's job.
//
// Keeps copies of what it is built from; immutable, so thread-safe.
#ifndef WXGATE_AUTH_CALLBACK_ENVELOPE_H_
#define WXGATE_AUTH_CALLBACK_ENVELOPE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/message_cipher.h"
#include "wxgate/config/v1/config.pb.h"

namespace wxgate {

class CallbackEnvelope {
 public:
  // The parts of a callback URL's query that prove who sent it.
  struct Query {
    std::string timestamp;
    std::string nonce;
    std::string signature;      // over token, timestamp and nonce
    std::string msg_signature;  // encrypted pushes: over those and <Encrypt>
    bool encrypted = false;     // encrypt_type=aes
  };

  // `cipher` holds the account's EncodingAESKey and appid (compatible and safe mode;
  // nullopt for an account in plain mode without a key).
  CallbackEnvelope(std::string token, config::v1::CallbackMode mode,
                   std::optional<MessageCipher> cipher);

  // OK when `signature` matches: WeChat's GET that checks the callback URL.
  // PERMISSION_DENIED otherwise.
  absl::Status Verify(const Query& query) const;

  // The plain XML of the push `body`, after every check above.
  absl::StatusOr<std::string> Open(const Query& query, absl::string_view body) const;

  // The HTTP body that carries `reply_xml` back for an encrypted push, stamped with
  // `now`. FAILED_PRECONDITION without an EncodingAESKey (such an account opens no
  // encrypted push, so has none to reply to).
  absl::StatusOr<std::string> Seal(absl::string_view reply_xml, absl::Time now) const;

 private:
  std::string token_;
  config::v1::CallbackMode mode_;
  std::optional<MessageCipher> cipher_;
};

}  // namespace wxgate

#endif  // WXGATE_AUTH_CALLBACK_ENVELOPE_H_
