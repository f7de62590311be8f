#include "service/config/config_loader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace wxgate::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

constexpr char kAppA[] = "wx0123456789abcdef";
constexpr char kAppB[] = "wxfedcba9876543210";

// Secret values used throughout. Every error message checked by ErrorOf() is
// also checked not to contain any of them.
constexpr char kSecretMain[] = "S3CRET-MAIN-0c2f6e1a9b";
constexpr char kSecretFile[] = "S3CRET-FILE-77d1e0b4a2";
constexpr char kSecretInline[] = "S3CRET-INLINE-5e8c3a0f";

constexpr char kPem[] = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

// An environment holding WX_SECRET_MAIN and whatever a test adds.
EnvLookup FakeEnv(std::map<std::string, std::string> vars = {}) {
  vars.emplace("WX_SECRET_MAIN", kSecretMain);
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A fresh directory under the test's temp dir.
std::string MakeTempDir() {
  static std::atomic<int> counter{0};
  std::string dir =
      absl::StrCat(::testing::TempDir(), "/config_loader_test_", ::getpid(), "_", counter++);
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

std::string WriteFile(const std::string& dir, const std::string& name,
                      const std::string& contents) {
  std::string path = absl::StrCat(dir, "/", name);
  std::ofstream(path) << contents;
  return path;
}

// The error message of a load that must fail; also asserts no secret leaked.
std::string ErrorOf(const absl::StatusOr<LoadedConfig>& loaded) {
  EXPECT_FALSE(loaded.ok()) << "loaded unexpectedly: " << loaded->config.DebugString();
  if (loaded.ok()) return "";
  std::string message(loaded.status().message());
  for (const char* secret : {kSecretMain, kSecretFile, kSecretInline}) {
    EXPECT_THAT(message, Not(HasSubstr(secret))) << "a secret leaked into an error";
  }
  return message;
}

std::string ErrorOf(std::string_view yaml) { return ErrorOf(LoadConfigFromYaml(yaml, FakeEnv())); }

// One account whose secret comes from WX_SECRET_MAIN, with `extra` appended.
std::string OneAccount(const std::string& extra = "") {
  return absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {env: WX_SECRET_MAIN}\n",
                      extra);
}

// --- Valid configurations -------------------------------------------------

TEST(ConfigLoaderTest, FullValidFile) {
  std::string dir = MakeTempDir();
  std::string ca = WriteFile(dir, "ca.pem", kPem);
  std::string secret_file = WriteFile(dir, "secret_b", absl::StrCat("  ", kSecretFile, "\n\n"));
  std::string yaml = absl::StrCat(R"(# A complete configuration.
server:
  grpc_listen: "0.0.0.0:9090"
  plaintext: true
upstream:
  base_url: "http://127.0.0.1:8080/fake/"
  ca_file: ")",
                                  ca, R"("
  timeout: 1500ms
  max_connections: 8
  connect_timeout: 250ms
  max_queued_calls: 100
  max_concurrent_connects: 4
accounts:
  - appid: )",
                                  kAppA, R"(
    name: main
    secret:
      env: WX_SECRET_MAIN
  - appid: )",
                                  kAppB, R"(
    name: second
    token_api: classic
    secret:
      file: )",
                                  secret_file, R"(
default_appid: )",
                                  kAppB, R"(
tokens:
  state_file: /var/lib/wxgate/tokens.json
)");

  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(yaml, FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const v1::Config& config = loaded->config;
  EXPECT_EQ(config.server().grpc_listen(), "0.0.0.0:9090");
  EXPECT_EQ(config.upstream().base_url(), "http://127.0.0.1:8080/fake");
  EXPECT_EQ(config.upstream().ca_file(), ca);
  EXPECT_EQ(config.upstream().timeout().seconds(), 1);
  EXPECT_EQ(config.upstream().timeout().nanos(), 500'000'000);
  EXPECT_EQ(config.upstream().max_connections(), 8u);
  EXPECT_EQ(ToDuration(config.upstream().connect_timeout()), absl::Milliseconds(250));
  EXPECT_EQ(config.upstream().max_queued_calls(), 100u);
  EXPECT_EQ(config.upstream().max_concurrent_connects(), 4u);
  ASSERT_EQ(config.accounts_size(), 2);
  EXPECT_EQ(config.accounts(0).appid(), kAppA);
  EXPECT_EQ(config.accounts(0).name(), "main");
  EXPECT_EQ(config.accounts(0).secret().env(), "WX_SECRET_MAIN");
  EXPECT_EQ(config.accounts(0).token_api(), v1::TOKEN_API_STABLE);
  EXPECT_EQ(config.accounts(1).appid(), kAppB);
  EXPECT_EQ(config.accounts(1).token_api(), v1::TOKEN_API_CLASSIC);
  EXPECT_EQ(config.accounts(1).secret().file(), secret_file);
  EXPECT_EQ(config.default_appid(), kAppB);
  EXPECT_EQ(config.tokens().state_file(), "/var/lib/wxgate/tokens.json");
  EXPECT_THAT(loaded->secrets,
              UnorderedElementsAre(Pair(kAppA, kSecretMain), Pair(kAppB, kSecretFile)));
  // The config holds the sources of the secrets, never their values.
  EXPECT_THAT(config.DebugString(),
              AllOf(Not(HasSubstr(kSecretMain)), Not(HasSubstr(kSecretFile))));
}

TEST(ConfigLoaderTest, EmbeddedDefaultLoads) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(EmbeddedDefaultYaml(), FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.server().grpc_listen(), "127.0.0.1:50051");
  EXPECT_EQ(loaded->config.upstream().base_url(), "https://api.weixin.qq.com");
  EXPECT_EQ(loaded->config.upstream().timeout().seconds(), 5);
  EXPECT_EQ(loaded->config.upstream().max_connections(), 256u);
  EXPECT_THAT(loaded->config.accounts(), IsEmpty());
  EXPECT_EQ(loaded->config.default_appid(), "");
  EXPECT_THAT(loaded->secrets, IsEmpty());
}

TEST(ConfigLoaderTest, EmbeddedDefaultIsAnEmptyFileWithDefaultsPlusOpenAccess) {
  absl::StatusOr<LoadedConfig> embedded = LoadConfigFromYaml(EmbeddedDefaultYaml(), FakeEnv());
  absl::StatusOr<LoadedConfig> empty = LoadConfigFromYaml("", FakeEnv());
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  ASSERT_TRUE(empty.ok()) << empty.status();
  // An empty file denies every caller; the embedded default lets anyone in (loopback).
  EXPECT_FALSE(empty->config.has_access());
  embedded->config.clear_access();
  EXPECT_EQ(embedded->config.SerializeAsString(), empty->config.SerializeAsString());
}

TEST(ConfigLoaderTest, DefaultsFillWhatIsMissing) {
  absl::StatusOr<LoadedConfig> loaded =
      LoadConfigFromYaml(OneAccount("upstream:\n  max_connections: 0\n"), FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const v1::Config& config = loaded->config;
  EXPECT_EQ(config.server().grpc_listen(), kDefaultGrpcListen);
  EXPECT_EQ(config.upstream().base_url(), kDefaultBaseUrl);
  EXPECT_EQ(config.upstream().timeout().seconds(), kDefaultTimeoutSeconds);
  EXPECT_EQ(config.upstream().timeout().nanos(), 0);
  EXPECT_EQ(config.upstream().max_connections(), kDefaultMaxConnections);
  EXPECT_EQ(config.upstream().max_upload_bytes(), 32u << 20);
  EXPECT_EQ(config.upstream().max_answer_bytes(), 64u << 20);
  EXPECT_EQ(ToDuration(config.upstream().connect_timeout()),
            absl::Seconds(kDefaultConnectTimeoutSeconds));
  EXPECT_EQ(config.upstream().max_queued_calls(), kDefaultMaxQueuedCalls);
  EXPECT_EQ(config.upstream().max_concurrent_connects(), kDefaultMaxConcurrentConnects);
  EXPECT_TRUE(config.upstream().fallback_base_urls().empty());
  EXPECT_EQ(ToDuration(config.upstream().failover_probe_interval()),
            absl::Seconds(kDefaultFailoverProbeIntervalSeconds));
  EXPECT_EQ(config.accounts(0).token_api(), v1::TOKEN_API_STABLE);
  EXPECT_EQ(ToDuration(config.server().drain_timeout()), kDefaultDrainTimeout);
  // The only account becomes the default.
  EXPECT_EQ(config.default_appid(), kAppA);
}

TEST(ConfigLoaderTest, NullValuesLeaveFieldsToTheirDefaults) {
  absl::StatusOr<LoadedConfig> loaded =
      LoadConfigFromYaml("server:\nupstream:\n  base_url: ~\naccounts:\n", FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.server().grpc_listen(), kDefaultGrpcListen);
  EXPECT_EQ(loaded->config.upstream().base_url(), kDefaultBaseUrl);
}

TEST(ConfigLoaderTest, NoDefaultAppidAmongSeveralAccounts) {
  std::string yaml =
      absl::StrCat(OneAccount(), "  - appid: ", kAppB, "\n    secret: {env: WX_SECRET_B}\n");
  absl::StatusOr<LoadedConfig> loaded =
      LoadConfigFromYaml(yaml, FakeEnv({{"WX_SECRET_B", "other"}}));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.default_appid(), "");
  EXPECT_EQ(loaded->secrets.at(kAppB), "other");
}

