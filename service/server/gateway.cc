#include "service/server/gateway.h"

#include <grpcpp/ext/channelz_service_plugin.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/config/server_tls.h"
#include "service/events/memory_event_store.h"
#include "service/observe/log.h"
#include "service/observe/metrics.h"
#include "service/observe/process_metrics.h"
#include "service/observe/recent_activity.h"
#include "service/server/admin_service.h"
#include "service/server/call_log.h"
#include "service/server/call_metrics.h"
#include "service/server/endpoint_service.h"
#include "service/server/event_service.h"
#include "service/server/raw_service.h"
#include "service/server/token_metrics.h"
#include "service/server/token_service.h"

namespace wxgate {
namespace {

// How often due token refreshes are started (and a fetch waiting on another
// replica reads the store again).
constexpr absl::Duration kRefreshPeriod = absl::Milliseconds(100);

std::vector<Account> AccountsOf(const config::LoadedConfig& loaded) {
  std::vector<Account> accounts;
  for (const auto& account : loaded.config.accounts()) {
    auto secret = loaded.secrets.find(account.appid());
    accounts.push_back({.appid = account.appid(),
                        .secret = secret == loaded.secrets.end() ? "" : secret->second,
                        .token_api = account.token_api(),
                        .name = account.name()});
  }
  return accounts;
}

// The third-party platforms, as the accounts their credentials are keyed by.
std::vector<Account> ComponentsOf(const config::LoadedConfig& loaded) {
  std::vector<Account> components;
  for (const auto& component : loaded.config.components()) {
    auto secrets = loaded.component_secrets.find(component.component_appid());
    components.push_back(
        {.appid = component.component_appid(),
         .secret = secrets == loaded.component_secrets.end() ? "" : secrets->second.secret,
         .name = component.name()});
  }
  return components;
}

std::vector<CallbackAccount> CallbackAccountsOf(const config::LoadedConfig& loaded) {
  std::vector<CallbackAccount> accounts;
  for (const auto& account : loaded.config.accounts()) {
    auto secrets = loaded.callback_secrets.find(account.appid());
    if (secrets == loaded.callback_secrets.end()) continue;
    CallbackAccount callback{.appid = account.appid(),
                             .token = secrets->second.token,
                             .mode = account.callback().mode(),
                             .reply_window = config::ToDuration(account.callback().reply_window())};
    if (!secrets->second.encoding_aes_key.empty()) {
      // The loader checked the key's shape, so this cannot fail.
      callback.cipher = *MessageCipher::Create(secrets->second.encoding_aes_key, account.appid());
    }
    accounts.push_back(std::move(callback));
  }
  return accounts;
}

// The names of the plugins InitProtoReflectionServerBuilderPlugin and
// InitChannelzService register for every server of the process.
constexpr char kReflectionPlugin[] = "proto_server_reflection";
constexpr char kChannelzPlugin[] = "channelz_service";

// Leaves process-wide plugins (reflection, channelz) out of the one builder it is
// given to.
class WithoutPlugins : public grpc::ServerBuilderOption {
 public:
  explicit WithoutPlugins(std::vector<std::string> names) : names_(std::move(names)) {}

  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->erase(std::remove_if(plugins->begin(), plugins->end(),
                                  [this](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
                                    return std::find(names_.begin(), names_.end(),
                                                     plugin->name()) != names_.end();
                                  }),
                   plugins->end());
  }

 private:
  const std::vector<std::string> names_;
};

grpc_ssl_client_certificate_request_type CertificateRequestOf(
    config::v1::ClientCertificates client_certificates, bool has_client_ca) {
  switch (client_certificates) {
    case config::v1::CLIENT_CERTIFICATES_REQUEST:
      return GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    case config::v1::CLIENT_CERTIFICATES_REQUIRE:
      return GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    case config::v1::CLIENT_CERTIFICATES_NONE:
      return GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    default:  // unspecified: the loader's default
      return has_client_ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                           : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
  }
}

// The gRPC listener's credentials: TLS (and client certificates) with server.tls,
// else plaintext (the loader allowed it).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ListenerCredentials(
    const config::v1::Server& server) {
  if (!server.has_tls()) return grpc::InsecureServerCredentials();
  absl::StatusOr<config::ServerTlsFiles> files = config::ReadServerTls(server.tls());
  if (!files.ok()) return files.status();
  grpc::SslServerCredentialsOptions options(
      CertificateRequestOf(server.tls().client_certificates(), !files->client_ca.empty()));
  options.pem_root_certs = files->client_ca;
  options.pem_key_cert_pairs.push_back({files->private_key, files->cert_chain});
  return grpc::SslServerCredentials(options);
}

