#include "tests/integration/gateway_harness.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "service/config/config_loader.h"

namespace wxgate::testing {

GatewayHarness::GatewayHarness(HarnessOptions options) {
  const std::string certs = FAKE_WECHAT_CERT_DIR;
  const std::string cert = options.untrusted_fake ? "untrusted_server" : "server";
  fake_ = std::make_unique<fake::FakeWeChat>(
      fake::FakeWeChatOptions{.cert_file = absl::StrCat(certs, "/", cert, ".pem"),
                              .key_file = absl::StrCat(certs, "/", cert, ".key"),
                              .endpoints_dir = FAKE_WECHAT_ENDPOINTS_DIR,
                              .threads = 2});
  fake_->AddAccount(kAppidA, kSecretA);
  fake_->AddAccount(kAppidB, kSecretB);
  if (options.component) fake_->AddAccount(kComponentAppid, kComponentSecret);
  absl::Status started = fake_->Start();
  EXPECT_TRUE(started.ok()) << started;
  if (options.fallback_fake) {
    fallback_ = std::make_unique<fake::FakeWeChat>(
        fake::FakeWeChatOptions{.cert_file = absl::StrCat(certs, "/server.pem"),
                                .key_file = absl::StrCat(certs, "/server.key"),
                                .endpoints_dir = FAKE_WECHAT_ENDPOINTS_DIR,
                                .threads = 2,
                                .share_tokens_with = fake_.get()});
    absl::Status fallback_started = fallback_->Start();
    EXPECT_TRUE(fallback_started.ok()) << fallback_started;
  }

  config::LoadedConfig loaded;
  config::v1::Config& config = loaded.config;
  config.mutable_server()->set_grpc_listen("127.0.0.1:0");
  config.mutable_server()->set_max_message_bytes(1 << 20);
  auto* upstream = config.mutable_upstream();
  upstream->set_base_url(options.base_url_override.empty() ? fake_->base_url()
                                                           : options.base_url_override);
  upstream->set_ca_file(absl::StrCat(certs, "/ca.pem"));
  upstream->mutable_timeout()->set_seconds(absl::ToInt64Seconds(options.upstream_timeout));
  upstream->mutable_timeout()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(options.upstream_timeout) % 1000000000));
  upstream->set_max_connections(options.max_connections);
  upstream->set_max_queued_calls(options.max_queued_calls);
  upstream->set_max_upload_bytes(options.max_upload_bytes);
  upstream->set_max_answer_bytes(64 << 20);
  if (fallback_) {
    upstream->add_fallback_base_urls(fallback_->base_url());
    upstream->mutable_failover_probe_interval()->set_seconds(
        absl::ToInt64Seconds(options.probe_interval));
    upstream->mutable_failover_probe_interval()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(options.probe_interval) % 1000000000));
  }
  // Endpoints on WeChat's other hosts (showqrcode) reach the fake too.
  (*upstream->mutable_host_base_urls())["mp.weixin.qq.com"] = upstream->base_url();
  for (const auto& [appid, secret] : {std::pair{kAppidA, kSecretA}, std::pair{kAppidB, kSecretB}}) {
    auto* account = config.add_accounts();
    account->set_appid(appid);
    account->mutable_secret()->set_env("UNUSED");
    account->set_token_api(options.token_api);
    loaded.secrets[appid] = secret;
  }
  config.set_default_appid(kAppidA);
  if (options.component) {
    config::v1::Component& component = *config.add_components();
    component.set_component_appid(kComponentAppid);
    component.mutable_secret()->set_env("UNUSED");
    component.mutable_token()->set_env("UNUSED");
    component.mutable_encoding_aes_key()->set_env("UNUSED");
    loaded.component_secrets[kComponentAppid] = {kComponentSecret, kCallbackToken, kAesKeyB};
  }
  if (options.tls.has_value()) *config.mutable_server()->mutable_tls() = *options.tls;
  if (options.reflection.has_value()) config.mutable_server()->set_reflection(*options.reflection);
  if (options.access.has_value()) {
    *config.mutable_access() = *options.access;
  } else {
    config.mutable_access()->mutable_anonymous()->add_appids("*");
    config.mutable_access()->mutable_anonymous()->add_methods("*");
  }
  config.mutable_server()->set_callback_listen("127.0.0.1:0");
  for (auto& account : *config.mutable_accounts()) {
    auto* callback = account.mutable_callback();
    callback->mutable_token()->set_env("UNUSED");
    const bool safe = account.appid() == kAppidB;
    callback->set_mode(safe ? config::v1::CALLBACK_MODE_SAFE : config::v1::CALLBACK_MODE_PLAIN);
    const absl::Duration window = safe ? absl::Seconds(3) : options.reply_window;
    callback->mutable_reply_window()->set_seconds(absl::ToInt64Seconds(window));
    callback->mutable_reply_window()->set_nanos(
        static_cast<int32_t>(absl::ToInt64Nanoseconds(window) % 1000000000));
    loaded.callback_secrets[account.appid()] = {kCallbackToken, safe ? kAesKeyB : ""};
  }
  auto* events = config.mutable_events();
  events->set_retention_count(10000);
  events->mutable_retention_age()->set_seconds(3600);
  events->set_max_lag(options.max_lag != 0 ? options.max_lag : config::kDefaultMaxLag);
  events->mutable_max_push_age()->set_seconds(300);
  events->mutable_max_push_ahead()->set_seconds(60);
  events->mutable_dedup_window()->set_seconds(360);
  events->set_max_body_bytes(1 << 20);
  events->mutable_read_timeout()->set_seconds(10);
  events->set_max_connections(1024);
  events->set_max_subscriptions_per_caller(options.max_subscriptions_per_caller);
  events->mutable_group_claim_after()->set_seconds(30);
  if (options.redis_port.has_value()) {
    config::v1::Redis& redis = *config.mutable_store()->mutable_redis();
    redis.set_address(absl::StrCat("127.0.0.1:", *options.redis_port));
    redis.set_key_prefix("wxgate:");
    redis.mutable_connect_timeout()->set_seconds(5);
    redis.mutable_command_timeout()->set_seconds(1);
  }

  absl::StatusOr<std::unique_ptr<Gateway>> gateway = Gateway::Start(loaded);
  EXPECT_TRUE(gateway.ok()) << gateway.status();
  if (gateway.ok()) gateway_ = *std::move(gateway);
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", gateway_ ? gateway_->port() : 1),
                                 grpc::InsecureChannelCredentials());
}

