// libFuzzer target over what an attacker controls on the callback port: the push
// body. Each input goes through verify + decrypt + parse three ways:
//   1. as a plain push with a valid signature (XML parsing and decoding);
//   2. as the <Encrypt> text of a safe-mode push with a valid msg_signature
//      (base64, AES, padding and length checks);
//   3. encrypted properly, so the decrypted input reaches the decoder.
// Run: tests/fuzz/run_fuzzers.sh [seconds]  (builds with clang into build-fuzz/).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "auth/callback_signature.h"
#include "tests/fuzz/push_handler_fixture.h"

namespace {

using wxgate::CallbackAnswer;
using wxgate::fuzz::kKey;
using wxgate::fuzz::kPlain;
using wxgate::fuzz::kSafe;
using wxgate::fuzz::kToken;

struct Fixture : wxgate::fuzz::PushHandlerFixture {
  const wxgate::MessageCipher cipher = *wxgate::MessageCipher::Create(kKey, kSafe);
};

std::string Query(const std::string& appid, const std::string& encrypt) {
  std::string query =
      absl::StrCat("/wechat/callback/", appid,
                   "?timestamp=1&nonce=n&signature=", wxgate::CallbackSignature(kToken, "1", "n"));
  if (!encrypt.empty()) {
    absl::StrAppend(&query, "&encrypt_type=aes&msg_signature=",
                    wxgate::MessageSignature(kToken, "1", "n", encrypt));
  }
  return query;
}

std::string Envelope(const std::string& encrypt) {
  return absl::StrCat("<xml><Encrypt><![CDATA[", encrypt, "]]></Encrypt></xml>");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto ignore = [](CallbackAnswer) {};
  fixture->handler->Handle({"POST", Query(kPlain, ""), input}, ignore);
  // CDATA cannot hold "]]>"; such inputs still exercise the parser's refusal.
  fixture->handler->Handle({"POST", Query(kSafe, input), Envelope(input)}, ignore);
  const std::string encrypted = fixture->cipher.Encrypt(input);
  fixture->handler->Handle({"POST", Query(kSafe, encrypted), Envelope(encrypted)}, ignore);
  return 0;
}