// Starts an HTTP listener for `handler` and logs `event` with its port; the error
// names the configuration `field`.
absl::StatusOr<std::unique_ptr<CallbackServer>> ListenHttp(absl::string_view field,
                                                           absl::string_view event,
                                                           const CallbackServer::Options& options,
                                                           const HttpHandler& handler) {
  absl::StatusOr<std::unique_ptr<CallbackServer>> server = CallbackServer::Start(options, handler);
  if (!server.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": ", server.status().message()));
  }
  Log(LogLevel::kInfo, event,
      {{"listen", options.listen}, {"port", absl::StrCat((*server)->port())}});
  return server;
}

// A configuration built in code (tests) skips the loader's defaults: 0 means unset.
uint32_t OrDefault(uint32_t value, uint32_t fallback) { return value > 0 ? value : fallback; }

// upstream.base_url and its fallbacks; a switch between them is logged once and counted.
std::unique_ptr<DomainSelector> NewDomainSelector(const config::v1::Upstream& upstream) {
  std::vector<std::string> base_urls = {upstream.base_url()};
  base_urls.insert(base_urls.end(), upstream.fallback_base_urls().begin(),
                   upstream.fallback_base_urls().end());
  const absl::Duration probe_interval =
      upstream.has_failover_probe_interval()
          ? config::ToDuration(upstream.failover_probe_interval())
          : absl::Seconds(config::kDefaultFailoverProbeIntervalSeconds);
  return std::make_unique<DomainSelector>(
      std::move(base_urls), probe_interval, [](const DomainSelector::Switch& change) {
        GlobalMetrics().Count(Metric::kDomainSwitches, {change.from, change.to});
        if (change.back_to_primary) {
          Log(LogLevel::kInfo, "upstream_domain_restored",
              {{"from", change.from}, {"to", change.to}});
        } else {
          Log(LogLevel::kWarning, "upstream_domain_failed_over",
              {{"from", change.from}, {"to", change.to}});
        }
      });
}

}  // namespace

Gateway::Gateway(const config::LoadedConfig& loaded) {
  const auto& upstream = loaded.config.upstream();
  upstream_ = std::make_unique<UpstreamClient>(UpstreamOptions{
      .ca_file = upstream.ca_file(),
      .max_connections_per_host = static_cast<int>(upstream.max_connections()),
      .max_queued =
          static_cast<int>(OrDefault(upstream.max_queued_calls(), config::kDefaultMaxQueuedCalls)),
      .max_connecting = static_cast<int>(
          OrDefault(upstream.max_concurrent_connects(), config::kDefaultMaxConcurrentConnects)),
      .connect_timeout = upstream.has_connect_timeout()
                             ? config::ToDuration(upstream.connect_timeout())
                             : absl::Seconds(config::kDefaultConnectTimeoutSeconds),
      .max_answer_bytes = upstream.max_answer_bytes()});
  const absl::Duration timeout =
      absl::Seconds(upstream.timeout().seconds()) + absl::Nanoseconds(upstream.timeout().nanos());
  domains_ = NewDomainSelector(upstream);
  failover_ = std::make_unique<FailoverTransport>(upstream_.get(), domains_.get());
  shared_ = SharedState::From(loaded);
  token_fetcher_ = std::make_unique<TokenFetcher>(failover_.get(), upstream.base_url(), timeout);
  tokens_ = std::make_unique<TokenManager>(token_fetcher_.get(), shared_.tokens.get(),
                                           TokenManagerOptions{.lease_owner = shared_.replica});
  accounts_ = std::make_unique<AccountDirectory>(AccountsOf(loaded), loaded.config.default_appid());
  components_ = std::make_unique<ComponentDirectory>(ComponentsOf(loaded));
  absl::flat_hash_map<std::string, size_t> max_authorizers;
  for (const auto& component : loaded.config.components()) {
    max_authorizers[component.component_appid()] =
        OrDefault(component.max_authorizers(), config::kDefaultMaxAuthorizers);
  }
  authorizers_ = std::make_unique<AuthorizerDirectory>(std::move(max_authorizers),
                                                       config::kDefaultMaxAuthorizers);
  authorization_exchange_ = std::make_unique<AuthorizationExchange>(*tokens_, *authorizers_);
  authorization_pushes_ = std::make_unique<AuthorizationPushes>(*tokens_, *authorization_exchange_,
                                                                *components_, *authorizers_);
  admission_ = std::make_unique<CallAdmission>(
      *accounts_, std::make_shared<const CallerAuthorizer>(loaded.config.access()),
      components_.get(), authorizers_.get());
  credentials_ = std::make_unique<TokenCredentials>(*tokens_);
  deps_ = {.transport = failover_.get(),
           .credentials = credentials_.get(),
           .base_url = upstream.base_url(),
           .timeout = timeout,
           .host_base_urls = {upstream.host_base_urls().begin(), upstream.host_base_urls().end()},
           .max_upload_bytes = upstream.max_upload_bytes()};
  const config::v1::Events& events = loaded.config.events();
  subscriptions_ = std::make_unique<SubscriptionQuota>(
      events.max_subscriptions_per_caller() > 0 ? events.max_subscriptions_per_caller()
                                                : config::kDefaultMaxSubscriptionsPerCaller);
}

