#include "service/config/config_loader.h"

#include <arpa/inet.h>

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/caller_authorizer.h"
#include "service/config/read_file.h"
#include "service/config/server_tls.h"
#include "service/config/yaml_to_proto.h"
#include "service/token/appid.h"

namespace wxgate::config {
namespace {

// A CA bundle larger than this is not a CA bundle.
constexpr std::size_t kMaxCaFileBytes = 16 * 1024 * 1024;

constexpr std::string_view kEmbeddedDefault =
    R"yaml(# wxgate's embedded default configuration: what the gateway runs on when it is
# given no configuration file. It serves no WeChat account until one is configured.
server:
  grpc_listen: "127.0.0.1:50051"
upstream:
  base_url: "https://api.weixin.qq.com"
  timeout: 5s
  max_connections: 256
accounts: []
# Development only: calls need no API key. Configure access.callers instead.
access:
  anonymous: {appids: ["*"], methods: ["*"]}
)yaml";

absl::Status Invalid(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// Prefixes a status's message, keeping its code.
absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(prefix, ": ", status.message()));
}

bool IsHostNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

bool IsIpv6Char(char c) {
  return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
}

// Checks "host", "host:port", "[v6]" or "[v6]:port". Returns the reason it is
// not, or an empty string when it is.
std::string HostPortProblem(absl::string_view authority, bool port_required) {
  absl::string_view host = authority;
  absl::string_view port;
  bool has_port = false;
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return "has \"[\" without \"]\" around an IPv6 address";
    host = authority.substr(1, close - 1);
    absl::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "has text after \"]\" that is not \":port\"";
      port = rest.substr(1);
      has_port = true;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsIpv6Char)) {
      return "has no valid IPv6 address between \"[\" and \"]\"";
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != absl::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
      if (absl::StrContains(host, ':')) return "has an IPv6 address not in brackets";
    }
    if (host.empty()) return "has no host";
    if (!std::all_of(host.begin(), host.end(), IsHostNameChar)) {
      return "has a host with characters other than letters, digits, \".\", \"-\" and \"_\"";
    }
  }
  if (!has_port) return port_required ? "has no port" : "";
  uint32_t number;
  if (port.empty() || !std::all_of(port.begin(), port.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return "has a port that is not a number from 1 to 65535";
  }
  return "";
}

absl::Status ValidateListen(absl::string_view path, const std::string& listen,
                            absl::string_view port) {
  if (listen.empty()) return absl::OkStatus();
  std::string problem = HostPortProblem(listen, /*port_required=*/true);
  if (problem.empty()) return absl::OkStatus();
  return Invalid(path, absl::StrCat("\"", listen, "\" is not host:port (it ", problem,
                                    "); write e.g. \"127.0.0.1:", port, "\", \"0.0.0.0:", port,
                                    "\" or \"[::]:", port, "\""));
}

// The host of a valid "host:port" or "[v6]:port".
absl::string_view HostOf(absl::string_view listen) {
  if (absl::StartsWith(listen, "[")) return listen.substr(1, listen.find(']') - 1);
  return listen.substr(0, listen.rfind(':'));
}

