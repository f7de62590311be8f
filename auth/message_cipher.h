// WeChat's callback message encryption ("safe mode"), as its message-encryption
// document defines it, on OpenSSL EVP:
//
//   key        = base64(EncodingAESKey + "=")            // 43 characters -> 32 bytes
//   plaintext  = 16 random bytes | uint32 big-endian length | message | appid
//   ciphertext = base64(AES-256-CBC(key, iv = key[0..16), PKCS#7 padding to 32 bytes))
//
//   MessageCipher cipher = *MessageCipher::Create(encoding_aes_key, "wx1234...");
//   std::string encrypted = cipher.Encrypt("<xml>...</xml>");
//   cipher.Decrypt(encrypted) == "<xml>...</xml>"
//
// Decrypt checks every length and the padding before it trusts them, and refuses a
// message addressed to another appid.
#ifndef WXGATE_AUTH_MESSAGE_CIPHER_H_
#define WXGATE_AUTH_MESSAGE_CIPHER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wxgate {

class MessageCipher {
 public:
  // INVALID_ARGUMENT unless encoding_aes_key is 43 base64 characters.
  static absl::StatusOr<MessageCipher> Create(absl::string_view encoding_aes_key,
                                              absl::string_view appid);

  // Base64 ciphertext of `message` behind 16 fresh random bytes.
  std::string Encrypt(absl::string_view message) const;
  // The same with the 16 leading bytes given (tests compare with other
  // implementations byte for byte).
  std::string EncryptWithPrefix(absl::string_view message, absl::string_view random16) const;

  // The message inside `encrypted`; INVALID_ARGUMENT when it is not base64, not
  // whole blocks, badly padded, or its lengths do not add up; PERMISSION_DENIED
  // when it was encrypted for another appid.
  absl::StatusOr<std::string> Decrypt(absl::string_view encrypted) const;

 private:
  MessageCipher(std::string key, std::string appid)
      : key_(std::move(key)), appid_(std::move(appid)) {}

  std::string key_;  // 32 bytes; the IV is its first 16.
  std::string appid_;
};

}  // namespace wxgate

#endif  // WXGATE_AUTH_MESSAGE_CIPHER_H_