absl::Status Gateway::StartCallbacks(const config::LoadedConfig& loaded) {
  const std::string& listen = loaded.config.server().callback_listen();
  if (listen.empty()) return absl::OkStatus();
  reply_deadlines_ = std::make_unique<DelayedTasks>();
  const config::v1::Events& events = loaded.config.events();
  push_handler_ = std::make_unique<PushHandler>(
      CallbackAccountsOf(loaded), *shared_.pushes, *shared_.broker,
      PushFreshness({.max_age = config::ToDuration(events.max_push_age()),
                     .max_ahead = config::ToDuration(events.max_push_ahead())}),
      PushHandler::ReplyDeadlines{
          .schedule =
              [tasks = reply_deadlines_.get()](absl::Duration delay, std::function<void()> task) {
                return tasks->RunAfter(delay, std::move(task));
              },
          .cancel = [tasks = reply_deadlines_.get()](
                        const DelayedTasks::TaskId& task) { tasks->Cancel(task); }});
  std::vector<CallbackComponent> components;
  for (const auto& [appid, secrets] : loaded.component_secrets) {
    components.push_back({.component_appid = appid,
                          .token = secrets.token,
                          .encoding_aes_key = secrets.encoding_aes_key});
  }
  if (absl::Status served = push_handler_->ServeComponents(
          std::move(components),
          [this](const std::string& component_appid, std::string ticket,
                 std::function<void(absl::Status)> done) {
            absl::StatusOr<const Account*> component = components_->Find(component_appid);
            if (!component.ok()) return done(component.status());
            tokens_->SetComponentTicket(**component, std::move(ticket), std::move(done));
          },
          [this](const wechat::open::v1::ComponentEvent& event,
                 std::function<void(absl::Status)> done) {
            authorization_pushes_->Hold(event, std::move(done));
          });
      !served.ok()) {
    return served;
  }
  absl::StatusOr<std::unique_ptr<CallbackServer>> server =
      ListenHttp("server.callback_listen", "serving_callbacks",
                 {.listen = listen,
                  .max_body_bytes = events.max_body_bytes(),
                  .read_timeout = config::ToDuration(events.read_timeout()),
                  .max_connections = events.max_connections(),
                  .threads = loaded.config.server().callback_threads()},
                 *push_handler_);
  if (!server.ok()) return server.status();
  callback_server_ = *std::move(server);
  return absl::OkStatus();
}

absl::Status Gateway::StartProbeHealth(const std::string& listen,
                                       std::vector<std::string> services) {
  if (listen.empty()) return absl::OkStatus();
  probe_health_ = std::make_unique<HealthService>(std::move(services));
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetOption(std::make_unique<WithoutPlugins>(
      std::vector<std::string>{kReflectionPlugin, kChannelzPlugin}));
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(probe_health_.get());
  probe_server_ = builder.BuildAndStart();
  if (probe_server_ == nullptr || port == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("server.health_listen: cannot listen on ", listen,
                     " (is the port in use, or the address not local?)"));
  }
  Log(LogLevel::kInfo, "serving_health", {{"listen", listen}, {"port", absl::StrCat(port)}});
  return absl::OkStatus();
}

absl::Status Gateway::StartAdmin(const std::string& listen) {
  if (listen.empty()) return absl::OkStatus();
  admin_handler_ = std::make_unique<AdminHandler>([this] { return ReadMetrics(); }, *status_report_,
                                                  *admission_);
  absl::StatusOr<std::unique_ptr<CallbackServer>> server =
      ListenHttp("server.admin_listen", "serving_admin", {.listen = listen, .max_connections = 16},
                 *admin_handler_);
  if (!server.ok()) return server.status();
  admin_server_ = *std::move(server);
  return absl::OkStatus();
}