TEST(ConfigLoaderTest, DefaultAppidMatchesCaseInsensitively) {
  absl::StatusOr<LoadedConfig> loaded =
      LoadConfigFromYaml(OneAccount("default_appid: wx0123456789ABCDEF\n"), FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.default_appid(), kAppA);
}

TEST(ConfigLoaderTest, UppercaseHexAppidIsAcceptedAndLowercased) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      "accounts:\n  - appid: wx0123456789ABCDEF\n    secret: {env: WX_SECRET_MAIN}\n", FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.accounts(0).appid(), kAppA);
  EXPECT_EQ(loaded->secrets.at(kAppA), kSecretMain);
}

TEST(ConfigLoaderTest, EnvLookupIsInjected) {
  std::vector<std::string> asked;
  EnvLookup env = [&asked](const std::string& name) -> std::optional<std::string> {
    asked.push_back(name);
    return std::string("  injected-value\n");
  };
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {env: MY_VAR}\n"), env);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(asked, ::testing::ElementsAre("MY_VAR"));
  EXPECT_EQ(loaded->secrets.at(kAppA), "injected-value");  // trimmed
}

TEST(ConfigLoaderTest, ProcessEnvReadsTheEnvironment) {
  EnvLookup env = ProcessEnv();
  ::setenv("WXGATE_CONFIG_LOADER_TEST_VAR", "from-process", 1);
  EXPECT_EQ(env("WXGATE_CONFIG_LOADER_TEST_VAR"), "from-process");
  ::unsetenv("WXGATE_CONFIG_LOADER_TEST_VAR");
  EXPECT_EQ(env("WXGATE_CONFIG_LOADER_TEST_VAR"), std::nullopt);
}

TEST(ConfigLoaderTest, SecretFileIsReadAndTrimmed) {
  std::string dir = MakeTempDir();
  std::string path = WriteFile(dir, "secret", absl::StrCat("\n\t", kSecretFile, " \r\n"));
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {file: '", path, "'}\n"),
      FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->secrets.at(kAppA), kSecretFile);
}

TEST(ConfigLoaderTest, TokenApiAcceptsShortAndFullNames) {
  for (const char* spelling :
       {"classic", "CLASSIC", "Classic", "TOKEN_API_CLASSIC", "token_api_classic"}) {
    absl::StatusOr<LoadedConfig> loaded =
        LoadConfigFromYaml(OneAccount(absl::StrCat("    token_api: ", spelling, "\n")), FakeEnv());
    ASSERT_TRUE(loaded.ok()) << spelling << ": " << loaded.status();
    EXPECT_EQ(loaded->config.accounts(0).token_api(), v1::TOKEN_API_CLASSIC) << spelling;
  }
  absl::StatusOr<LoadedConfig> loaded =
      LoadConfigFromYaml(OneAccount("    token_api: stable\n"), FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.accounts(0).token_api(), v1::TOKEN_API_STABLE);
}

TEST(ConfigLoaderTest, LogDefaultsToTextAtInfo) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml("", FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.log().format(), v1::LOG_FORMAT_TEXT);
  EXPECT_EQ(loaded->config.log().level(), v1::LOG_LEVEL_INFO);
}

TEST(ConfigLoaderTest, LogTakesItsFormatAndLevel) {
  absl::StatusOr<LoadedConfig> loaded =
      LoadConfigFromYaml("log:\n  format: json\n  level: debug\n", FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.log().format(), v1::LOG_FORMAT_JSON);
  EXPECT_EQ(loaded->config.log().level(), v1::LOG_LEVEL_DEBUG);
  loaded = LoadConfigFromYaml("log: {level: WARN, format: LOG_FORMAT_TEXT}\n", FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.log().format(), v1::LOG_FORMAT_TEXT);
  EXPECT_EQ(loaded->config.log().level(), v1::LOG_LEVEL_WARN);
}

TEST(ConfigLoaderErrorTest, RefusesBadLogSections) {
  EXPECT_EQ(ErrorOf("log:\n  format: logfmt\n"),
            "log.format: \"logfmt\" is not one of: unspecified, text, json");
  EXPECT_EQ(ErrorOf("log:\n  level: verbose\n"),
            "log.level: \"verbose\" is not one of: unspecified, debug, info, warn, error");
  EXPECT_EQ(ErrorOf("log:\n  levle: debug\n"),
            "log.levle: unknown key (known keys: format, level)");
  EXPECT_THAT(
      ErrorOf("log: json\n"),
      StartsWith("log: expected a mapping (known keys: format, level), got a single value"));
  EXPECT_THAT(ErrorOf("log:\n  level: [debug]\n"), StartsWith("log.level: expected"));
}