// 127.0.0.0/8, ::1 and localhost: only this machine can connect.
bool IsLoopbackHost(absl::string_view host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

absl::Status ValidateServerTls(const v1::Server& server) {
  const v1::ServerTls& tls = server.tls();
  if (server.plaintext()) {
    return Invalid("server.plaintext",
                   "true contradicts server.tls; remove one of them (plaintext only behind a "
                   "mesh sidecar that terminates mTLS)");
  }
  absl::StatusOr<ServerTlsFiles> files = ReadServerTls(tls);
  if (!files.ok()) return files.status();
  const bool asks_for_certificates = tls.client_certificates() == v1::CLIENT_CERTIFICATES_REQUEST ||
                                     tls.client_certificates() == v1::CLIENT_CERTIFICATES_REQUIRE;
  if (asks_for_certificates && tls.client_ca_file().empty()) {
    return Invalid("server.tls.client_ca_file",
                   "missing; client_certificates request and require verify client "
                   "certificates against it: give the PEM file of the client CA certificates");
  }
  if (tls.client_certificates() == v1::CLIENT_CERTIFICATES_NONE && !tls.client_ca_file().empty()) {
    return Invalid("server.tls.client_certificates",
                   "none never asks for the client certificates that client_ca_file would "
                   "verify; choose request or require, or remove client_ca_file");
  }
  return absl::OkStatus();
}

bool IsPositive(const google::protobuf::Duration& duration) {
  return duration.seconds() > 0 || (duration.seconds() == 0 && duration.nanos() > 0);
}

absl::Status ValidatePositive(absl::string_view path, bool is_set,
                              const google::protobuf::Duration& duration) {
  if (!is_set || IsPositive(duration)) return absl::OkStatus();
  return Invalid(path, "must be more than 0; leave it out for the default");
}

absl::Status ValidateServer(const v1::Server& server) {
  if (absl::Status status = ValidateListen("server.grpc_listen", server.grpc_listen(), "50051");
      !status.ok()) {
    return status;
  }
  if (absl::Status status =
          ValidateListen("server.callback_listen", server.callback_listen(), "8080");
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateListen("server.health_listen", server.health_listen(), "8086");
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateListen("server.admin_listen", server.admin_listen(), "9901");
      !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidatePositive("server.drain_timeout", server.has_drain_timeout(),
                                             server.drain_timeout());
      !status.ok()) {
    return status;
  }
  if (server.has_tls()) return ValidateServerTls(server);
  const std::string listen =
      server.grpc_listen().empty() ? std::string(kDefaultGrpcListen) : server.grpc_listen();
  if (!server.plaintext() && !IsLoopbackHost(HostOf(listen))) {
    return Invalid("server.grpc_listen",
                   absl::StrCat("\"", listen,
                                "\" is not a loopback address, and the gRPC listener has no TLS: "
                                "callers' API keys would cross the network in clear. Configure "
                                "server.tls, or set server.plaintext: true if a mesh sidecar "
                                "terminates mTLS for the gateway (or for development)"));
  }
  return absl::OkStatus();
}

// The shortest dedup window that closes replays: see PushFreshness.
absl::Duration MinDedupWindow(const v1::Events& events) {
  return (events.has_max_push_age() ? ToDuration(events.max_push_age()) : kDefaultMaxPushAge) +
         (events.has_max_push_ahead() ? ToDuration(events.max_push_ahead()) : kDefaultMaxPushAhead);
}

absl::Status ValidateEvents(const v1::Events& events) {
  for (auto [path, is_set, duration] :
       {std::make_tuple("events.retention_age", events.has_retention_age(),
                        &events.retention_age()),
        std::make_tuple("events.dedup_window", events.has_dedup_window(), &events.dedup_window()),
        std::make_tuple("events.read_timeout", events.has_read_timeout(), &events.read_timeout()),
        std::make_tuple("events.max_push_age", events.has_max_push_age(), &events.max_push_age()),
        std::make_tuple("events.max_push_ahead", events.has_max_push_ahead(),
                        &events.max_push_ahead()),
        std::make_tuple("events.group_claim_after", events.has_group_claim_after(),
                        &events.group_claim_after())}) {
    if (absl::Status status = ValidatePositive(path, is_set, *duration); !status.ok())
      return status;
  }
  if (events.has_dedup_window() && ToDuration(events.dedup_window()) < MinDedupWindow(events)) {
    const std::string minimum = absl::FormatDuration(MinDedupWindow(events));
    return Invalid(
        "events.dedup_window",
        absl::StrCat(absl::FormatDuration(ToDuration(events.dedup_window())),
                     " is shorter than events.max_push_age + events.max_push_ahead (", minimum,
                     "): a replayed push could be forgotten before it is too old. "
                     "Set it to at least ",
                     minimum, " or leave it out"));
  }
  return absl::OkStatus();
}

absl::Status ValidateStore(LoadedConfig& loaded, const EnvLookup& env) {
  const v1::Config& config = loaded.config;
  if (!config.store().has_redis()) return absl::OkStatus();
  const v1::Redis& redis = config.store().redis();
  if (redis.address().empty()) {
    return Invalid("store.redis.address", "missing; write host:port, e.g. \"127.0.0.1:6379\"");
  }
  if (std::string problem = HostPortProblem(redis.address(), /*port_required=*/true);
      !problem.empty()) {
    return Invalid("store.redis.address",
                   absl::StrCat("\"", redis.address(), "\" is not host:port (it ", problem,
                                "); write e.g. \"127.0.0.1:6379\""));
  }
  for (auto [path, is_set, duration] :
       {std::make_tuple("store.redis.connect_timeout", redis.has_connect_timeout(),
                        &redis.connect_timeout()),
        std::make_tuple("store.redis.command_timeout", redis.has_command_timeout(),
                        &redis.command_timeout())}) {
    if (absl::Status status = ValidatePositive(path, is_set, *duration); !status.ok()) {
      return status;
    }
  }
  if (!config.tokens().state_file().empty()) {
    return Invalid("tokens.state_file",
                   "is not used with store.redis, which keeps the tokens for every replica; "
                   "remove one of them");
  }
  if (redis.has_password()) {
    absl::StatusOr<std::string> password =
        ReadSecret(redis.password(), "store.redis.password", env);
    if (!password.ok()) return password.status();
    loaded.redis_password = *std::move(password);
  }
  return absl::OkStatus();
}

bool IsEncodingAesKey(absl::string_view key) {
  return key.size() == 43 && std::all_of(key.begin(), key.end(), [](char c) {
           return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
         });
}

// Validates an account's callback section and reads its secrets.
absl::StatusOr<CallbackSecrets> LoadCallback(const v1::Callback& callback, const std::string& path,
                                             const EnvLookup& env) {
  CallbackSecrets secrets;
  if (!callback.has_token()) {
    return Invalid(absl::StrCat(path, ".token"),
                   "missing; give the Token of the account's server configuration (服务器配置) "
                   "from env or file");
  }
  absl::StatusOr<std::string> token = ReadSecret(callback.token(), path + ".token", env);
  if (!token.ok()) return token.status();
  secrets.token = *std::move(token);
  const bool encrypted =
      callback.mode() == v1::CALLBACK_MODE_COMPATIBLE || callback.mode() == v1::CALLBACK_MODE_SAFE;
  const std::string key_path = path + ".encoding_aes_key";
  if (encrypted && !callback.has_encoding_aes_key()) {
    return Invalid(key_path, "missing; compatible and safe mode need the EncodingAESKey");
  }
  if (callback.has_encoding_aes_key()) {
    absl::StatusOr<std::string> key = ReadSecret(callback.encoding_aes_key(), key_path, env);
    if (!key.ok()) return key.status();
    if (!IsEncodingAesKey(*key)) {
      // The value is a secret: say what is wrong with it, never what it is.
      return Invalid(key_path, absl::StrCat("holds ", key->size(),
                                            " characters; an EncodingAESKey is 43 letters, "
                                            "digits, '+' or '/'"));
    }
    secrets.encoding_aes_key = *std::move(key);
  }
  if (callback.has_reply_window()) {
    const absl::Duration window = ToDuration(callback.reply_window());
    if (window <= absl::ZeroDuration() || window > kMaxReplyWindow) {
      return Invalid(path + ".reply_window",
                     absl::StrCat(absl::FormatDuration(window),
                                  " is outside (0, 4.5s]: WeChat waits 5s for an answer"));
    }
  }
  return secrets;
}

// Validates upstream.base_url and returns it normalized (lowercase scheme, no
// trailing slash).
absl::StatusOr<std::string> NormalizeBaseUrl(absl::string_view url, absl::string_view kPath) {
  constexpr absl::string_view kExample = "e.g. \"https://api.weixin.qq.com\"";
  // Checked first, and the URL not echoed: user information may hold a password.
  if (absl::StrContains(url, '@')) {
    return Invalid(kPath, "holds user information (\"user@\" or \"user:password@\"); remove it");
  }
  absl::string_view scheme;
  for (absl::string_view candidate : {"https://", "http://"}) {
    if (absl::StartsWithIgnoreCase(url, candidate)) scheme = candidate;
  }
  if (scheme.empty()) {
    return Invalid(
        kPath, absl::StrCat("\"", url, "\" is not an https:// or http:// URL; write ", kExample));
  }
  absl::string_view rest = url.substr(scheme.size());
  if (std::any_of(rest.begin(), rest.end(),
                  [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); })) {
    return Invalid(kPath, absl::StrCat("\"", url, "\" contains whitespace"));
  }
  if (absl::StrContains(rest, '?') || absl::StrContains(rest, '#')) {
    return Invalid(
        kPath,
        absl::StrCat("\"", url, "\" has a query or fragment; give the base URL only, ", kExample));
  }
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  absl::string_view path = slash == absl::string_view::npos ? "" : rest.substr(slash);
  if (authority.empty()) {
    return Invalid(kPath, absl::StrCat("\"", url, "\" has no host; write ", kExample));
  }
  std::string problem = HostPortProblem(authority, /*port_required=*/false);
  if (!problem.empty()) {
    return Invalid(kPath, absl::StrCat("\"", url, "\" ", problem, "; write ", kExample));
  }
  while (absl::EndsWith(path, "/")) path.remove_suffix(1);
  return absl::StrCat(scheme, authority, path);
}

