// wxgate: the gRPC gateway to WeChat.
//
//   wxgate [--config FILE]
//   wxgate --print_error_table
//
// Without --config it runs on the embedded default (no accounts, in-memory state).
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "service/config/config_loader.h"
#include "service/errors/error_table_doc.h"
#include "service/server/gateway.h"

ABSL_FLAG(std::string, config, "", "YAML configuration file; empty: the embedded default");
ABSL_FLAG(bool, print_error_table, false,
          "print the errcode → gRPC code table (Markdown) and exit");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("wxgate [--config FILE]: the gRPC gateway to WeChat");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_print_error_table)) {
    std::fputs(wxgate::ErrorTableMarkdown().c_str(), stdout);
    return 0;
  }
  const std::string path = absl::GetFlag(FLAGS_config);
  absl::StatusOr<wxgate::config::LoadedConfig> loaded =
      path.empty() ? wxgate::config::LoadConfigFromYaml(wxgate::config::EmbeddedDefaultYaml(),
                                                        wxgate::config::ProcessEnv())
                   : wxgate::config::LoadConfigFile(path, wxgate::config::ProcessEnv());
  if (!loaded.ok()) {
    std::fprintf(stderr, "wxgate: configuration: %s\n",
                 std::string(loaded.status().message()).c_str());
    return 2;
  }
  // SIGINT/SIGTERM are taken by sigwait below; block them before gRPC starts threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<wxgate::Gateway>> gateway = wxgate::Gateway::Start(*loaded);
  if (!gateway.ok()) {
    std::fprintf(stderr, "wxgate: %s\n", std::string(gateway.status().message()).c_str());
    return 1;
  }
  std::printf("wxgate serving gRPC on %s (port %d), %d account(s), upstream %s\n",
              loaded->config.server().grpc_listen().c_str(), (*gateway)->port(),
              loaded->config.accounts_size(), loaded->config.upstream().base_url().c_str());
  std::fflush(stdout);
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    (*gateway)->Shutdown();
  });
  (*gateway)->Wait();
  stopper.join();
  return 0;
}
