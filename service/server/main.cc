// wxgate: the gRPC gateway to WeChat.
//
//   wxgate [--config FILE]
//   wxgate --version
//   wxgate --print_error_table
//   wxgate --print_reason_table
//   wxgate --print_metric_table
//
// Without --config it runs on the embedded default (no accounts, in-memory state).
// SIGHUP reads FILE again and puts its access rules and log level in force (a file
// that does not load is refused and the settings in force stay); SIGINT and SIGTERM
// drain it (see Gateway::Shutdown, within server.drain_timeout) and stop it.
#include <grpc/support/log.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/config/config_loader.h"
#include "service/errors/error_table_doc.h"
#include "service/errors/gateway_reasons.h"
#include "service/observe/log.h"
#include "service/observe/metrics.h"
#include "service/server/gateway.h"

ABSL_FLAG(std::string, config, "", "YAML configuration file; empty: the embedded default");
ABSL_FLAG(bool, print_error_table, false,
          "print the errcode → gRPC code table (Markdown) and exit");
ABSL_FLAG(bool, print_metric_table, false,
          "print the table of the metrics on server.admin_listen's /metrics (Markdown) and exit");
ABSL_FLAG(bool, print_reason_table, false,
          "print the table of the gateway's own error reasons (Markdown) and exit");

namespace {

// The process holds every account's secrets: it never writes a core dump, and other
// processes of the same user cannot read its memory through /proc or ptrace.
void KeepSecretsOutOfCoreDumps() {
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

// gRPC's own messages (errors, by default) as lines of the gateway's log, so that a
// JSON log holds nothing but JSON.
void LogGrpcMessage(gpr_log_func_args* args) {
  const wxgate::LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR ? wxgate::LogLevel::kError
                                 : args->severity == GPR_LOG_SEVERITY_INFO
                                     ? wxgate::LogLevel::kInfo
                                     : wxgate::LogLevel::kDebug;
  wxgate::Log(level, "grpc",
              {{"file", args->file == nullptr ? "" : args->file},
               {"line", absl::StrCat(args->line)},
               {"message", args->message == nullptr ? "" : args->message}});
}

wxgate::LogLevel LogLevelOf(wxgate::config::v1::LogLevel level) {
  switch (level) {
    case wxgate::config::v1::LOG_LEVEL_DEBUG:
      return wxgate::LogLevel::kDebug;
    case wxgate::config::v1::LOG_LEVEL_WARN:
      return wxgate::LogLevel::kWarning;
    case wxgate::config::v1::LOG_LEVEL_ERROR:
      return wxgate::LogLevel::kError;
    default:
      return wxgate::LogLevel::kInfo;
  }
}

// Reads the configuration file again and puts its access rules and log level in
// force; a file that does not load leaves the current ones in force. Other sections
// (log.format included) need a restart.
void Reload(const std::string& path, wxgate::Gateway& gateway) {
  using wxgate::Log;
  using wxgate::LogLevel;
  if (path.empty()) {
    Log(LogLevel::kWarning, "access_reload_refused", {{"reason", "no --config file to reload"}});
    return;
  }
  absl::StatusOr<wxgate::config::LoadedConfig> loaded =
      wxgate::config::LoadConfigFile(path, wxgate::config::ProcessEnv());
  if (!loaded.ok()) {
    Log(LogLevel::kError, "access_reload_refused",
        {{"reason", loaded.status().message()},
         {"kept", "the access rules and log level in force"}});
    return;
  }
  gateway.ReloadAccess(loaded->config.access());
  wxgate::SetLogLevel(LogLevelOf(loaded->config.log().level()));
  Log(LogLevel::kInfo, "access_reloaded",
      {{"callers", absl::StrCat(loaded->config.access().callers_size())},
       {"log_level", wxgate::config::v1::LogLevel_Name(loaded->config.log().level())}});
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil checks every absl::Mutex lock (gRPC's included) for lock-order
  // cycles, and keeps a graph node per mutex: a few per cent of the push path's CPU.
  // The gateway's tests and sanitizer builds keep the checks.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage("wxgate [--config FILE]: the gRPC gateway to WeChat");
  absl::FlagsUsageConfig usage;
  usage.version_string = [] { return std::string("wxgate " WXGATE_VERSION "\n"); };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_print_error_table)) {
    std::fputs(wxgate::ErrorTableMarkdown().c_str(), stdout);
    return 0;
  }
  if (absl::GetFlag(FLAGS_print_metric_table)) {
    std::fputs(wxgate::MetricTableMarkdown().c_str(), stdout);
    return 0;
  }
  if (absl::GetFlag(FLAGS_print_reason_table)) {
    std::fputs(wxgate::ReasonTableMarkdown().c_str(), stdout);
    return 0;
  }
  KeepSecretsOutOfCoreDumps();  // before any secret is read
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
  wxgate::SetLogFormat(loaded->config.log().format() == wxgate::config::v1::LOG_FORMAT_JSON
                           ? wxgate::LogFormat::kJson
                           : wxgate::LogFormat::kText);
  wxgate::SetLogLevel(LogLevelOf(loaded->config.log().level()));
  gpr_set_log_function(LogGrpcMessage);
  // SIGINT/SIGTERM (stop) and SIGHUP (reload the access rules) are taken by sigwait
  // below; block them before gRPC starts threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<wxgate::Gateway>> gateway = wxgate::Gateway::Start(*loaded);
  if (!gateway.ok()) {
    std::fprintf(stderr, "wxgate: %s\n", std::string(gateway.status().message()).c_str());
    return 1;
  }
  const wxgate::config::v1::Server& server = loaded->config.server();
  const char* security =
      !server.has_tls() ? "plaintext"
      : server.tls().client_certificates() == wxgate::config::v1::CLIENT_CERTIFICATES_REQUIRE
          ? "TLS, client certificates required"
      : server.tls().client_certificates() == wxgate::config::v1::CLIENT_CERTIFICATES_REQUEST
          ? "TLS, client certificates verified if sent"
          : "TLS";
  std::printf("wxgate serving gRPC on %s (port %d), %s, %d account(s), upstream %s\n",
              server.grpc_listen().c_str(), (*gateway)->port(), security,
              loaded->config.accounts_size(), loaded->config.upstream().base_url().c_str());
  std::fflush(stdout);
  std::thread stopper([&] {
    int signal = 0;
    while (sigwait(&signals, &signal) == 0 && signal == SIGHUP) {
      Reload(path, **gateway);
    }
    (*gateway)->Shutdown(wxgate::config::ToDuration(server.drain_timeout()));
  });
  (*gateway)->Wait();
  stopper.join();
  return 0;
}
