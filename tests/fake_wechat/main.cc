// fake_wechat: runs FakeWeChat as a process, for the demo and out-of-process tests.
//
//   fake_wechat --cert F --key F [--host 127.0.0.1] [--port 0] [--port-file PATH]
//               [--endpoints DIR] [--account appid:secret]... [--latency-ms N] [--threads N]
//               [--token-lifetime-s N]   (default 7200)
//               [--rotate-refresh-tokens 1]  (api_authorizer_token rotates them)
//
// Once listening it writes the bound port to --port-file (atomically: a reader sees
// the whole number or no file) and prints "fake_wechat listening on https://HOST:PORT".
// Runs until SIGTERM or SIGINT, then removes the port file.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/fake_wechat/fake_wechat.h"

namespace {

struct Flags {
  wxgate::fake::FakeWeChatOptions options;
  std::string port_file;
  std::vector<std::pair<std::string, std::string>> accounts;
  int latency_ms = 0;
  int token_lifetime_s = 7200;
  bool rotate_refresh_tokens = false;
};

constexpr char kUsage[] =
    "usage: fake_wechat --cert F --key F [--host 127.0.0.1] [--port 0] [--port-file PATH]\n"
    "                   [--endpoints DIR] [--account appid:secret]... [--latency-ms N]\n"
    "                   [--threads N] [--token-lifetime-s N] [--rotate-refresh-tokens 0|1]\n";

// Accepts "--name value" and "--name=value". Returns an error message, or "" if fine.
std::string ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return absl::StrCat(name, " needs a value");
    }
    int number = 0;
    const bool is_number = absl::SimpleAtoi(value, &number);
    if (name == "--cert") {
      flags->options.cert_file = value;
    } else if (name == "--key") {
      flags->options.key_file = value;
    } else if (name == "--host") {
      flags->options.host = value;
    } else if (name == "--port" && is_number && number >= 0 && number <= 65535) {
      flags->options.port = static_cast<uint16_t>(number);
    } else if (name == "--port-file") {
      flags->port_file = value;
    } else if (name == "--endpoints") {
      flags->options.endpoints_dir = value;
    } else if (name == "--account" && value.find(':') != std::string::npos) {
      const size_t colon = value.find(':');
      flags->accounts.emplace_back(value.substr(0, colon), value.substr(colon + 1));
    } else if (name == "--latency-ms" && is_number && number >= 0) {
      flags->latency_ms = number;
    } else if (name == "--token-lifetime-s" && is_number && number >= 1) {
      flags->token_lifetime_s = number;
    } else if (name == "--rotate-refresh-tokens" && is_number && (number == 0 || number == 1)) {
      flags->rotate_refresh_tokens = number == 1;
    } else if (name == "--threads" && is_number && number >= 1) {
      flags->options.threads = number;
    } else {
      return absl::StrCat("bad flag ", name, " ", value);
    }
  }
  if (flags->options.cert_file.empty() || flags->options.key_file.empty()) {
    return "--cert and --key are required";
  }
  return "";
}

bool WritePortFile(const std::string& path, uint16_t port) {
  const std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(temporary.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (std::string error = ParseFlags(argc, argv, &flags); !error.empty()) {
    std::cerr << "fake_wechat: " << error << "\n" << kUsage;
    return 2;
  }

  // Blocked before the server threads start, so they inherit the mask and sigwait
  // below is the only receiver.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  wxgate::fake::FakeWeChat fake(flags.options);
  for (auto& [appid, secret] : flags.accounts) fake.AddAccount(appid, secret);
  fake.SetLatency(absl::Milliseconds(flags.latency_ms));
  fake.SetTokenLifetime(absl::Seconds(flags.token_lifetime_s));
  fake.SetRotateRefreshTokens(flags.rotate_refresh_tokens);
  if (absl::Status status = fake.Start(); !status.ok()) {
    std::cerr << status.message() << "\n";
    return 1;
  }
  if (!flags.port_file.empty() && !WritePortFile(flags.port_file, fake.port())) {
    std::cerr << "fake_wechat: cannot write " << flags.port_file << "\n";
    return 1;
  }
  std::cout << "fake_wechat listening on " << fake.base_url() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  fake.Stop();
  if (!flags.port_file.empty()) std::remove(flags.port_file.c_str());
  return 0;
}