TEST(ConfigLoaderTest, DurationsInSeveralUnits) {
  struct Case {
    const char* text;
    int64_t seconds;
    int32_t nanos;
  };
  for (const Case& c : {Case{"500ms", 0, 500'000'000}, Case{"5s", 5, 0}, Case{"1m", 60, 0},
                        Case{"1m30s", 90, 0}, Case{"250us", 0, 250'000}}) {
    absl::StatusOr<LoadedConfig> loaded =
        LoadConfigFromYaml(absl::StrCat("upstream:\n  timeout: ", c.text, "\n"), FakeEnv());
    ASSERT_TRUE(loaded.ok()) << c.text << ": " << loaded.status();
    EXPECT_EQ(loaded->config.upstream().timeout().seconds(), c.seconds) << c.text;
    EXPECT_EQ(loaded->config.upstream().timeout().nanos(), c.nanos) << c.text;
  }
}

TEST(ConfigLoaderTest, GrpcListenAcceptsHostPortForms) {
  for (const char* listen : {"127.0.0.1:50051", "0.0.0.0:1", "localhost:65535", "[::]:50051",
                             "[::1]:8080", "wxgate-0.wxgate.svc:50051"}) {
    absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
        absl::StrCat("server:\n  grpc_listen: \"", listen, "\"\n  plaintext: true\n"), FakeEnv());
    ASSERT_TRUE(loaded.ok()) << listen << ": " << loaded.status();
    EXPECT_EQ(loaded->config.server().grpc_listen(), listen);
  }
}

TEST(ConfigLoaderTest, BaseUrlIsNormalized) {
  struct Case {
    const char* given;
    const char* kept;
  };
  for (const Case& c : {Case{"https://api.weixin.qq.com/", "https://api.weixin.qq.com"},
                        Case{"https://api2.weixin.qq.com", "https://api2.weixin.qq.com"},
                        Case{"http://127.0.0.1:8080//", "http://127.0.0.1:8080"},
                        Case{"HTTPS://sh.api.weixin.qq.com", "https://sh.api.weixin.qq.com"},
                        Case{"http://[::1]:9000/prefix/", "http://[::1]:9000/prefix"}}) {
    absl::StatusOr<LoadedConfig> loaded =
        LoadConfigFromYaml(absl::StrCat("upstream:\n  base_url: \"", c.given, "\"\n"), FakeEnv());
    ASSERT_TRUE(loaded.ok()) << c.given << ": " << loaded.status();
    EXPECT_EQ(loaded->config.upstream().base_url(), c.kept);
  }
}

// --- Errors ----------------------------------------------------------------

TEST(ConfigLoaderErrorTest, YamlSyntaxErrorReportsLineAndColumn) {
  EXPECT_THAT(ErrorOf("server:\n  grpc_listen: \"127.0.0.1:1\"\nupstream: [unclosed\n"),
              AllOf(HasSubstr("YAML syntax error at line"), HasSubstr("column")));
  EXPECT_THAT(ErrorOf("server:\n  grpc_listen: a\n   bad: indent\n"), HasSubstr("line 3"));
}

TEST(ConfigLoaderErrorTest, UnknownKeyListsKnownKeys) {
  EXPECT_EQ(ErrorOf("upstream:\n  timout: 5s\n"),
            "upstream.timout: unknown key (known keys: base_url, ca_file, timeout, "
            "max_connections, host_base_urls, max_upload_bytes, max_answer_bytes, "
            "connect_timeout, max_queued_calls, max_concurrent_connects, fallback_base_urls, "
            "failover_probe_interval)");
}

TEST(ConfigLoaderErrorTest, UnknownTopLevelKey) {
  EXPECT_EQ(ErrorOf("acounts: []\n"),
            "acounts: unknown key (known keys: server, upstream, accounts, default_appid, tokens, "
            "events, access, store, log, components)");
}

TEST(ConfigLoaderErrorTest, UnknownKeyInsideAnAccount) {
  EXPECT_THAT(ErrorOf(OneAccount("    secrets: {env: X}\n")),
              StartsWith("accounts[0].secrets: unknown key (known keys: appid, secret, "
                         "token_api, name, callback)"));
  EXPECT_THAT(ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {value: x}\n")),
              StartsWith("accounts[0].secret: unknown key (not shown, as it may be a secret) "
                         "(known keys: env, file)"));
}

TEST(ConfigLoaderErrorTest, KeyGivenTwice) {
  EXPECT_THAT(ErrorOf("server:\n  grpc_listen: a:1\n  grpc_listen: b:2\n"),
              StartsWith("server.grpc_listen: given twice"));
}

TEST(ConfigLoaderErrorTest, WrongShapes) {
  EXPECT_THAT(ErrorOf("accounts: {appid: x}\n"),
              StartsWith("accounts: expected a list, got a mapping"));
  EXPECT_THAT(ErrorOf("server: 127.0.0.1:50051\n"),
              StartsWith("server: expected a mapping (known keys: grpc_listen, callback_listen, "
                         "max_message_bytes, max_concurrent_streams, tls, plaintext, reflection, "
                         "drain_timeout, health_listen, admin_listen, channelz, "
                         "callback_threads), got a single value"));
  EXPECT_THAT(ErrorOf("server:\n  grpc_listen: [a, b]\n"),
              StartsWith("server.grpc_listen: expected a string, got a list"));
  EXPECT_THAT(ErrorOf("- server\n"), StartsWith("top level: expected a mapping"));
  EXPECT_THAT(ErrorOf("accounts:\n  -\n"), StartsWith("accounts[0]: empty entry"));
}

TEST(ConfigLoaderErrorTest, MoreThanOneDocument) {
  EXPECT_THAT(ErrorOf("server: {}\n---\nserver: {}\n"), HasSubstr("2 documents"));
}

TEST(ConfigLoaderErrorTest, AppidWithWrongShape) {
  std::string yaml =
      absl::StrCat(OneAccount(), "  - appid: wx123\n    secret: {env: WX_SECRET_MAIN}\n");
  EXPECT_EQ(ErrorOf(yaml),
            "accounts[1].appid: \"wx123\" is not an appid: expected \"wx\" followed by 16 "
            "hexadecimal digits");
  EXPECT_THAT(
      ErrorOf("accounts:\n  - appid: wx0123456789abcdeg\n    secret: {env: WX_SECRET_MAIN}\n"),
      StartsWith("accounts[0].appid: \"wx0123456789abcdeg\" is not an appid"));
  EXPECT_THAT(
      ErrorOf("accounts:\n  - appid: gh0123456789abcdef\n    secret: {env: WX_SECRET_MAIN}\n"),
      StartsWith("accounts[0].appid: \"gh0123456789abcdef\" is not an appid"));
}

TEST(ConfigLoaderErrorTest, AppidMissing) {
  EXPECT_THAT(ErrorOf("accounts:\n  - name: main\n    secret: {env: WX_SECRET_MAIN}\n"),
              StartsWith("accounts[0].appid: missing"));
}

TEST(ConfigLoaderErrorTest, DuplicateAppid) {
  std::string yaml = absl::StrCat(OneAccount(), "  - appid: wx0123456789ABCDEF\n",
                                  "    secret: {env: WX_SECRET_MAIN}\n");
  EXPECT_THAT(ErrorOf(yaml), StartsWith(absl::StrCat("accounts[1].appid: \"", kAppA,
                                                     "\" is already configured by accounts[0]")));
}

TEST(ConfigLoaderErrorTest, SecretMissing) {
  EXPECT_THAT(ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA, "\n")),
              StartsWith("accounts[0].secret: missing"));
}

TEST(ConfigLoaderErrorTest, SecretWithoutSource) {
  EXPECT_THAT(ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {}\n")),
              StartsWith("accounts[0].secret: no source; set env"));
}

TEST(ConfigLoaderErrorTest, SecretWithTwoSources) {
  EXPECT_THAT(ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA,
                                   "\n    secret: {env: WX_SECRET_MAIN, file: /run/s}\n")),
              StartsWith("accounts[0].secret: both env and file are set; set only one of env, "
                         "file"));
}

TEST(ConfigLoaderErrorTest, SecretEnvUnset) {
  EXPECT_THAT(ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA,
                                   "\n    secret: {env: WX_SECRET_OTHER}\n")),
              StartsWith("accounts[0].secret: environment variable WX_SECRET_OTHER is not set"));
}

TEST(ConfigLoaderErrorTest, SecretEnvEmpty) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {env: WX_EMPTY}\n"),
      FakeEnv({{"WX_EMPTY", " \n"}}));
  EXPECT_THAT(ErrorOf(loaded),
              StartsWith("accounts[0].secret: environment variable WX_EMPTY is empty"));
}

TEST(ConfigLoaderErrorTest, SecretPastedWhereAVariableNameBelongsIsNotEchoed) {
  std::string message = ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA,
                                             "\n    secret: {env: \"", kSecretInline, "\"}\n"));
  EXPECT_THAT(message, StartsWith("accounts[0].secret.env: not an environment variable name"));
}

TEST(ConfigLoaderErrorTest, SecretWrittenInlineIsNotEchoed) {
  std::string message =
      ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: ", kSecretInline, "\n"));
  EXPECT_THAT(message,
              StartsWith("accounts[0].secret: expected a mapping (known keys: env, file)"));
}

TEST(ConfigLoaderErrorTest, SecretWrittenAsAKeyIsNotEchoed) {
  std::string message = ErrorOf(
      absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {", kSecretInline, "}\n"));
  EXPECT_THAT(message, StartsWith("accounts[0].secret: unknown key (not shown, as it may be a "
                                  "secret) (known keys: env, file)"));
  message = ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret:\n      ",
                                 kSecretInline, ": x\n"));
  EXPECT_THAT(message, StartsWith("accounts[0].secret: unknown key (not shown"));
}

TEST(ConfigLoaderErrorTest, SecretFileUnreadableNamesThePath) {
  std::string missing = absl::StrCat(MakeTempDir(), "/no_such_secret");
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {file: '", missing, "'}\n"),
      FakeEnv());
  EXPECT_THAT(ErrorOf(loaded),
              StartsWith(absl::StrCat("accounts[0].secret: cannot read \"", missing, "\": ")));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);

  std::string dir = MakeTempDir();
  EXPECT_THAT(
      ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {file: '", dir, "'}\n")),
      HasSubstr("is a directory"));
}

TEST(ConfigLoaderErrorTest, SecretFileThatIsAFifoIsRefusedWithoutWaiting) {
  // Opening a FIFO for reading blocks until a writer comes; the loader must not.
  std::string fifo = absl::StrCat(MakeTempDir(), "/secret_fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {file: '", fifo,
                                   "'}\n")),
              HasSubstr("is not a regular file"));
}

TEST(ConfigLoaderErrorTest, SecretFileEmpty) {
  std::string path = WriteFile(MakeTempDir(), "blank", " \n\t\n");
  EXPECT_THAT(ErrorOf(absl::StrCat("accounts:\n  - appid: ", kAppA, "\n    secret: {file: '", path,
                                   "'}\n")),
              StartsWith(absl::StrCat("accounts[0].secret: secret file \"", path, "\" is empty")));
}

