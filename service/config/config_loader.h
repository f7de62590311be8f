// Loading the gateway's configuration: a YAML document (schema:
// proto/wxgate/config/v1/config.proto) becomes a validated v1::Config with its
// defaults filled in, plus the AppSecrets read from the sources it names.
//
//   accounts:
//     - appid: wx0123456789abcdef
//       secret: {env: WX_SECRET_MAIN}        + WX_SECRET_MAIN=s3cr3t
//   ->
//   LoadedConfig{config: {server {grpc_listen: "127.0.0.1:50051"}
//                         upstream {base_url: "https://api.weixin.qq.com" timeout {seconds: 5}
//                                   max_connections: 256}
//                         accounts {appid: "wx0123456789abcdef" secret {env: "WX_SECRET_MAIN"}
//                                   token_api: TOKEN_API_STABLE}
//                         default_appid: "wx0123456789abcdef"},
//                secrets: {"wx0123456789abcdef": "s3cr3t"}}
//
// Validation (the first problem found is returned as InvalidArgument, or the
// errno-derived code for a file that cannot be read; the message starts with the
// field's path and says what to do):
//   - unknown keys, wrong shapes and types, YAML syntax (line and column): see
//     yaml_to_proto.h;
//   - server.grpc_listen is host:port (port 1-65535; an IPv6 host in brackets);
//   - upstream.base_url is http:// or https:// with a host and neither query nor
//     fragment; trailing slashes are removed;
//   - each upstream.fallback_base_urls entry is a base URL like base_url
//     (normalized the same way), and no base URL is listed twice;
//   - upstream.ca_file, if set, is a readable file holding a PEM certificate;
//   - upstream.timeout and upstream.failover_probe_interval, if set, are more than 0;
//   - each account's appid is "wx" + 16 hexadecimal digits (stored lowercased),
//     no appid appears twice, and each account has a secret with exactly one
//     source (secret_source.h): an unset or empty variable, or an unreadable or
//     empty file, is an error;
//   - default_appid, if set, is one of the accounts;
//   - each component's component_appid is an appid (stored lowercased), listed once
//     and not also an account's; it has a secret, a token and an encoding_aes_key
//     of 43 base64 characters, each from exactly one source;
//   - an account's callback has a token; in compatible and safe mode also an
//     encoding_aes_key of 43 base64 characters; its reply_window is more than 0
//     and at most 4.5s;
//   - server.callback_listen, if set, is an IP address and port;
//   - server.tls, if set: cert_file and key_file readable PEM and a matching pair
//     (server_tls.h), client_ca_file readable PEM when set, needed by
//     client_certificates request and require, refused with none; not together
//     with server.plaintext;
//   - without server.tls, server.grpc_listen is a loopback address (127.0.0.0/8,
//     [::1], localhost) unless server.plaintext is true;
//   - access: each caller has api_key_sha256 or tls_identities (or both); an
//     identity is non-empty, without whitespace, and belongs to one caller;
//     identity_header is a header name (stored lowercased), not authorization,
//     x-wx-appid, grpc-* or a binary (-bin) header;
//   - events durations, if set, are more than 0; events.dedup_window, if set, is at
//     least events.max_push_age + events.max_push_ahead;
//   - store.redis: address is host:port, the password (if set) reads from its
//     source, durations are more than 0, and tokens.state_file is not set too.
// Defaults, applied after validation: server.grpc_listen "127.0.0.1:50051",
// upstream.base_url "https://api.weixin.qq.com", upstream.timeout 5s,
// upstream.failover_probe_interval 10s,
// upstream.max_connections 256 (also when 0), token_api TOKEN_API_STABLE when
// unspecified, default_appid the only account when there is exactly one;
// callback mode plain and reply_window 3s; events: retention 10000 events for 24h,
// max_lag 5000, max_push_age 5m, max_push_ahead 1m, dedup_window their sum,
// max_body_bytes 1 MiB, read_timeout 10s,
// max_connections 1024, max_subscriptions_per_caller 64; server.reflection true;
// server.tls.client_certificates none without client_ca_file, require with it;
// store.redis: key_prefix "wxgate:", connect_timeout and command_timeout 1s.
//
// Secrets appear only in LoadedConfig::secrets (and callback_secrets,
// component_secrets): never in an error message, and
// never in LoadedConfig::config (which holds their sources, not their values).
// Whether the listen port is free is not checked here; the server reports it
// when it binds.
#ifndef WXGATE_SERVICE_CONFIG_CONFIG_LOADER_H_
#define WXGATE_SERVICE_CONFIG_CONFIG_LOADER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/config/secret_source.h"  // EnvLookup, ProcessEnv()
#include "wxgate/config/v1/config.pb.h"