std::unique_ptr<StatusReport> Gateway::NewStatusReport() {
  StatusReport::Sources sources{
      .version = WXGATE_VERSION,
      .replica = shared_.replica,
      .started = started_,
      .token_state = [this](const Account& account,
                            TokenKind kind) { return tokens_->Status(account, kind); },
      .hub = shared_.hub.get(),
      .activity = &GlobalRecentActivity(),
      .components = components_->All(),
      .authorizers = [this](const Account& component,
                            size_t max) { return authorizers_->List(component.appid, max); },
      .grant = [this](const Account& authorizer) { return tokens_->LastSeenGrant(authorizer); },
      .max_listed_authorizers = kAuthorizersListed,
      .upstream_base_url = [this] { return domains_->current(); }};
  for (const std::string& appid : appids_) {
    if (absl::StatusOr<const Account*> account = accounts_->Find(appid); account.ok()) {
      sources.accounts.push_back(*account);
    }
  }
  for (const ServiceEndpoints& entry : endpoints_) {
    for (const EndpointBinding& binding : entry.bindings) {
      sources.service_of.emplace(binding.path, entry.service->full_name());
    }
  }
  return std::make_unique<StatusReport>(std::move(sources));
}

std::vector<Sample> Gateway::ReadMetrics() const {
  std::vector<Sample> samples = ReadProcessMetrics();
  samples.push_back({Metric::kBuildInfo, {WXGATE_VERSION}, 1});
  samples.push_back(
      {Metric::kSubscribers, {}, static_cast<double>(shared_.hub->subscriber_count())});
  std::map<std::string, size_t> lag_by_caller;
  for (const EventHub::SubscriberInfo& subscriber : shared_.hub->Subscribers()) {
    size_t& lag = lag_by_caller[subscriber.caller];
    lag = std::max(lag, subscriber.lag);
  }
  for (const auto& [caller, lag] : lag_by_caller) {
    samples.push_back({Metric::kSubscriberLag, {caller}, static_cast<double>(lag)});
  }
  TokenMetricSources tokens{
      .components = components_->All(),
      .token_state = [this](const Account& account,
                            TokenKind kind) { return tokens_->Status(account, kind); },
      .authorizers = [this](const Account& component,
                            size_t max) { return authorizers_->List(component.appid, max); }};
  for (const std::string& appid : appids_) {
    if (absl::StatusOr<const Account*> account = accounts_->Find(appid); account.ok()) {
      tokens.accounts.push_back(*account);
    }
  }
  std::vector<Sample> token_samples = ReadTokenMetrics(tokens, absl::Now());
  samples.insert(samples.end(), std::make_move_iterator(token_samples.begin()),
                 std::make_move_iterator(token_samples.end()));
  return samples;
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const config::LoadedConfig& loaded) {
  absl::StatusOr<std::vector<ServiceEndpoints>> endpoints = DiscoverEndpoints();
  if (!endpoints.ok()) return endpoints.status();

  std::unique_ptr<Gateway> gateway(new Gateway(loaded));
  gateway->endpoints_ = *std::move(endpoints);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::channelz::experimental::InitChannelzService();

  grpc::ServerBuilder builder;
  // Without this, gRPC binds with SO_REUSEPORT and a port in use goes unnoticed.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  const config::v1::Server& server = loaded.config.server();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<CallLog>());
  interceptors.push_back(std::make_unique<CallMetrics>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  if (server.max_message_bytes() > 0) {
    builder.SetMaxReceiveMessageSize(static_cast<int>(server.max_message_bytes()));
  }
  if (server.max_concurrent_streams() > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               static_cast<int>(server.max_concurrent_streams()));
  }
  // Ping idle connections, so a subscriber that vanished (NAT, crash) is noticed and
  // its stream ended; clients may not ping more often than every 10 s.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  std::vector<std::string> left_out;
  if (server.has_reflection() && !server.reflection()) left_out.push_back(kReflectionPlugin);
  if (!server.channelz()) left_out.push_back(kChannelzPlugin);
  builder.SetOption(std::make_unique<WithoutPlugins>(std::move(left_out)));
  const std::string& listen = loaded.config.server().grpc_listen();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ListenerCredentials(server);
  if (!credentials.ok()) return credentials.status();
  builder.AddListeningPort(listen, *credentials, &gateway->port_);
  std::vector<std::unique_ptr<AdmittedService>>& services = gateway->services_;
  for (const ServiceEndpoints& entry : gateway->endpoints_) {
    absl::StatusOr<std::unique_ptr<AdmittedService>> service =
        ServeEndpoints(entry, gateway->deps_, *gateway->admission_);
    if (!service.ok()) return service.status();
    services.push_back(*std::move(service));
  }
  services.push_back(ServeRawCalls(gateway->deps_, *gateway->admission_));
  services.push_back(ServeTokens(*gateway->tokens_, *gateway->admission_));
  absl::StatusOr<std::unique_ptr<AdmittedService>> authorization =
      ServeAuthorization({.endpoints = &gateway->endpoints_,
                          .upstream = &gateway->deps_,
                          .tokens = gateway->tokens_.get(),
                          .exchange = gateway->authorization_exchange_.get()},
                         *gateway->admission_);
  if (!authorization.ok()) return authorization.status();
  services.push_back(*std::move(authorization));
  services.push_back(ServeEvents(*gateway->shared_.hub, *gateway->shared_.broker,
                                 gateway->shared_.replies.get(), *gateway->admission_,
                                 *gateway->subscriptions_));
  for (const auto& account : loaded.config.accounts()) gateway->appids_.push_back(account.appid());
  gateway->status_report_ = gateway->NewStatusReport();
  services.push_back(ServeAdmin(*gateway->status_report_, *gateway->admission_));
  std::vector<std::string> names;
  for (const std::unique_ptr<AdmittedService>& service : services) {
    if (std::vector<std::string> problems = service->Problems(); !problems.empty()) {
      return absl::InternalError(absl::StrJoin(problems, "; "));
    }
    builder.RegisterService(service.get());
    names.push_back(service->name());
  }
  gateway->health_ = std::make_unique<HealthService>(names);
  builder.RegisterService(gateway->health_.get());
  if (absl::Status status = gateway->StartProbeHealth(server.health_listen(), std::move(names));
      !status.ok()) {
    return status;
  }
  if (absl::Status status = gateway->StartCallbacks(loaded); !status.ok()) return status;
  if (absl::Status status = gateway->StartAdmin(server.admin_listen()); !status.ok()) return status;

  gateway->server_ = builder.BuildAndStart();
  if (gateway->server_ == nullptr || gateway->port_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("server.grpc_listen: cannot listen on ", listen,
                     " (is the port in use, or the address not local?)"));
  }
  Gateway* g = gateway.get();
  // WeChat pushes a component_verify_ticket every 10 minutes; a component with none
  // known asks for one now rather than waiting (logged, never fatal).
  for (const Account* component : gateway->components_->All()) {
    gateway->tokens_->RequestComponentTicket(*component);
  }
  gateway->refresher_ = std::make_unique<std::thread>([g] {
    while (!g->stop_refresher_.WaitForNotificationWithTimeout(kRefreshPeriod)) {
      g->tokens_->RefreshDue();
    }
  });
  return gateway;
}

