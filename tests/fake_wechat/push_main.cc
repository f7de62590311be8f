// fake_wechat_push: delivers sample pushes to a gateway's callback URL as WeChat
// does (signed; encrypted when an EncodingAESKey is given), for the demo and by hand.
//
//   fake_wechat_push --url http://127.0.0.1:8080/wechat/callback/wx1 --appid wx1 \
//                    --token_env TOKEN_VAR [--aes_key_env KEY_VAR] FILE.xml...
//
// Prints each answer's HTTP status and body (a safe-mode reply decrypted); exits 1
// if any push fails or is refused.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "tests/fake_wechat/push_sender.h"

ABSL_FLAG(std::string, url, "", "the account's callback URL");
ABSL_FLAG(std::string, appid, "", "the account's appid");
ABSL_FLAG(std::string, token_env, "", "environment variable holding the callback token");
ABSL_FLAG(std::string, aes_key_env, "", "environment variable holding the EncodingAESKey");

namespace {

std::string EnvOrEmpty(const std::string& name) {
  const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
  return value == nullptr ? "" : value;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> files = absl::ParseCommandLine(argc, argv);
  wxgate::fake::PushSender sender(
      {.url = absl::GetFlag(FLAGS_url),
       .appid = absl::GetFlag(FLAGS_appid),
       .token = EnvOrEmpty(absl::GetFlag(FLAGS_token_env)),
       .encoding_aes_key = EnvOrEmpty(absl::GetFlag(FLAGS_aes_key_env))});
  int failures = 0;
  for (size_t i = 1; i < files.size(); ++i) {
    std::ifstream in(files[i]);
    std::stringstream xml;
    xml << in.rdbuf();
    absl::StatusOr<wxgate::fake::PushAnswer> answer = sender.Send(xml.str());
    if (!answer.ok()) {
      std::fprintf(stderr, "%s: %s\n", files[i], answer.status().ToString().c_str());
      ++failures;
      continue;
    }
    std::printf("%s -> HTTP %ld %s\n", files[i], answer->http_status, answer->body.c_str());
    if (answer->http_status != 200) ++failures;
  }
  return failures == 0 ? 0 : 1;
}
