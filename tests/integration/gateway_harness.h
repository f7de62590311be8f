// GatewayHarness: a real gateway in this process, talking HTTPS (verified against the
// test CA) to a real fake WeChat on loopback, with a gRPC channel to the gateway.
//
//   GatewayHarness h;                       // two accounts, fake started
//   auto stub = wechat::mp::v1::UserService::NewStub(h.channel());
//   h.fake().SetLatency(absl::Milliseconds(500));
#ifndef WXGATE_TESTS_INTEGRATION_GATEWAY_HARNESS_H_
#define WXGATE_TESTS_INTEGRATION_GATEWAY_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "service/server/gateway.h"
#include "tests/fake_wechat/fake_wechat.h"
#include "tests/fake_wechat/push_sender.h"

namespace wxgate::testing {

inline constexpr char kAppidA[] = "wx1111111111111111";
inline constexpr char kAppidB[] = "wx2222222222222222";
inline constexpr char kSecretA[] = "secret-a-0123456789abcdef01234567";
inline constexpr char kSecretB[] = "secret-b-0123456789abcdef01234567";
// Callbacks: account A takes plain pushes, account B encrypted ones (safe mode).
inline constexpr char kCallbackToken[] = "callback-token-for-tests";
inline constexpr char kAesKeyB[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

// A third-party platform (component) the fake knows, when HarnessOptions::component.
inline constexpr char kComponentAppid[] = "wx3333333333333333";
inline constexpr char kComponentSecret[] = "secret-c-0123456789abcdef01234567";
// An account that authorizes the component (AuthorizeAccount).
inline constexpr char kAuthorizerAppid[] = "wx4444444444444444";

struct HarnessOptions {
  absl::Duration upstream_timeout = absl::Seconds(5);
  // Serve the fake with a certificate the gateway does not trust.
  bool untrusted_fake = false;
  // Point the gateway here instead of at the fake.
  std::string base_url_override;
  config::v1::TokenApi token_api = config::v1::TOKEN_API_STABLE;
  // Account A's reply window.
  absl::Duration reply_window = absl::Seconds(3);
  size_t max_upload_bytes = 8 << 20;
  // upstream.max_connections and upstream.max_queued_calls (0: the default).
  uint32_t max_connections = 256;
  uint32_t max_queued_calls = 0;
  // Who may call. Unset: anyone, without a key.
  std::optional<config::v1::Access> access;
  // TLS on the gateway's gRPC listener (then channel() cannot reach it: use
  // ChannelWith). Unset: plaintext.
  std::optional<config::v1::ServerTls> tls;
  // server.reflection. Unset: on.
  std::optional<bool> reflection;
  // events.max_subscriptions_per_caller; 0: the default.
  uint32_t max_subscriptions_per_caller = 0;
  // events.max_lag; 0: the default.
  uint32_t max_lag = 0;
  // store.redis at 127.0.0.1:<port>, as a replica among several. Unset: in memory.
  std::optional<int> redis_port;
  // Serve the component kComponentAppid (safe-mode pushes with kCallbackToken and
  // kAesKeyB); its ticket comes with PushComponentTicket().
  bool component = false;
  // A second fake WeChat, sharing the first one's tokens as WeChat's domains do, as
  // upstream.fallback_base_urls; probe_interval is upstream.failover_probe_interval.
  bool fallback_fake = false;
  absl::Duration probe_interval = absl::Seconds(10);
};

class GatewayHarness {
 public:
  explicit GatewayHarness(HarnessOptions options = {});
  ~GatewayHarness();

  fake::FakeWeChat& fake() { return *fake_; }
  // With HarnessOptions::fallback_fake only.
  fake::FakeWeChat& fallback() { return *fallback_; }
  Gateway& gateway() { return *gateway_; }
  // A plaintext channel to the gateway.
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // A new channel to the gateway with these credentials; TLS checks the gateway's
  // certificate for the name "localhost". Channels never share a connection.
  std::shared_ptr<grpc::Channel> ChannelWith(
      const std::shared_ptr<grpc::ChannelCredentials>& credentials) const;
  // Delivers pushes to the gateway's callback URL of account A or B as WeChat does.
  fake::PushTarget PushTargetFor(const std::string& appid) const;
  // The component's authorization-event URL, as the fake pushes to it.
  fake::PushTarget ComponentTarget() const;
  // Has the fake push a component_verify_ticket to the component's URL; true once the
  // gateway answered "success".
  bool PushComponentTicket();
  // `appid` authorizes the component with `permission_sets`, or revokes it: the
  // fake pushes `authorized` / `unauthorized`. True when the gateway said "success".
  bool AuthorizeAccount(const std::string& appid, std::vector<int> permission_sets);
  bool UnauthorizeAccount(const std::string& appid);

 private:
  std::unique_ptr<fake::FakeWeChat> fake_;
  std::unique_ptr<fake::FakeWeChat> fallback_;  // after fake_, whose tokens it shares
  std::unique_ptr<Gateway> gateway_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Polls `condition` until it holds or `timeout` passes; true if it held.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(30));

// The google.rpc.ErrorInfo in a status's details (empty if none).
google::rpc::ErrorInfo ErrorInfoFrom(const grpc::Status& status);

// A client context that names the account.
std::unique_ptr<grpc::ClientContext> ContextFor(const std::string& appid);

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_INTEGRATION_GATEWAY_HARNESS_H_