GatewayHarness::~GatewayHarness() {
  if (gateway_) gateway_->Shutdown(absl::Seconds(5));
  gateway_.reset();
  if (fallback_) fallback_->Stop();
  fake_->Stop();
}

std::shared_ptr<grpc::Channel> GatewayHarness::ChannelWith(
    const std::shared_ptr<grpc::ChannelCredentials>& credentials) const {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  // A channel of its own: each test's handshake happens on its own connection.
  static std::atomic<int> channel_id{0};
  args.SetInt("wxgate.test_channel_id", channel_id++);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", gateway_ ? gateway_->port() : 1),
                                   credentials, args);
}

fake::PushTarget GatewayHarness::PushTargetFor(const std::string& appid) const {
  return {.url = absl::StrCat("http://127.0.0.1:", gateway_->callback_port(), "/wechat/callback/",
                              appid),
          .appid = appid,
          .token = kCallbackToken,
          .encoding_aes_key = appid == kAppidB ? kAesKeyB : ""};
}

namespace {

bool SaidSuccess(const absl::StatusOr<fake::PushAnswer>& answer) {
  EXPECT_TRUE(answer.ok()) << answer.status();
  if (answer.ok()) EXPECT_EQ(answer->body, "success") << "HTTP " << answer->http_status;
  return answer.ok() && answer->http_status == 200 && answer->body == "success";
}

}  // namespace

fake::PushTarget GatewayHarness::ComponentTarget() const {
  return {.url = absl::StrCat("http://127.0.0.1:", gateway_->callback_port(), "/wechat/component/",
                              kComponentAppid),
          .appid = kComponentAppid,
          .token = kCallbackToken,
          .encoding_aes_key = kAesKeyB};
}

bool GatewayHarness::PushComponentTicket() {
  return SaidSuccess(fake_->PushComponentTicket(ComponentTarget()));
}

bool GatewayHarness::AuthorizeAccount(const std::string& appid, std::vector<int> permission_sets) {
  return SaidSuccess(
      fake_->PushAuthorization(ComponentTarget(), appid, std::move(permission_sets)));
}

bool GatewayHarness::UnauthorizeAccount(const std::string& appid) {
  return SaidSuccess(fake_->PushUnauthorization(ComponentTarget(), appid));
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

google::rpc::ErrorInfo ErrorInfoFrom(const grpc::Status& status) {
  google::rpc::Status details;
  google::rpc::ErrorInfo info;
  if (details.ParseFromString(status.error_details()) && details.details_size() > 0) {
    details.details(0).UnpackTo(&info);
  }
  return info;
}

std::unique_ptr<grpc::ClientContext> ContextFor(const std::string& appid) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!appid.empty()) context->AddMetadata("x-wx-appid", appid);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return context;
}

}  // namespace wxgate::testing
