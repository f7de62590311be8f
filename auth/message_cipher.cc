#include "auth/message_cipher.h"

#include <openssl/evp.h>

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "auth/random_bytes.h"

namespace wxgate {
namespace {

constexpr size_t kKeyLength = 32;
constexpr size_t kRandomLength = 16;
constexpr size_t kLengthField = 4;
// WeChat pads to 32 bytes, twice the AES block, so padding runs from 1 to 32.
constexpr size_t kPadBlock = 32;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// Fetched once, like the digest (auth/digest.cc): EVP_aes_256_cbc() is looked up in
// the provider tables on every init. Kept for the life of the process.
const EVP_CIPHER* Aes256Cbc() {
  static const EVP_CIPHER* const aes = [] {
    const EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
    return fetched != nullptr ? fetched : EVP_aes_256_cbc();
  }();
  return aes;
}

// One context per thread, re-initialised with the key and direction of each call:
// creating one per push cost an allocation and a provider look-up. A context is
// only ever used by its own thread, from init to final, so ciphers with different
// keys may share it.
EVP_CIPHER_CTX* ThreadContext() {
  thread_local CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  return context.get();
}

// AES-256-CBC without OpenSSL's padding: the caller pads and unpads WeChat's way.
std::string RunCipher(absl::string_view key, absl::string_view input, bool encrypt) {
  EVP_CIPHER_CTX* context = ThreadContext();
  const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
  // Once the context holds AES-256-CBC, a null cipher keeps OpenSSL's state for it
  // and only sets the key, IV and direction: no reset and re-allocation per call.
  const EVP_CIPHER* cipher =
      EVP_CIPHER_CTX_get0_cipher(context) == Aes256Cbc() ? nullptr : Aes256Cbc();
  EVP_CipherInit_ex2(context, cipher, key_bytes, key_bytes, encrypt ? 1 : 0, nullptr);
  EVP_CIPHER_CTX_set_padding(context, 0);
  std::string output(input.size(), '\0');
  int written = 0;
  EVP_CipherUpdate(context, reinterpret_cast<unsigned char*>(output.data()), &written,
                   reinterpret_cast<const unsigned char*>(input.data()),
                   static_cast<int>(input.size()));
  output.resize(static_cast<size_t>(written));
  return output;
}

void AppendBigEndian32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

uint32_t ReadBigEndian32(absl::string_view bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

}  // namespace

absl::StatusOr<MessageCipher> MessageCipher::Create(absl::string_view encoding_aes_key,
                                                    absl::string_view appid) {
  std::string key;
  if (encoding_aes_key.size() != 43 ||
      !absl::Base64Unescape(absl::StrCat(encoding_aes_key, "="), &key) ||
      key.size() != kKeyLength) {
    return absl::InvalidArgumentError(
        "encoding_aes_key must be the 43 base64 characters WeChat shows as EncodingAESKey");
  }
  return MessageCipher(std::move(key), std::string(appid));
}

std::string MessageCipher::Encrypt(absl::string_view message) const {
  unsigned char random[kRandomLength];
  FillRandom(random, sizeof(random));
  return EncryptWithPrefix(message,
                           absl::string_view(reinterpret_cast<const char*>(random), kRandomLength));
}

std::string MessageCipher::EncryptWithPrefix(absl::string_view message,
                                             absl::string_view random16) const {
  std::string plain(random16.substr(0, kRandomLength));
  AppendBigEndian32(plain, static_cast<uint32_t>(message.size()));
  absl::StrAppend(&plain, message, appid_);
  const size_t padding = kPadBlock - plain.size() % kPadBlock;
  plain.append(padding, static_cast<char>(padding));
  return absl::Base64Escape(RunCipher(key_, plain, /*encrypt=*/true));
}

absl::StatusOr<std::string> MessageCipher::Decrypt(absl::string_view encrypted) const {
  std::string cipher;
  if (!absl::Base64Unescape(encrypted, &cipher)) {
    return absl::InvalidArgumentError("Encrypt is not base64");
  }
  if (cipher.empty() || cipher.size() % kPadBlock != 0) {
    return absl::InvalidArgumentError(absl::StrCat("Encrypt holds ", cipher.size(),
                                                   " bytes, not a whole number of 32-byte blocks"));
  }
  const std::string plain = RunCipher(key_, cipher, /*encrypt=*/false);
  const size_t padding = static_cast<unsigned char>(plain.back());
  if (padding < 1 || padding > kPadBlock) {
    return absl::InvalidArgumentError("Encrypt has bad padding: wrong EncodingAESKey?");
  }
  for (size_t i = plain.size() - padding; i < plain.size(); ++i) {
    if (static_cast<size_t>(static_cast<unsigned char>(plain[i])) != padding) {
      return absl::InvalidArgumentError("Encrypt has bad padding: wrong EncodingAESKey?");
    }
  }
  const absl::string_view body = absl::string_view(plain).substr(0, plain.size() - padding);
  if (body.size() < kRandomLength + kLengthField) {
    return absl::InvalidArgumentError("Encrypt is too short to hold a message");
  }
  const size_t length = ReadBigEndian32(body.substr(kRandomLength));
  const absl::string_view rest = body.substr(kRandomLength + kLengthField);
  if (length > rest.size()) {
    return absl::InvalidArgumentError("Encrypt's message length runs past its end");
  }
  if (rest.substr(length) != appid_) {
    return absl::PermissionDeniedError("Encrypt was encrypted for another appid");
  }
  return std::string(rest.substr(0, length));
}

}  // namespace wxgate