TEST(ConfigLoaderErrorTest, DefaultAppidNotAnAccount) {
  EXPECT_THAT(ErrorOf(OneAccount(absl::StrCat("default_appid: ", kAppB, "\n"))),
              StartsWith(absl::StrCat("default_appid: \"", kAppB,
                                      "\" is not one of the configured accounts (", kAppA, ")")));
  EXPECT_THAT(ErrorOf(absl::StrCat("default_appid: ", kAppB, "\n")), HasSubstr("(there are none)"));
}

TEST(ConfigLoaderErrorTest, BaseUrlNotHttp) {
  EXPECT_THAT(ErrorOf("upstream:\n  base_url: ftp://x\n"),
              StartsWith("upstream.base_url: \"ftp://x\" is not an https:// or http:// URL"));
  EXPECT_THAT(ErrorOf("upstream:\n  base_url: api.weixin.qq.com\n"),
              StartsWith("upstream.base_url: \"api.weixin.qq.com\" is not an https:// or http:// "
                         "URL"));
}

TEST(ConfigLoaderTest, HostBaseUrlsAreNormalizedAndChecked) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      OneAccount(
          "upstream:\n  host_base_urls:\n    mp.weixin.qq.com: \"HTTPS://127.0.0.1:8443/\"\n"),
      FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.upstream().host_base_urls().at("mp.weixin.qq.com"),
            "https://127.0.0.1:8443");
  EXPECT_EQ(ErrorOf("upstream:\n  host_base_urls:\n    mp.weixin.qq.com: ftp://x\n"),
            "upstream.host_base_urls.mp.weixin.qq.com: \"ftp://x\" is not an https:// or http:// "
            "URL; write e.g. \"https://api.weixin.qq.com\"");
  EXPECT_EQ(ErrorOf("upstream:\n  host_base_urls:\n    \"mp.weixin.qq.com:443\": https://x\n"),
            "upstream.host_base_urls: \"mp.weixin.qq.com:443\" is not a host name; write e.g. "
            "\"mp.weixin.qq.com\"");
}

TEST(ConfigLoaderTest, FallbackBaseUrlsAreNormalizedInOrder) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      OneAccount("upstream:\n  fallback_base_urls: [\"HTTPS://api2.weixin.qq.com/\", "
                 "\"https://sh.api.weixin.qq.com\"]\n  failover_probe_interval: 30s\n"),
      FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_THAT(loaded->config.upstream().fallback_base_urls(),
              ::testing::ElementsAre("https://api2.weixin.qq.com", "https://sh.api.weixin.qq.com"));
  EXPECT_EQ(ToDuration(loaded->config.upstream().failover_probe_interval()), absl::Seconds(30));
}

TEST(ConfigLoaderErrorTest, FallbackBaseUrlsAreCheckedLikeTheBaseUrl) {
  EXPECT_EQ(ErrorOf("upstream:\n  fallback_base_urls: [\"https://api2.weixin.qq.com\", "
                    "\"api.weixin.qq.com\"]\n"),
            "upstream.fallback_base_urls[1]: \"api.weixin.qq.com\" is not an https:// or http:// "
            "URL; write e.g. \"https://api.weixin.qq.com\"");
  EXPECT_THAT(ErrorOf("upstream:\n  fallback_base_urls: [\"https://x/?a=1\"]\n"),
              StartsWith("upstream.fallback_base_urls[0]: \"https://x/?a=1\" has a query"));
  EXPECT_EQ(ErrorOf("upstream:\n  base_url: https://api.weixin.qq.com\n"
                    "  fallback_base_urls: [\"https://API.weixin.qq.com/\"]\n"),
            "upstream.fallback_base_urls[0]: \"https://API.weixin.qq.com\" is already "
            "upstream.base_url; list each domain once");
  EXPECT_THAT(ErrorOf("upstream:\n  fallback_base_urls: [\"https://b\", \"https://b\"]\n"),
              StartsWith("upstream.fallback_base_urls[1]: \"https://b\" is already "
                         "upstream.fallback_base_urls[0]"));
  EXPECT_THAT(ErrorOf("upstream:\n  failover_probe_interval: 0s\n"),
              StartsWith("upstream.failover_probe_interval: must be more than 0"));
}

TEST(ConfigLoaderErrorTest, BaseUrlWithoutHostQueryOrFragment) {
  EXPECT_THAT(ErrorOf("upstream:\n  base_url: https://\n"),
              StartsWith("upstream.base_url: \"https://\" has no host"));
  EXPECT_THAT(ErrorOf("upstream:\n  base_url: https:///path\n"), HasSubstr("has no host"));
  EXPECT_THAT(ErrorOf("upstream:\n  base_url: https://x/?a=1\n"),
              StartsWith("upstream.base_url: \"https://x/?a=1\" has a query or fragment"));
  EXPECT_THAT(ErrorOf("upstream:\n  base_url: \"https://x/#top\"\n"),
              HasSubstr("has a query or fragment"));
  EXPECT_THAT(ErrorOf("upstream:\n  base_url: https://x:99999\n"),
              HasSubstr("port that is not a number from 1 to 65535"));
}

TEST(ConfigLoaderErrorTest, BaseUrlWithUserInformationIsNotEchoed) {
  std::string message =
      ErrorOf(absl::StrCat("upstream:\n  base_url: https://user:", kSecretInline, "@x\n"));
  EXPECT_THAT(message, StartsWith("upstream.base_url: holds user information"));
}

TEST(ConfigLoaderErrorTest, GrpcListenNotHostPort) {
  for (const char* listen : {"50051", "localhost", "host:0", "host:65536", "host:http", ":50051",
                             "::1:50051", "[::1:50051", "[zz]:1", "a b:1"}) {
    EXPECT_THAT(ErrorOf(absl::StrCat("server:\n  grpc_listen: \"", listen, "\"\n")),
                StartsWith(absl::StrCat("server.grpc_listen: \"", listen, "\" is not host:port")))
        << listen;
  }
}

TEST(ConfigLoaderErrorTest, CaFileUnreadable) {
  std::string missing = absl::StrCat(MakeTempDir(), "/missing.pem");
  EXPECT_THAT(ErrorOf(absl::StrCat("upstream:\n  ca_file: '", missing, "'\n")),
              StartsWith(absl::StrCat("upstream.ca_file: cannot read \"", missing, "\"")));
}

TEST(ConfigLoaderErrorTest, CaFileWithoutCertificate) {
  std::string path = WriteFile(MakeTempDir(), "not.pem", "hello\n");
  EXPECT_THAT(
      ErrorOf(absl::StrCat("upstream:\n  ca_file: '", path, "'\n")),
      StartsWith(absl::StrCat("upstream.ca_file: \"", path, "\" holds no PEM certificate")));
}

TEST(ConfigLoaderErrorTest, TimeoutNotADuration) {
  EXPECT_THAT(ErrorOf("upstream:\n  timeout: 5\n"),
              StartsWith("upstream.timeout: \"5\" is not a duration; write a number and a unit, "
                         "such as \"500ms\", \"5s\" or \"1m\""));
  EXPECT_THAT(ErrorOf("upstream:\n  timeout: soon\n"), HasSubstr("is not a duration"));
  EXPECT_THAT(ErrorOf("upstream:\n  timeout: {seconds: 5}\n"),
              StartsWith("upstream.timeout: expected a duration"));
}

TEST(ConfigLoaderErrorTest, TimeoutNegativeOrZero) {
  EXPECT_THAT(ErrorOf("upstream:\n  timeout: -1s\n"),
              StartsWith("upstream.timeout: \"-1s\" is negative"));
  EXPECT_THAT(ErrorOf("upstream:\n  timeout: 0s\n"),
              StartsWith("upstream.timeout: 0 leaves no time"));
  EXPECT_THAT(ErrorOf("upstream:\n  timeout: inf\n"), HasSubstr("is too long"));
}

TEST(ConfigLoaderErrorTest, ConnectTimeoutZeroAndQueueLimitsOutOfRange) {
  EXPECT_THAT(ErrorOf("upstream:\n  connect_timeout: 0s\n"),
              StartsWith("upstream.connect_timeout: 0 leaves no time to connect"));
  EXPECT_THAT(ErrorOf("upstream:\n  max_queued_calls: 4000000000\n"),
              StartsWith("upstream.max_queued_calls: 4000000000 is more than 1000000"));
  EXPECT_THAT(ErrorOf("upstream:\n  max_concurrent_connects: 2000000\n"),
              StartsWith("upstream.max_concurrent_connects: 2000000 is more than 1000000"));
}