absl::Status ValidateUpstream(v1::Upstream& upstream) {
  if (!upstream.base_url().empty()) {
    absl::StatusOr<std::string> base_url =
        NormalizeBaseUrl(upstream.base_url(), "upstream.base_url");
    if (!base_url.ok()) return base_url.status();
    upstream.set_base_url(*std::move(base_url));
  }
  // Host names are not case-sensitive; the default base URL counts when none is set.
  absl::flat_hash_map<std::string, std::string> path_of_url;
  const std::string primary =
      upstream.base_url().empty() ? std::string(kDefaultBaseUrl) : upstream.base_url();
  path_of_url[absl::AsciiStrToLower(primary)] = "upstream.base_url";
  for (int i = 0; i < upstream.fallback_base_urls_size(); ++i) {
    const std::string path = absl::StrCat("upstream.fallback_base_urls[", i, "]");
    absl::StatusOr<std::string> base_url = NormalizeBaseUrl(upstream.fallback_base_urls(i), path);
    if (!base_url.ok()) return base_url.status();
    // A domain listed twice would be tried twice by a read and never be a fallback.
    auto [earlier, added] = path_of_url.emplace(absl::AsciiStrToLower(*base_url), path);
    if (!added) {
      return Invalid(path, absl::StrCat("\"", *base_url, "\" is already ", earlier->second,
                                        "; list each domain once"));
    }
    *upstream.mutable_fallback_base_urls(i) = *std::move(base_url);
  }
  if (upstream.has_failover_probe_interval() &&
      ToDuration(upstream.failover_probe_interval()) <= absl::ZeroDuration()) {
    return Invalid("upstream.failover_probe_interval",
                   absl::StrCat("must be more than 0, such as \"10s\", or left out for the "
                                "default (",
                                kDefaultFailoverProbeIntervalSeconds, "s)"));
  }
  for (auto& [host, url] : *upstream.mutable_host_base_urls()) {
    const std::string path = absl::StrCat("upstream.host_base_urls.", host);
    std::string problem = HostPortProblem(host, /*port_required=*/false);
    if (host.empty() || absl::StrContains(host, ':') || !problem.empty()) {
      return Invalid("upstream.host_base_urls", absl::StrCat("\"", host,
                                                             "\" is not a host name; write e.g. "
                                                             "\"mp.weixin.qq.com\""));
    }
    absl::StatusOr<std::string> base_url = NormalizeBaseUrl(url, path);
    if (!base_url.ok()) return base_url.status();
    url = *std::move(base_url);
  }
  if (!upstream.ca_file().empty()) {
    absl::StatusOr<std::string> pem = ReadSmallFile(upstream.ca_file(), kMaxCaFileBytes);
    if (!pem.ok()) return Prefixed("upstream.ca_file", pem.status());
    if (!absl::StrContains(*pem, "-----BEGIN CERTIFICATE-----")) {
      return Invalid("upstream.ca_file",
                     absl::StrCat("\"", upstream.ca_file(),
                                  "\" holds no PEM certificate (no \"-----BEGIN CERTIFICATE-----\" "
                                  "line); give a PEM bundle of trusted CA certificates"));
    }
  }
  if (upstream.has_timeout() && upstream.timeout().seconds() == 0 &&
      upstream.timeout().nanos() == 0) {
    return Invalid("upstream.timeout",
                   absl::StrCat("0 leaves no time for any call; give a positive duration such as "
                                "\"5s\", or leave it out for the default (",
                                kDefaultTimeoutSeconds, "s)"));
  }
  if (upstream.has_connect_timeout() && upstream.connect_timeout().seconds() == 0 &&
      upstream.connect_timeout().nanos() == 0) {
    return Invalid("upstream.connect_timeout",
                   absl::StrCat("0 leaves no time to connect; give a positive duration such as "
                                "\"3s\", or leave it out for the default (",
                                kDefaultConnectTimeoutSeconds, "s)"));
  }
  // Counts the upstream client keeps as int.
  constexpr uint32_t kMaxCount = 1'000'000;
  if (upstream.max_queued_calls() > kMaxCount) {
    return Invalid("upstream.max_queued_calls",
                   absl::StrCat(upstream.max_queued_calls(), " is more than ", kMaxCount));
  }
  if (upstream.max_concurrent_connects() > kMaxCount) {
    return Invalid("upstream.max_concurrent_connects",
                   absl::StrCat(upstream.max_concurrent_connects(), " is more than ", kMaxCount));
  }
  return absl::OkStatus();
}

