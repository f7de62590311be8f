// libFuzzer target over the callback URL's request target: the path and query
// WeChat (or anyone) sends to the callback port, split and percent-decoded, and the
// signed parameters read from it by the push handler, for WeChat's GET check and for
// a POST (plain and safe mode). The input is the target as sent, and also the query
// of a known account's path, so that the handler gets past the path.
// Run: tests/fuzz/run_fuzzers.sh [seconds]  (builds with clang into build-fuzz/).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "service/callback/request_target.h"
#include "tests/fuzz/push_handler_fixture.h"

namespace {

using wxgate::CallbackAnswer;

// Decoding never lengthens: each part is at most as long as what it came from.
void CheckParsed(const wxgate::RequestTarget& parsed, size_t size) {
  size_t total = parsed.path.size();
  for (const auto& [key, value] : parsed.query) total += key.size() + value.size();
  if (total > size) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* fixture = new wxgate::fuzz::PushHandlerFixture;
  const std::string input(reinterpret_cast<const char*>(data), size);
  CheckParsed(wxgate::ParseRequestTarget(input), size);

  const auto ignore = [](CallbackAnswer) {};
  const std::string body = "<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>";
  fixture->handler->Handle({"GET", input, ""}, ignore);
  for (const char* appid : {wxgate::fuzz::kPlain, wxgate::fuzz::kSafe}) {
    const std::string target = absl::StrCat(wxgate::kCallbackPathPrefix, appid, "?", input);
    fixture->handler->Handle({"GET", target, ""}, ignore);
    fixture->handler->Handle({"POST", target, body}, ignore);
  }
  return 0;
}