Gateway::~Gateway() {
  // Order matters: no call may outlive the server, and the token manager cancels
  // its fetches through the upstream client, so it goes before the client. Pushes
  // waiting for a reply hold answers that use the push handler: the listener, the
  // reply deadlines and whatever brings replies or Redis answers (the relay, the
  // Redis client, which fails what is pending) go before it, and it before the
  // broker holding them.
  Shutdown(absl::ZeroDuration());
  if (refresher_) {
    stop_refresher_.Notify();
    refresher_->join();
  }
  server_.reset();
  probe_server_.reset();
  admin_server_.reset();  // before what it reads
  callback_server_.reset();
  reply_deadlines_.reset();
  shared_.tail.reset();
  shared_.replies.reset();
  tokens_.reset();
  shared_.redis.reset();
  push_handler_.reset();
  upstream_.reset();
}

void Gateway::ReloadAccess(const config::v1::Access& access) {
  admission_->ReplaceAuthorizer(std::make_shared<const CallerAuthorizer>(access));
}

void Gateway::Wait() {
  if (server_) server_->Wait();
}

void Gateway::Shutdown(absl::Duration grace) {
  if (shut_down_.exchange(true)) return;
  const absl::Time deadline = absl::Now() + grace;
  Log(LogLevel::kInfo, "draining", {{"grace", absl::FormatDuration(grace)}});
  if (callback_server_) callback_server_->StopAccepting();
  if (health_) health_->Drain();
  if (probe_health_) probe_health_->Drain();
  shared_.hub->Close();
  if (server_) server_->Shutdown(absl::ToChronoTime(deadline));
  if (probe_server_) probe_server_->Shutdown(absl::ToChronoTime(deadline));
  const bool pushes_answered = !callback_server_ || callback_server_->AwaitClosed(deadline);
  Log(LogLevel::kInfo, "drained",
      {{"pushes_answered", pushes_answered ? "all" : "not all: their connections are cut"}});
}

}  // namespace wxgate