// Validates the accounts (lowercasing their appids) and reads their secrets.
absl::Status LoadAccounts(LoadedConfig& loaded, const EnvLookup& env) {
  v1::Config& config = loaded.config;
  absl::flat_hash_map<std::string, int> index_of_appid;
  for (int i = 0; i < config.accounts_size(); ++i) {
    v1::Account& account = *config.mutable_accounts(i);
    std::string path = absl::StrCat("accounts[", i, "]");
    std::string appid_path = absl::StrCat(path, ".appid");
    if (account.appid().empty()) {
      return Invalid(appid_path,
                     "missing; every account needs its appid (\"wx\" followed by 16 hexadecimal "
                     "digits, as shown in the WeChat Official Account admin console)");
    }
    if (!IsAppid(account.appid())) {
      return Invalid(appid_path, absl::StrCat("\"", account.appid(),
                                              "\" is not an appid: expected \"wx\" followed by 16 "
                                              "hexadecimal digits"));
    }
    account.set_appid(absl::AsciiStrToLower(account.appid()));
    if (auto [it, inserted] = index_of_appid.emplace(account.appid(), i); !inserted) {
      return Invalid(appid_path,
                     absl::StrCat("\"", account.appid(), "\" is already configured by accounts[",
                                  it->second, "]; list each appid once"));
    }
    std::string secret_path = absl::StrCat(path, ".secret");
    if (!account.has_secret()) {
      return Invalid(secret_path,
                     "missing; every account needs its AppSecret from env (the name of an "
                     "environment variable) or file (the path of a file)");
    }
    absl::StatusOr<std::string> secret = ReadSecret(account.secret(), secret_path, env);
    if (!secret.ok()) return secret.status();
    loaded.secrets[account.appid()] = *std::move(secret);
    if (account.has_callback()) {
      absl::StatusOr<CallbackSecrets> callback =
          LoadCallback(account.callback(), path + ".callback", env);
      if (!callback.ok()) return callback.status();
      loaded.callback_secrets[account.appid()] = *std::move(callback);
    }
  }
  return absl::OkStatus();
}