TEST(ConfigLoaderErrorTest, MaxConnectionsOutOfRange) {
  EXPECT_EQ(ErrorOf("upstream:\n  max_connections: -1\n"),
            "upstream.max_connections: \"-1\" is not a whole number from 0 to 4294967295");
  EXPECT_THAT(ErrorOf("upstream:\n  max_connections: 4294967296\n"),
              HasSubstr("is not a whole number from 0 to 4294967295"));
  EXPECT_THAT(ErrorOf("upstream:\n  max_connections: many\n"), HasSubstr("is not a whole number"));
}

TEST(ConfigLoaderErrorTest, TokenApiUnknown) {
  EXPECT_EQ(ErrorOf(OneAccount("    token_api: fast\n")),
            "accounts[0].token_api: \"fast\" is not one of: unspecified, stable, classic");
}

// --- Secrets never leak -------------------------------------------------------

TEST(ConfigLoaderSecretTest, SecretsReadBeforeAnUnrelatedErrorDoNotAppearInIt) {
  std::string dir = MakeTempDir();
  std::string path = WriteFile(dir, "secret", kSecretFile);
  // Both accounts' secrets are read, then default_appid fails validation.
  std::string yaml = absl::StrCat(OneAccount(), "  - appid: ", kAppB, "\n    secret: {file: '",
                                  path, "'}\ndefault_appid: wx00000000000000ff\n");
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(yaml, FakeEnv());
  ASSERT_FALSE(loaded.ok());
  std::string message(loaded.status().message());
  EXPECT_THAT(message, StartsWith("default_appid:"));
  EXPECT_THAT(message, Not(HasSubstr(kSecretFile)));
  EXPECT_THAT(message, Not(HasSubstr(kSecretMain)));
  EXPECT_THAT(loaded.status().ToString(), Not(HasSubstr(kSecretFile)));
}

TEST(ConfigLoaderSecretTest, AFailingSecretDoesNotRevealAnotherOne) {
  // accounts[0] reads its secret; accounts[1]'s variable is empty.
  std::string yaml =
      absl::StrCat(OneAccount(), "  - appid: ", kAppB, "\n    secret: {env: WX_SECRET_B}\n");
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(yaml, FakeEnv({{"WX_SECRET_B", ""}}));
  EXPECT_THAT(ErrorOf(loaded), StartsWith("accounts[1].secret: environment variable WX_SECRET_B"));
}

// --- Files ----------------------------------------------------------------------

TEST(ConfigFileTest, LoadsAFile) {
  std::string path = WriteFile(MakeTempDir(), "wxgate.yaml", OneAccount());
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFile(path, FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.default_appid(), kAppA);
  EXPECT_EQ(loaded->secrets.at(kAppA), kSecretMain);
}

TEST(ConfigFileTest, MissingFileNamesThePath) {
  std::string path = absl::StrCat(MakeTempDir(), "/absent.yaml");
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFile(path, FakeEnv());
  EXPECT_THAT(ErrorOf(loaded), AllOf(HasSubstr(absl::StrCat("cannot read \"", path, "\"")),
                                     HasSubstr("No such file or directory")));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
}

TEST(ConfigFileTest, ContentErrorsStartWithThePath) {
  std::string path = WriteFile(MakeTempDir(), "wxgate.yaml", "upstream:\n  timout: 5s\n");
  EXPECT_THAT(ErrorOf(LoadConfigFile(path, FakeEnv())),
              StartsWith(absl::StrCat(path, ": upstream.timout: unknown key")));
}

}  // namespace
}  // namespace wxgate::config

// --- Callbacks and events -------------------------------------------------

namespace wxgate::config {
namespace {

constexpr char kAesKey[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

std::string WithCallback(const std::string& callback) {
  return OneAccount(absl::StrCat("    callback:\n", callback));
}

absl::StatusOr<LoadedConfig> LoadWithCallbackSecrets(const std::string& yaml) {
  return LoadConfigFromYaml(yaml, FakeEnv({{"WX_CB_TOKEN", "cb-token"}, {"WX_AES", kAesKey}}));
}

TEST(ConfigLoaderCallbackTest, ReadsCallbackSecretsAndAppliesDefaults) {
  absl::StatusOr<LoadedConfig> loaded = LoadWithCallbackSecrets(
      absl::StrCat("server: {callback_listen: \"0.0.0.0:8080\"}\n",
                   WithCallback("      token: {env: WX_CB_TOKEN}\n      mode: safe\n"
                                "      encoding_aes_key: {env: WX_AES}\n")));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& callback = loaded->config.accounts(0).callback();
  EXPECT_EQ(callback.mode(), v1::CALLBACK_MODE_SAFE);
  EXPECT_EQ(callback.reply_window().seconds(), 3);
  EXPECT_EQ(loaded->callback_secrets.at(kAppA).token, "cb-token");
  EXPECT_EQ(loaded->callback_secrets.at(kAppA).encoding_aes_key, kAesKey);
  const auto& events = loaded->config.events();
  EXPECT_EQ(events.retention_count(), 10000u);
  EXPECT_EQ(events.retention_age().seconds(), 24 * 3600);
  EXPECT_EQ(events.max_lag(), 5000u);
  EXPECT_EQ(events.max_push_age().seconds(), 300);
  EXPECT_EQ(events.max_push_ahead().seconds(), 60);
  // max_push_age + max_push_ahead, so that replays are refused either way.
  EXPECT_EQ(events.dedup_window().seconds(), 360);
  EXPECT_EQ(events.group_claim_after().seconds(), 30);
  EXPECT_EQ(events.retention_bytes(), 64u << 20);
  EXPECT_EQ(events.dedup_max_entries(), 200000u);
  EXPECT_EQ(events.dedup_max_bytes(), 16u << 20);
  EXPECT_EQ(events.max_body_bytes(), 1u << 20);
  EXPECT_EQ(events.max_connections(), 1024u);
}

// The memory bounds of retention and dedup are read as written.
TEST(ConfigLoaderCallbackTest, ReadsTheMemoryBoundsOfRetentionAndDedup) {
  absl::StatusOr<LoadedConfig> loaded = LoadWithCallbackSecrets(absl::StrCat(
      "events: {retention_bytes: 1048576, dedup_max_entries: 5000, dedup_max_bytes: 400000}\n",
      OneAccount()));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.events().retention_bytes(), 1048576u);
  EXPECT_EQ(loaded->config.events().dedup_max_entries(), 5000u);
  EXPECT_EQ(loaded->config.events().dedup_max_bytes(), 400000u);
}

// The dedup window follows the freshness limits unless set, and may be longer.
TEST(ConfigLoaderCallbackTest, TheDedupWindowCoversTheFreshnessLimits) {
  absl::StatusOr<LoadedConfig> loaded = LoadWithCallbackSecrets(
      absl::StrCat("events: {max_push_age: 90s, max_push_ahead: 500ms}\n", OneAccount()));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.events().dedup_window().seconds(), 90);
  EXPECT_EQ(loaded->config.events().dedup_window().nanos(), 500000000);
  EXPECT_EQ(loaded->config.events().max_push_ahead().nanos(), 500000000);

  loaded = LoadWithCallbackSecrets(
      absl::StrCat("events: {dedup_window: 1h, max_push_age: 10m}\n", OneAccount()));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.events().dedup_window().seconds(), 3600);
  EXPECT_EQ(loaded->config.events().max_push_ahead().seconds(), 60);
}

TEST(ConfigLoaderCallbackTest, PlainModeNeedsNoKey) {
  absl::StatusOr<LoadedConfig> loaded =
      LoadWithCallbackSecrets(WithCallback("      token: {env: WX_CB_TOKEN}\n"));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.accounts(0).callback().mode(), v1::CALLBACK_MODE_PLAIN);
  EXPECT_EQ(loaded->callback_secrets.at(kAppA).encoding_aes_key, "");
}