namespace wxgate::config {

inline constexpr std::string_view kDefaultGrpcListen = "127.0.0.1:50051";
inline constexpr std::string_view kDefaultBaseUrl = "https://api.weixin.qq.com";
inline constexpr int64_t kDefaultTimeoutSeconds = 5;
inline constexpr uint32_t kDefaultMaxConnections = 256;
inline constexpr int64_t kDefaultConnectTimeoutSeconds = 3;
inline constexpr uint32_t kDefaultMaxQueuedCalls = 1024;
inline constexpr int64_t kDefaultFailoverProbeIntervalSeconds = 10;
inline constexpr uint32_t kDefaultMaxConcurrentConnects = 32;
inline constexpr uint32_t kDefaultMaxSubscriptionsPerCaller = 64;
inline constexpr uint32_t kDefaultMaxAuthorizers = 100'000;
// A subscriber keeping up with 15,000 pushes/s may stall a third of a second.
inline constexpr uint32_t kDefaultMaxLag = 5000;
inline constexpr uint64_t kDefaultRetentionBytes = 64 << 20;
inline constexpr uint32_t kDefaultDedupMaxEntries = 200000;
inline constexpr uint64_t kDefaultDedupMaxBytes = 16 << 20;
inline constexpr std::string_view kDefaultRedisKeyPrefix = "wxgate:";
inline constexpr int64_t kDefaultRedisTimeoutSeconds = 1;
// server.drain_timeout: within Kubernetes' default 30 s grace period, with room for a
// preStop delay.
inline constexpr absl::Duration kDefaultDrainTimeout = absl::Seconds(20);
inline constexpr absl::Duration kDefaultReplyWindow = absl::Seconds(3);
// WeChat waits 5 s for an answer; the gateway keeps half a second for itself.
inline constexpr absl::Duration kMaxReplyWindow = absl::Milliseconds(4500);
// Pushes signed longer ago, or further ahead of the gateway's clock, are refused
// (events.max_push_age, events.max_push_ahead).
inline constexpr absl::Duration kDefaultMaxPushAge = absl::Minutes(5);
inline constexpr absl::Duration kDefaultMaxPushAhead = absl::Minutes(1);

// The largest configuration file accepted, in bytes.
inline constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

// An account's callback secrets (accounts[].callback).
struct CallbackSecrets {
  std::string token;
  std::string encoding_aes_key;  // empty in plain mode
};

// A third-party platform's secrets (components[]).
struct ComponentSecrets {
  std::string secret;  // the AppSecret
  std::string token;
  std::string encoding_aes_key;
};

// The configuration after loading: the proto with defaults applied, plus the
// secrets read from their sources.
struct LoadedConfig {
  v1::Config config;
  // appid (lowercase, as in config.accounts) -> AppSecret.
  absl::flat_hash_map<std::string, std::string> secrets;
  // appid -> callback secrets, for the accounts with a callback section.
  absl::flat_hash_map<std::string, CallbackSecrets> callback_secrets;
  // component_appid (lowercase, as in config.components) -> its secrets.
  absl::flat_hash_map<std::string, ComponentSecrets> component_secrets;
  // store.redis.password, when set.
  std::string redis_password;
};

// A configured duration as an absl::Duration.
absl::Duration ToDuration(const google::protobuf::Duration& duration);

// Loads a configuration from YAML text. `env` resolves secrets given by
// environment variable; secret and CA files are read from the file system.
absl::StatusOr<LoadedConfig> LoadConfigFromYaml(std::string_view yaml, const EnvLookup& env);

// Loads the configuration file at `path`. Every error message starts with the
// path ("/etc/wxgate.yaml: accounts[0].appid: ...", or names it when the file
// cannot be read).
absl::StatusOr<LoadedConfig> LoadConfigFile(const std::string& path, const EnvLookup& env);

// The embedded default the gateway runs on when given no file: no accounts,
// gRPC on 127.0.0.1:50051, upstream https://api.weixin.qq.com. It loads without
// error (LoadConfigFromYaml(EmbeddedDefaultYaml(), env)).
std::string_view EmbeddedDefaultYaml();

}  // namespace wxgate::config

#endif  // WXGATE_SERVICE_CONFIG_CONFIG_LOADER_H_