// Validates the third-party platforms (lowercasing their appids) and reads their
// secrets. Runs after LoadAccounts, so that an appid both places name is refused.
absl::Status LoadComponents(LoadedConfig& loaded, const EnvLookup& env) {
  v1::Config& config = loaded.config;
  absl::flat_hash_map<std::string, int> index_of_appid;
  for (int i = 0; i < config.components_size(); ++i) {
    v1::Component& component = *config.mutable_components(i);
    const std::string path = absl::StrCat("components[", i, "]");
    const std::string appid_path = path + ".component_appid";
    if (component.component_appid().empty()) {
      return Invalid(appid_path,
                     "missing; every component needs its AppID (\"wx\" followed by 16 hexadecimal "
                     "digits, as shown in the third-party platform's console)");
    }
    if (!IsAppid(component.component_appid())) {
      return Invalid(appid_path, absl::StrCat("\"", component.component_appid(),
                                              "\" is not an appid: expected \"wx\" followed by 16 "
                                              "hexadecimal digits"));
    }
    component.set_component_appid(absl::AsciiStrToLower(component.component_appid()));
    if (component.max_authorizers() == 0) component.set_max_authorizers(kDefaultMaxAuthorizers);
    const std::string& appid = component.component_appid();
    if (auto [it, inserted] = index_of_appid.emplace(appid, i); !inserted) {
      return Invalid(appid_path,
                     absl::StrCat("\"", appid, "\" is already configured by components[",
                                  it->second, "]; list each component once"));
    }
    if (loaded.secrets.contains(appid)) {
      return Invalid(appid_path,
                     absl::StrCat("\"", appid,
                                  "\" is also configured under accounts; a third-party platform's "
                                  "AppID is not an Official Account's"));
    }
    ComponentSecrets secrets;
    struct Field {
      const char* name;
      bool present;
      const v1::Secret* source;
      std::string* value;
      const char* what;
    };
    for (const Field& field : {
             Field{"secret", component.has_secret(), &component.secret(), &secrets.secret,
                   "the platform's AppSecret"},
             Field{"token", component.has_token(), &component.token(), &secrets.token,
                   "the 消息校验Token of the platform's development settings"},
             Field{"encoding_aes_key", component.has_encoding_aes_key(),
                   &component.encoding_aes_key(), &secrets.encoding_aes_key,
                   "the 消息加解密Key of the platform's development settings (pushes are always "
                   "encrypted)"},
         }) {
      const std::string field_path = absl::StrCat(path, ".", field.name);
      if (!field.present) {
        return Invalid(field_path, absl::StrCat("missing; give ", field.what,
                                                " from env (the name of an environment variable) "
                                                "or file (the path of a file)"));
      }
      absl::StatusOr<std::string> value = ReadSecret(*field.source, field_path, env);
      if (!value.ok()) return value.status();
      *field.value = *std::move(value);
    }
    if (!IsEncodingAesKey(secrets.encoding_aes_key)) {
      // The value is a secret: say what is wrong with it, never what it is.
      return Invalid(path + ".encoding_aes_key",
                     absl::StrCat("holds ", secrets.encoding_aes_key.size(),
                                  " characters; an EncodingAESKey is 43 letters, digits, '+' or "
                                  "'/'"));
    }
    loaded.component_secrets[appid] = std::move(secrets);
  }
  return absl::OkStatus();
}