TEST(ConfigLoaderCallbackTest, RefusesBadCallbackSections) {
  struct Case {
    std::string yaml;
    std::string error_start;
  };
  const Case cases[] = {
      {WithCallback("      mode: plain\n"), "accounts[0].callback.token: missing"},
      {WithCallback("      token: {env: WX_UNSET}\n"),
       "accounts[0].callback.token: environment variable WX_UNSET is not set"},
      {WithCallback("      token: {env: WX_CB_TOKEN}\n      mode: safe\n"),
       "accounts[0].callback.encoding_aes_key: missing"},
      {WithCallback("      token: {env: WX_CB_TOKEN}\n      mode: compatible\n"),
       "accounts[0].callback.encoding_aes_key: missing"},
      {WithCallback("      token: {env: WX_CB_TOKEN}\n      mode: safe\n"
                    "      encoding_aes_key: {env: WX_SECRET_MAIN}\n"),
       "accounts[0].callback.encoding_aes_key: holds 22 characters"},
      {WithCallback("      token: {env: WX_CB_TOKEN}\n      reply_window: 5s\n"),
       "accounts[0].callback.reply_window: 5s is outside (0, 4.5s]"},
      {WithCallback("      token: {env: WX_CB_TOKEN}\n      reply_window: 0s\n"),
       "accounts[0].callback.reply_window: 0 is outside"},
      {WithCallback("      token: {env: WX_CB_TOKEN}\n      mode: secret\n"),
       "accounts[0].callback.mode:"},
      {absl::StrCat("server: {callback_listen: \"8080\"}\n", OneAccount()),
       "server.callback_listen: \"8080\" is not host:port"},
      {absl::StrCat("server: {admin_listen: \"metrics\"}\n", OneAccount()),
       "server.admin_listen: \"metrics\" is not host:port"},
      {absl::StrCat("server: {health_listen: \"8086\"}\n", OneAccount()),
       "server.health_listen: \"8086\" is not host:port"},
      {absl::StrCat("server: {drain_timeout: 0s}\n", OneAccount()),
       "server.drain_timeout: must be more than 0"},
      {absl::StrCat("events: {dedup_window: 0s}\n", OneAccount()),
       "events.dedup_window: must be more than 0"},
      {absl::StrCat("events: {retention_age: 0s}\n", OneAccount()),
       "events.retention_age: must be more than 0"},
      {absl::StrCat("events: {read_timeout: 0s}\n", OneAccount()),
       "events.read_timeout: must be more than 0"},
      {absl::StrCat("events: {max_lag: -1}\n", OneAccount()), "events.max_lag:"},
      {absl::StrCat("events: {max_push_age: 0s}\n", OneAccount()),
       "events.max_push_age: must be more than 0"},
      {absl::StrCat("events: {max_push_ahead: 0s}\n", OneAccount()),
       "events.max_push_ahead: must be more than 0"},
      {absl::StrCat("events: {group_claim_after: 0s}\n", OneAccount()),
       "events.group_claim_after: must be more than 0"},
      {absl::StrCat("events: {max_push_ahead: -1s}\n", OneAccount()),
       "events.max_push_ahead: \"-1s\" is negative"},
      {absl::StrCat("events: {max_push_age: soon}\n", OneAccount()), "events.max_push_age:"},
      {absl::StrCat("events: {dedup_window: 5m}\n", OneAccount()),
       "events.dedup_window: 5m is shorter than events.max_push_age + events.max_push_ahead "
       "(6m): a replayed push could be forgotten before it is too old. Set it to at least 6m"},
      {absl::StrCat("events: {dedup_window: 10m, max_push_age: 10m}\n", OneAccount()),
       "events.dedup_window: 10m is shorter than events.max_push_age + events.max_push_ahead "
       "(11m)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<LoadedConfig> loaded = LoadWithCallbackSecrets(c.yaml);
    EXPECT_THAT(ErrorOf(loaded), StartsWith(c.error_start)) << c.yaml;
  }
}

TEST(ConfigLoaderCallbackTest, TheAesKeyNeverAppearsInAnError) {
  // 43 characters, one of them not base64: refused without echoing the key.
  const std::string bad_key = std::string(42, 'k') + "!";
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      WithCallback("      token: {env: T}\n      mode: safe\n      encoding_aes_key: {env: K}\n"),
      FakeEnv({{"T", "t"}, {"K", bad_key}}));
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(std::string(loaded.status().message()), Not(HasSubstr(bad_key)));
}

}  // namespace
}  // namespace wxgate::config

// --- Access ---------------------------------------------------------------

namespace wxgate::config {
namespace {

constexpr char kKeyHash[] = "9027AFD51B2CC5C65A1D95EF344E5293B5521ABC3F20DA288ACAACF84B3CA999";

std::string WithAccess(const std::string& access) {
  return absl::StrCat(OneAccount(), "access:\n", access);
}

std::string Caller(const std::string& name, const std::string& hash, const std::string& appid,
                   const std::string& method) {
  return absl::StrCat("    - name: ", name, "\n      api_key_sha256: [\"", hash,
                      "\"]\n      policy: {appids: [\"", appid, "\"], methods: [\"", method,
                      "\"]}\n");
}

TEST(ConfigLoaderAccessTest, CallersLoadWithTheirHashesLowercased) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      WithAccess(absl::StrCat("  callers:\n", Caller("shop", kKeyHash, kAppA, "wechat.mp.v1.*"))),
      FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.access().callers(0).api_key_sha256(0), absl::AsciiStrToLower(kKeyHash));
  EXPECT_FALSE(loaded->config.access().has_anonymous());
}

TEST(ConfigLoaderAccessTest, TheEmbeddedDefaultIsOpenForDevelopmentOnly) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(EmbeddedDefaultYaml(), FakeEnv());
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->config.access().has_anonymous());
  EXPECT_EQ(loaded->config.server().grpc_listen(), "127.0.0.1:50051");  // loopback only
}

TEST(ConfigLoaderAccessTest, RefusesBadAccessRules) {
  const std::string pasted_key = "my-secret-api-key-pasted-by-mistake";
  struct Case {
    std::string access;
    std::string error_start;
  };
  const Case cases[] = {
      {absl::StrCat("  callers:\n", Caller("", kKeyHash, kAppA, "*")),
       "access.callers[0].name: missing"},
      {absl::StrCat("  callers:\n", Caller("a", kKeyHash, kAppA, "*"),
                    Caller("a", std::string(64, 'b'), kAppA, "*")),
       "access.callers[1].name: \"a\" is already used by access.callers[0]"},
      {"  callers:\n    - name: a\n      policy: {appids: [\"*\"], methods: [\"*\"]}\n",
       "access.callers[0].api_key_sha256: missing"},
      {absl::StrCat("  callers:\n", Caller("a", pasted_key, kAppA, "*")),
       "access.callers[0].api_key_sha256[0]: is not 64 hexadecimal digits"},
      {absl::StrCat("  callers:\n", Caller("a", kKeyHash, kAppA, "*"),
                    Caller("b", absl::AsciiStrToLower(kKeyHash), kAppA, "*")),
       "access.callers[1].api_key_sha256[0]: the same key is also access.callers[0]"},
      {absl::StrCat("  callers:\n", Caller("a", kKeyHash, "wx9999999999999999", "*")),
       "access.callers[0].policy.appids[0]: \"wx9999999999999999\" is not a configured account"},
      {absl::StrCat("  callers:\n", Caller("a", kKeyHash, kAppA, "wechat.mp.v1.User*")),
       "access.callers[0].policy.methods[0]: \"wechat.mp.v1.User*\" is not a method pattern"},
      {"  anonymous: {appids: [\"*\"], methods: [\"wechat mp\"]}\n",
       "access.anonymous.methods[0]: \"wechat mp\" is not a method pattern"},
      {absl::StrCat("  callers:\n", Caller("a", kKeyHash, kAppA, "*"),
                    "      rate_limit: {per_second: 0}\n"),
       "access.callers[0].rate_limit.per_second: must be more than 0"},
      {absl::StrCat("  callers:\n", Caller("a", kKeyHash, kAppA, "*"),
                    "      rate_limit: {per_second: -5}\n"),
       "access.callers[0].rate_limit.per_second: must be more than 0"},
  };
  for (const Case& c : cases) {
    const std::string message = ErrorOf(LoadConfigFromYaml(WithAccess(c.access), FakeEnv()));
    EXPECT_THAT(message, StartsWith(c.error_start)) << c.access;
    EXPECT_THAT(message, Not(HasSubstr(pasted_key)));
  }
}

}  // namespace
}  // namespace wxgate::config

