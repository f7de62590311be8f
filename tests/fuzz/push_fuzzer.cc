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
#include "service/callback/push_handler.h"
#include "service/events/memory_event_store.h"
#include "service/observe/log.h"

namespace {

using wxgate::CallbackAccount;
using wxgate::CallbackAnswer;

constexpr char kToken[] = "fuzz-token";
constexpr char kKey[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
constexpr char kPlain[] = "wx00000000000000aa";
constexpr char kSafe[] = "wx00000000000000bb";

struct Fixture {
  Fixture() {
    wxgate::SetLogSink([](const std::string&) {});  // refusals are the norm here
    std::vector<CallbackAccount> accounts;
    accounts.push_back({.appid = kPlain, .token = kToken});
    accounts.push_back({.appid = kSafe,
                        .token = kToken,
                        .mode = wxgate::config::v1::CALLBACK_MODE_SAFE,
                        .cipher = *wxgate::MessageCipher::Create(kKey, kSafe)});
    // The clock stands at the pushes' timestamp, so that every input is fresh and
    // reaches the decoder.
    handler.emplace(
        std::move(accounts), hub, dedup, broker, wxgate::PushFreshness({}),
        [](absl::Duration, std::function<void()>) {}, [] { return absl::FromUnixSeconds(1); });
  }

  wxgate::EventHub hub{std::make_unique<wxgate::MemoryEventStore>(
                           wxgate::MemoryEventStore::Limits{.max_events = 16}, 1),
                       wxgate::EventHub::Options{}};
  // As the gateway has it: a window that closes replays, on a clock that (as the
  // handler's) stands still, so only the entry bound keeps its memory flat.
  wxgate::PushDedup dedup{wxgate::PushFreshness({}).MinDedupWindow(),
                          [] { return absl::FromUnixSeconds(1); }};
  wxgate::ReplyBroker broker;
  std::optional<wxgate::PushHandler> handler;
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