bool IsSha256Hex(absl::string_view hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return absl::ascii_isxdigit(static_cast<unsigned char>(c));
         });
}

absl::Status ValidatePolicy(const v1::Policy& policy, const std::string& path,
                            const v1::Config& config) {
  for (int i = 0; i < policy.appids_size(); ++i) {
    const std::string& appid = policy.appids(i);
    const bool configured =
        std::any_of(config.accounts().begin(), config.accounts().end(),
                    [&](const v1::Account& account) {
                      return account.appid() == absl::AsciiStrToLower(appid);
                    }) ||
        std::any_of(config.components().begin(), config.components().end(),
                    [&](const v1::Component& component) {
                      return component.component_appid() == absl::AsciiStrToLower(appid);
                    });
    if (appid != "*" && !configured) {
      return Invalid(absl::StrCat(path, ".appids[", i, "]"),
                     absl::StrCat("\"", appid,
                                  "\" is not a configured account; give one of "
                                  "accounts[].appid, components[].component_appid or \"*\""));
    }
  }
  for (int i = 0; i < policy.methods_size(); ++i) {
    if (!IsMethodPattern(policy.methods(i))) {
      return Invalid(absl::StrCat(path, ".methods[", i, "]"),
                     absl::StrCat("\"", policy.methods(i),
                                  "\" is not a method pattern; write \"wechat.mp.v1.UserService/"
                                  "GetUserInfo\", \"wechat.mp.v1.UserService/*\", "
                                  "\"wechat.mp.v1.*\" or \"*\""));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAccess(v1::Config& config) {
  if (!config.has_access()) return absl::OkStatus();
  v1::Access& access = *config.mutable_access();
  absl::flat_hash_map<std::string, int> index_of_name;
  absl::flat_hash_map<std::string, std::string> owner_of_key;
  absl::flat_hash_map<std::string, std::string> owner_of_identity;
  if (!access.identity_header().empty()) {
    std::string header = absl::AsciiStrToLower(access.identity_header());
    const bool token = std::all_of(header.begin(), header.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!token || absl::EndsWith(header, "-bin")) {
      return Invalid("access.identity_header",
                     absl::StrCat("\"", access.identity_header(),
                                  "\" is not a header name (letters, digits, '-', '_', '.'; not "
                                  "binary \"-bin\"); write e.g. \"x-forwarded-client-cert\""));
    }
    if (header == "authorization" || header == "x-wx-appid" || absl::StartsWith(header, "grpc-")) {
      return Invalid("access.identity_header",
                     absl::StrCat("\"", header,
                                  "\" already means something else; name the header your mesh "
                                  "proxy sets, e.g. \"x-forwarded-client-cert\""));
    }
    access.set_identity_header(std::move(header));
  }
  for (int i = 0; i < access.callers_size(); ++i) {
    v1::Caller& caller = *access.mutable_callers(i);
    const std::string path = absl::StrCat("access.callers[", i, "]");
    if (caller.name().empty()) return Invalid(path + ".name", "missing; name every caller");
    if (auto [it, inserted] = index_of_name.emplace(caller.name(), i); !inserted) {
      return Invalid(path + ".name",
                     absl::StrCat("\"", caller.name(), "\" is already used by access.callers[",
                                  it->second, "]"));
    }
    if (caller.api_key_sha256().empty() && caller.tls_identities().empty()) {
      return Invalid(path + ".api_key_sha256",
                     "missing; give the SHA-256 of at least one API key (printf %s \"$KEY\" | "
                     "sha256sum), or the caller's client certificate identities in "
                     "tls_identities");
    }
    for (int k = 0; k < caller.tls_identities_size(); ++k) {
      const std::string& identity = caller.tls_identities(k);
      const std::string identity_path = absl::StrCat(path, ".tls_identities[", k, "]");
      if (identity.empty() || std::any_of(identity.begin(), identity.end(), [](char c) {
            return absl::ascii_isspace(static_cast<unsigned char>(c)) ||
                   absl::ascii_iscntrl(static_cast<unsigned char>(c));
          })) {
        return Invalid(identity_path,
                       "is empty or holds whitespace; give a SAN URI "
                       "(\"spiffe://example.org/ns/shop/sa/shop\"), a SAN DNS name or a CN");
      }
      if (auto [it, inserted] = owner_of_identity.emplace(identity, identity_path); !inserted) {
        return Invalid(identity_path, absl::StrCat("\"", identity, "\" is also ", it->second,
                                                   "; an identity belongs to one caller"));
      }
    }
    for (int k = 0; k < caller.api_key_sha256_size(); ++k) {
      std::string& hex = *caller.mutable_api_key_sha256(k);
      const std::string key_path = absl::StrCat(path, ".api_key_sha256[", k, "]");
      // Not echoed: a pasted key is a secret.
      if (!IsSha256Hex(hex)) {
        return Invalid(key_path,
                       "is not 64 hexadecimal digits; configure the key's SHA-256, "
                       "never the key");
      }
      hex = absl::AsciiStrToLower(hex);
      if (auto [it, inserted] = owner_of_key.emplace(hex, key_path); !inserted) {
        return Invalid(key_path, absl::StrCat("the same key is also ", it->second));
      }
    }
    if (absl::Status status = ValidatePolicy(caller.policy(), path + ".policy", config);
        !status.ok()) {
      return status;
    }
    if (caller.has_rate_limit() && !(caller.rate_limit().per_second() > 0)) {
      return Invalid(path + ".rate_limit.per_second",
                     "must be more than 0; leave rate_limit out for no limit");
    }
  }
  if (access.has_anonymous()) {
    return ValidatePolicy(access.anonymous(), "access.anonymous", config);
  }
  return absl::OkStatus();
}

absl::Status ValidateDefaultAppid(v1::Config& config) {
  if (config.default_appid().empty()) return absl::OkStatus();
  std::string wanted = absl::AsciiStrToLower(config.default_appid());
  std::vector<absl::string_view> appids;
  for (const v1::Account& account : config.accounts()) {
    if (account.appid() == wanted) {
      config.set_default_appid(wanted);
      return absl::OkStatus();
    }
    appids.push_back(account.appid());
  }
  return Invalid(
      "default_appid",
      absl::StrCat("\"", config.default_appid(), "\" is not one of the configured accounts",
                   appids.empty() ? " (there are none); add the account under accounts"
                                  : absl::StrCat(" (", absl::StrJoin(appids, ", "),
                                                 "); set it to one of them")));
}

void ApplyDefaults(v1::Config& config) {
  v1::Server& server = *config.mutable_server();
  if (server.grpc_listen().empty()) server.set_grpc_listen(std::string(kDefaultGrpcListen));
  if (server.max_message_bytes() == 0) server.set_max_message_bytes(4 << 20);
  if (server.max_concurrent_streams() == 0) server.set_max_concurrent_streams(256);
  if (!server.has_reflection()) server.set_reflection(true);
  if (!server.has_drain_timeout()) {
    server.mutable_drain_timeout()->set_seconds(absl::ToInt64Seconds(kDefaultDrainTimeout));
  }
  if (server.has_tls() &&
      server.tls().client_certificates() == v1::CLIENT_CERTIFICATES_UNSPECIFIED) {
    server.mutable_tls()->set_client_certificates(server.tls().client_ca_file().empty()
                                                      ? v1::CLIENT_CERTIFICATES_NONE
                                                      : v1::CLIENT_CERTIFICATES_REQUIRE);
  }
  v1::Log& log = *config.mutable_log();
  if (log.format() == v1::LOG_FORMAT_UNSPECIFIED) log.set_format(v1::LOG_FORMAT_TEXT);
  if (log.level() == v1::LOG_LEVEL_UNSPECIFIED) log.set_level(v1::LOG_LEVEL_INFO);
  v1::Upstream& upstream = *config.mutable_upstream();
  if (upstream.base_url().empty()) upstream.set_base_url(std::string(kDefaultBaseUrl));
  if (!upstream.has_timeout()) upstream.mutable_timeout()->set_seconds(kDefaultTimeoutSeconds);
  if (upstream.max_connections() == 0) upstream.set_max_connections(kDefaultMaxConnections);
  if (upstream.max_upload_bytes() == 0) upstream.set_max_upload_bytes(32 << 20);
  if (upstream.max_answer_bytes() == 0) upstream.set_max_answer_bytes(64 << 20);
  if (!upstream.has_connect_timeout()) {
    upstream.mutable_connect_timeout()->set_seconds(kDefaultConnectTimeoutSeconds);
  }
  if (upstream.max_queued_calls() == 0) upstream.set_max_queued_calls(kDefaultMaxQueuedCalls);
  if (!upstream.has_failover_probe_interval()) {
    upstream.mutable_failover_probe_interval()->set_seconds(kDefaultFailoverProbeIntervalSeconds);
  }
  if (upstream.max_concurrent_connects() == 0) {
    upstream.set_max_concurrent_connects(kDefaultMaxConcurrentConnects);
  }
  for (v1::Account& account : *config.mutable_accounts()) {
    if (account.token_api() == v1::TOKEN_API_UNSPECIFIED) {
      account.set_token_api(v1::TOKEN_API_STABLE);
    }
    if (!account.has_callback()) continue;
    v1::Callback& callback = *account.mutable_callback();
    if (callback.mode() == v1::CALLBACK_MODE_UNSPECIFIED)
      callback.set_mode(v1::CALLBACK_MODE_PLAIN);
    if (!callback.has_reply_window()) {
      callback.mutable_reply_window()->set_seconds(absl::ToInt64Seconds(kDefaultReplyWindow));
    }
  }
  v1::Events& events = *config.mutable_events();
  if (events.retention_count() == 0) events.set_retention_count(10000);
  if (!events.has_retention_age()) events.mutable_retention_age()->set_seconds(24 * 3600);
  if (events.max_lag() == 0) events.set_max_lag(kDefaultMaxLag);
  if (events.retention_bytes() == 0) events.set_retention_bytes(kDefaultRetentionBytes);
  if (events.dedup_max_entries() == 0) events.set_dedup_max_entries(kDefaultDedupMaxEntries);
  if (events.dedup_max_bytes() == 0) events.set_dedup_max_bytes(kDefaultDedupMaxBytes);
  if (!events.has_dedup_window()) {
    const absl::Duration window = MinDedupWindow(events);
    events.mutable_dedup_window()->set_seconds(absl::ToInt64Seconds(window));
    events.mutable_dedup_window()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(window % absl::Seconds(1))));
  }
  if (!events.has_max_push_age()) {
    events.mutable_max_push_age()->set_seconds(absl::ToInt64Seconds(kDefaultMaxPushAge));
  }
  if (!events.has_max_push_ahead()) {
    events.mutable_max_push_ahead()->set_seconds(absl::ToInt64Seconds(kDefaultMaxPushAhead));
  }
  if (!events.has_group_claim_after()) events.mutable_group_claim_after()->set_seconds(30);
  if (events.max_body_bytes() == 0) events.set_max_body_bytes(1 << 20);
  if (!events.has_read_timeout()) events.mutable_read_timeout()->set_seconds(10);
  if (events.max_connections() == 0) events.set_max_connections(1024);
  if (events.max_subscriptions_per_caller() == 0) {
    events.set_max_subscriptions_per_caller(kDefaultMaxSubscriptionsPerCaller);
  }
  if (config.store().has_redis()) {
    v1::Redis& redis = *config.mutable_store()->mutable_redis();
    if (redis.key_prefix().empty()) redis.set_key_prefix(std::string(kDefaultRedisKeyPrefix));
    for (google::protobuf::Duration* timeout :
         {redis.mutable_connect_timeout(), redis.mutable_command_timeout()}) {
      if (!IsPositive(*timeout)) timeout->set_seconds(kDefaultRedisTimeoutSeconds);
    }
  }
  if (config.default_appid().empty() && config.accounts_size() == 1) {
    config.set_default_appid(config.accounts(0).appid());
  }
}

}  // namespace