namespace wxgate::config {
namespace {

// The fake WeChat's test certificates (target test_certs): a CA, a server pair,
// and a certificate from another CA whose key does not match server.key.
const std::string kCerts = WXGATE_TEST_CERT_DIR;

std::string Tls(const std::string& fields) {
  return absl::StrCat(OneAccount(), "server:\n  grpc_listen: \"0.0.0.0:50051\"\n  tls:\n", fields);
}

std::string ServerPair() {
  return absl::StrCat("    cert_file: ", kCerts, "/server.pem\n    key_file: ", kCerts,
                      "/server.key\n");
}

TEST(ConfigLoaderTlsTest, PlaintextIsRefusedOffLoopbackUnlessExplicit) {
  for (const char* listen :
       {"127.0.0.1:50051", "127.8.9.10:1", "localhost:50051", "LOCALHOST:5", "[::1]:50051"}) {
    absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
        absl::StrCat(OneAccount(), "server:\n  grpc_listen: \"", listen, "\"\n"), FakeEnv());
    EXPECT_TRUE(loaded.ok()) << listen << ": " << loaded.status();
  }
  for (const char* listen : {"0.0.0.0:50051", "[::]:50051", "10.0.0.7:50051", "128.0.0.1:1",
                             "wxgate.svc:50051", "[::ffff:10.0.0.1]:1"}) {
    EXPECT_THAT(ErrorOf(absl::StrCat(OneAccount(), "server:\n  grpc_listen: \"", listen, "\"\n")),
                AllOf(StartsWith(absl::StrCat("server.grpc_listen: \"", listen,
                                              "\" is not a loopback address")),
                      HasSubstr("server.tls"), HasSubstr("server.plaintext: true")))
        << listen;
  }
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      absl::StrCat(OneAccount(), "server:\n  grpc_listen: \"0.0.0.0:50051\"\n  plaintext: true\n"),
      FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->config.server().plaintext());
}

TEST(ConfigLoaderTlsTest, TlsLoadsWithItsDefaults) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(Tls(ServerPair()), FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.server().tls().client_certificates(), v1::CLIENT_CERTIFICATES_NONE);
  EXPECT_TRUE(loaded->config.server().reflection());
  EXPECT_EQ(loaded->config.events().max_subscriptions_per_caller(),
            kDefaultMaxSubscriptionsPerCaller);

  loaded = LoadConfigFromYaml(
      Tls(absl::StrCat(ServerPair(), "    client_ca_file: ", kCerts, "/ca.pem\n")), FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.server().tls().client_certificates(), v1::CLIENT_CERTIFICATES_REQUIRE);

  loaded = LoadConfigFromYaml(Tls(absl::StrCat(ServerPair(), "    client_ca_file: ", kCerts,
                                               "/ca.pem\n    client_certificates: request\n")),
                              FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.server().tls().client_certificates(), v1::CLIENT_CERTIFICATES_REQUEST);
}

TEST(ConfigLoaderTlsTest, RefusesBadTlsSections) {
  const std::string dir = MakeTempDir();
  const std::string not_pem = WriteFile(dir, "not.pem", "hello\n");
  const std::string missing = absl::StrCat(dir, "/missing.pem");
  const std::string server_pem = absl::StrCat(kCerts, "/server.pem");
  const std::string server_key = absl::StrCat(kCerts, "/server.key");
  struct Case {
    std::string tls;
    std::string error_start;
  };
  const Case cases[] = {
      {absl::StrCat("    key_file: ", server_key, "\n"), "server.tls.cert_file: missing"},
      {absl::StrCat("    cert_file: ", server_pem, "\n"), "server.tls.key_file: missing"},
      {absl::StrCat("    cert_file: ", missing, "\n    key_file: ", server_key, "\n"),
       absl::StrCat("server.tls.cert_file: cannot read \"", missing, "\"")},
      {absl::StrCat("    cert_file: ", server_pem, "\n    key_file: ", missing, "\n"),
       absl::StrCat("server.tls.key_file: cannot read \"", missing, "\"")},
      {absl::StrCat("    cert_file: ", not_pem, "\n    key_file: ", server_key, "\n"),
       absl::StrCat("server.tls.cert_file: \"", not_pem, "\" is not PEM")},
      {absl::StrCat("    cert_file: ", server_pem, "\n    key_file: ", server_pem, "\n"),
       "server.tls.key_file: "},
      {absl::StrCat("    cert_file: ", kCerts, "/untrusted_server.pem\n    key_file: ", server_key,
                    "\n"),
       absl::StrCat("server.tls.key_file: \"", server_key, "\" is not the private key of")},
      {absl::StrCat(ServerPair(), "    client_ca_file: ", missing, "\n"),
       absl::StrCat("server.tls.client_ca_file: cannot read \"", missing, "\"")},
      {absl::StrCat(ServerPair(), "    client_ca_file: ", server_key, "\n"),
       "server.tls.client_ca_file: "},
      {absl::StrCat(ServerPair(), "    client_certificates: require\n"),
       "server.tls.client_ca_file: missing"},
      {absl::StrCat(ServerPair(), "    client_certificates: request\n"),
       "server.tls.client_ca_file: missing"},
      {absl::StrCat(ServerPair(), "    client_ca_file: ", kCerts,
                    "/ca.pem\n    client_certificates: none\n"),
       "server.tls.client_certificates: none never asks"},
      {absl::StrCat(ServerPair(), "    client_certificates: always\n"),
       "server.tls.client_certificates: "},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ErrorOf(Tls(c.tls)), StartsWith(c.error_start)) << c.tls;
  }
  // The enum names its choices; plaintext and tls together are a contradiction.
  EXPECT_THAT(ErrorOf(Tls(absl::StrCat(ServerPair(), "    client_certificates: always\n"))),
              AllOf(HasSubstr("none"), HasSubstr("request"), HasSubstr("require")));
  EXPECT_THAT(ErrorOf(absl::StrCat(Tls(ServerPair()), "  plaintext: true\n")),
              StartsWith("server.plaintext: true contradicts server.tls"));
}

TEST(ConfigLoaderTlsTest, KeysNeverAppearInErrors) {
  std::string key_text;
  {
    absl::StatusOr<LoadedConfig> ignored = LoadConfigFromYaml(Tls(ServerPair()), FakeEnv());
    ASSERT_TRUE(ignored.ok());
  }
  std::ifstream in(absl::StrCat(kCerts, "/server.key"));
  key_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  ASSERT_FALSE(key_text.empty());
  const std::string body = key_text.substr(key_text.find('\n') + 1, 40);
  // The key given where the certificate belongs.
  std::string message = ErrorOf(Tls(absl::StrCat(
      "    cert_file: ", kCerts, "/server.key\n    key_file: ", kCerts, "/server.key\n")));
  EXPECT_THAT(message, StartsWith("server.tls.cert_file: "));
  EXPECT_THAT(message, Not(HasSubstr(body)));
}

TEST(ConfigLoaderAccessTest, CallersMayBeKnownByCertificateIdentitiesAlone) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      WithAccess("  identity_header: X-Forwarded-Client-Cert\n  callers:\n    - name: shop\n"
                 "      tls_identities: [\"spiffe://test/shop\", shop.internal]\n"
                 "      policy: {appids: [\"*\"], methods: [\"*\"]}\n"),
      FakeEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.access().identity_header(), "x-forwarded-client-cert");
  EXPECT_EQ(loaded->config.access().callers(0).tls_identities_size(), 2);
}

TEST(ConfigLoaderAccessTest, RefusesBadIdentities) {
  const std::string policy = "      policy: {appids: [\"*\"], methods: [\"*\"]}\n";
  struct Case {
    std::string access;
    std::string error_start;
  };
  const Case cases[] = {
      {absl::StrCat("  callers:\n    - name: a\n      tls_identities: [\"\"]\n", policy),
       "access.callers[0].tls_identities[0]: is empty or holds whitespace"},
      {absl::StrCat("  callers:\n    - name: a\n      tls_identities: [\"spiffe://x y\"]\n",
                    policy),
       "access.callers[0].tls_identities[0]: is empty or holds whitespace"},
      {absl::StrCat("  callers:\n    - name: a\n      tls_identities: [\"spiffe://t/a\"]\n", policy,
                    "    - name: b\n      tls_identities: [b, \"spiffe://t/a\"]\n", policy),
       "access.callers[1].tls_identities[1]: \"spiffe://t/a\" is also "
       "access.callers[0].tls_identities[0]"},
      {"  identity_header: \"x client\"\n", "access.identity_header: \"x client\" is not a header"},
      {"  identity_header: x-client-bin\n", "access.identity_header: \"x-client-bin\" is not a"},
      {"  identity_header: Authorization\n",
       "access.identity_header: \"authorization\" already means something else"},
      {"  identity_header: x-wx-appid\n", "access.identity_header: \"x-wx-appid\" already"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ErrorOf(WithAccess(c.access)), StartsWith(c.error_start)) << c.access;
  }
}

}  // namespace
}  // namespace wxgate::config

// --- Shared store -----------------------------------------------------------

namespace wxgate::config {
namespace {

TEST(ConfigLoaderStoreTest, RedisGetsItsDefaultsAndPassword) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      absl::StrCat("store:\n  redis: {address: \"redis.svc:6379\", password: {env: WX_REDIS}}\n",
                   OneAccount()),
      FakeEnv({{"WX_REDIS", "redis-pass"}}));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const v1::Redis& redis = loaded->config.store().redis();
  EXPECT_EQ(redis.key_prefix(), "wxgate:");
  EXPECT_EQ(redis.connect_timeout().seconds(), 1);
  EXPECT_EQ(redis.command_timeout().seconds(), 1);
  EXPECT_EQ(redis.db(), 0u);
  EXPECT_EQ(loaded->redis_password, "redis-pass");
  EXPECT_THAT(loaded->config.DebugString(), Not(HasSubstr("redis-pass")));
}

TEST(ConfigLoaderStoreTest, WithoutAStoreNothingIsShared) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(OneAccount(), FakeEnv());
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->config.store().has_redis());
}

TEST(ConfigLoaderStoreTest, RefusesBadRedisSections) {
  struct Case {
    std::string store;
    std::string error_start;
  };
  const Case cases[] = {
      {"store: {redis: {db: 1}}\n", "store.redis.address: missing"},
      {"store: {redis: {address: \"redis.svc\"}}\n",
       "store.redis.address: \"redis.svc\" is not host:port"},
      {"store: {redis: {address: \"redis:99999\"}}\n", "store.redis.address:"},
      {"store: {redis: {address: \"redis:6379\", command_timeout: 0s}}\n",
       "store.redis.command_timeout: must be more than 0"},
      {"store: {redis: {address: \"redis:6379\", connect_timeout: -1s}}\n",
       "store.redis.connect_timeout: \"-1s\" is negative"},
      {"store: {redis: {address: \"redis:6379\", password: {env: WX_UNSET}}}\n",
       "store.redis.password: environment variable WX_UNSET is not set"},
      {"store: {redis: {address: \"redis:6379\"}}\ntokens: {state_file: /tmp/t.json}\n",
       "tokens.state_file: is not used with store.redis"},
      {"store: {redis: {address: \"redis:6379\", pasword: {env: X}}}\n",
       "store.redis.pasword: unknown key (known keys: address, password, db,"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ErrorOf(absl::StrCat(c.store, OneAccount())), StartsWith(c.error_start)) << c.store;
  }
}

}  // namespace
}  // namespace wxgate::config

namespace wxgate::config {
namespace {

// --- Third-party platforms (components) --------------------------------------

constexpr char kComponentAppid[] = "wx1111111111111111";
constexpr char kComponentKey[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

// One component whose secrets come from C_SECRET, C_TOKEN and C_KEY, with `extra`
// appended inside its entry; `appid` replaces its component_appid.
std::string OneComponent(const std::string& extra = "",
                         const std::string& appid = kComponentAppid) {
  return absl::StrCat("components:\n  - component_appid: ", appid,
                      "\n    secret: {env: C_SECRET}\n    token: {env: C_TOKEN}\n"
                      "    encoding_aes_key: {env: C_KEY}\n",
                      extra);
}

EnvLookup ComponentEnv(const std::string& key = kComponentKey) {
  return FakeEnv({{"C_SECRET", kSecretInline}, {"C_TOKEN", "tok"}, {"C_KEY", key}});
}

TEST(ConfigLoaderTest, ComponentLoadsWithItsSecrets) {
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(
      absl::StrCat(OneAccount(), OneComponent("    name: platform\n", "wx1111111111111AAA")),
      ComponentEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->config.components_size(), 1);
  EXPECT_EQ(loaded->config.components(0).component_appid(), "wx1111111111111aaa");
  EXPECT_EQ(loaded->config.components(0).name(), "platform");
  const ComponentSecrets& secrets = loaded->component_secrets.at("wx1111111111111aaa");
  EXPECT_EQ(secrets.secret, kSecretInline);
  EXPECT_EQ(secrets.token, "tok");
  EXPECT_EQ(secrets.encoding_aes_key, kComponentKey);
  EXPECT_THAT(loaded->config.DebugString(), Not(HasSubstr(kSecretInline)));
  // The default account stays the only account: a component is not one.
  EXPECT_EQ(loaded->config.default_appid(), kAppA);
}

TEST(ConfigLoaderTest, MaxAuthorizersDefaultsAndIsKept) {
  absl::StatusOr<LoadedConfig> loaded =
      LoadConfigFromYaml(absl::StrCat(OneAccount(), OneComponent()), ComponentEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.components(0).max_authorizers(), kDefaultMaxAuthorizers);
  loaded = LoadConfigFromYaml(absl::StrCat(OneAccount(), OneComponent("    max_authorizers: 5\n")),
                              ComponentEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config.components(0).max_authorizers(), 5u);
}

TEST(ConfigLoaderTest, PolicyMayNameAComponent) {
  const std::string yaml =
      absl::StrCat(OneAccount(), OneComponent(), "access:\n  anonymous: {appids: [\"",
                   kComponentAppid, "\"], methods: [\"*\"]}\n");
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(yaml, ComponentEnv());
  EXPECT_TRUE(loaded.ok()) << loaded.status();
}

TEST(ConfigLoaderErrorTest, RefusesBadComponents) {
  struct Case {
    std::string yaml;
    std::string error_start;
  };
  const Case cases[] = {
      {"components:\n  - secret: {env: C_SECRET}\n", "components[0].component_appid: missing"},
      {OneComponent("", "wx12"), "components[0].component_appid: \"wx12\" is not an appid"},
      {absl::StrCat(OneComponent(), "  - component_appid: wx1111111111111111\n"),
       "components[1].component_appid: \"wx1111111111111111\" is already configured by "
       "components[0]"},
      {absl::StrCat(OneAccount(), OneComponent("", kAppA)),
       absl::StrCat("components[0].component_appid: \"", kAppA,
                    "\" is also configured under accounts")},
      {absl::StrCat("components:\n  - component_appid: ", kComponentAppid,
                    "\n    token: {env: C_TOKEN}\n    encoding_aes_key: {env: C_KEY}\n"),
       "components[0].secret: missing"},
      {absl::StrCat("components:\n  - component_appid: ", kComponentAppid,
                    "\n    secret: {env: C_SECRET}\n    encoding_aes_key: {env: C_KEY}\n"),
       "components[0].token: missing"},
      {absl::StrCat("components:\n  - component_appid: ", kComponentAppid,
                    "\n    secret: {env: C_SECRET}\n    token: {env: C_TOKEN}\n"),
       "components[0].encoding_aes_key: missing"},
      {absl::StrCat("components:\n  - component_appid: ", kComponentAppid,
                    "\n    secret: {env: C_UNSET}\n    token: {env: C_TOKEN}\n"
                    "    encoding_aes_key: {env: C_KEY}\n"),
       "components[0].secret: "},
      {OneComponent("    mode: safe\n"),
       "components[0].mode: unknown key (known keys: "
       "component_appid, secret, token, encoding_aes_key, "
       "name, max_authorizers)"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ErrorOf(LoadConfigFromYaml(c.yaml, ComponentEnv())), StartsWith(c.error_start))
        << c.yaml;
  }
  // A key of the wrong length is named by its length, never shown.
  const std::string message =
      ErrorOf(LoadConfigFromYaml(OneComponent(), ComponentEnv("tooShortKey")));
  EXPECT_THAT(message, StartsWith("components[0].encoding_aes_key: holds 11 characters"));
  EXPECT_THAT(message, Not(HasSubstr("tooShortKey")));
}

}  // namespace
}  // namespace wxgate::config