absl::StatusOr<LoadedConfig> LoadConfigFromYaml(std::string_view yaml, const EnvLookup& env) {
  LoadedConfig loaded;
  v1::Config& config = loaded.config;
  YamlMappingOptions options;
  options.redacted_messages.insert(std::string(v1::Secret::descriptor()->full_name()));
  if (absl::Status status = YamlToMessage(yaml, &config, options); !status.ok()) return status;
  if (absl::Status status = ValidateServer(config.server()); !status.ok()) return status;
  if (absl::Status status = ValidateUpstream(*config.mutable_upstream()); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateEvents(config.events()); !status.ok()) return status;
  if (absl::Status status = ValidateStore(loaded, env); !status.ok()) return status;
  if (absl::Status status = LoadAccounts(loaded, env); !status.ok()) return status;
  if (absl::Status status = LoadComponents(loaded, env); !status.ok()) return status;
  if (absl::Status status = ValidateDefaultAppid(config); !status.ok()) return status;
  if (absl::Status status = ValidateAccess(config); !status.ok()) return status;
  ApplyDefaults(config);
  return loaded;
}

absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path, const EnvLookup& env) {
  absl::StatusOr<std::string> yaml = ReadSmallFile(path, kMaxConfigFileBytes);
  if (!yaml.ok()) return Prefixed("configuration file", yaml.status());
  absl::StatusOr<LoadedConfig> loaded = LoadConfigFromYaml(*yaml, env);
  if (!loaded.ok()) return Prefixed(path, loaded.status());
  return loaded;
}

std::string_view EmbeddedDefaultYaml() { return kEmbeddedDefault; }

absl::Duration ToDuration(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

}  // namespace wxgate::config
