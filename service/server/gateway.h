// Gateway: the running wxgate, built from a loaded configuration.
//
//   absl::StatusOr<std::unique_ptr<Gateway>> gateway = Gateway::Start(loaded_config);
//   (*gateway)->port();   // the gRPC port actually bound
//   (*gateway)->Wait();   // until Shutdown()
//
// It wires the upstream client, the shared state (memory or Redis: shared_state.h),
// the token manager and the credential source, the
// accounts and admission, and one AdmittedService per served proto service (every
// annotated WeChat service, RawService, TokenService, EventService, AdminService), plus health
// and reflection (unless server.reflection is false), on a plaintext or TLS
// listener (server.tls, with client certificates when configured); and the event
// pipeline: the callback listener (when server.callback_listen is set) ->
// PushHandler -> EventHub -> EventService.
#ifndef WXGATE_SERVICE_SERVER_GATEWAY_H_
#define WXGATE_SERVICE_SERVER_GATEWAY_H_

#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "service/call/account_directory.h"
#include "service/call/admitted_service.h"
#include "service/call/component_directory.h"
#include "service/call/token_credentials.h"
#include "service/call/upstream_exchange.h"
#include "service/callback/callback_server.h"
#include "service/callback/delayed_tasks.h"
#include "service/callback/push_handler.h"
#include "service/config/config_loader.h"
#include "service/events/event_hub.h"
#include "service/events/push_dedup.h"
#include "service/events/reply_broker.h"
#include "service/server/admin_handler.h"
#include "service/server/authorization_exchange.h"
#include "service/server/authorization_pushes.h"
#include "service/server/authorization_service.h"
#include "service/server/health_service.h"
#include "service/server/shared_state.h"
#include "service/server/status_report.h"
#include "service/server/subscription_quota.h"
#include "service/token/token_fetcher.h"
#include "service/token/token_manager.h"
#include "service/transcode/endpoint_catalog.h"
#include "service/upstream/domain_selector.h"
#include "service/upstream/failover_transport.h"
#include "service/upstream/upstream_client.h"

namespace wxgate {

class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(const config::LoadedConfig& loaded);
  ~Gateway();

  int port() const { return port_; }
  // The callback listener's port; 0 without server.callback_listen.
  int callback_port() const { return callback_server_ ? callback_server_->port() : 0; }
  EventHub& events() { return *shared_.hub; }
  // Live Subscribe streams per caller.
  const SubscriptionQuota& subscriptions() const { return *subscriptions_; }
  TokenManager& tokens() { return *tokens_; }
  const AccountDirectory& accounts() const { return *accounts_; }
  const ComponentDirectory& components() const { return *components_; }
  const UpstreamClient& upstream() const { return *upstream_; }
  // Which of WeChat's domains calls go to (upstream.base_url and its fallbacks).
  const DomainSelector& upstream_domains() const { return *domains_; }
  // Puts new access rules in force (SIGHUP); calls already admitted go on.
  void ReloadAccess(const config::v1::Access& access);
  void Wait();
  // Drains, then stops (once; later calls return at once). In order: the callback
  // listener stops accepting, health checks answer NOT_SERVING, every Subscribe
  // stream ends with UNAVAILABLE (GATEWAY_DRAINING), no new call is taken; then
  // calls in flight and pushes awaiting their answer have until `grace` to finish
  // and are cancelled after it.
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  explicit Gateway(const config::LoadedConfig& loaded);
  absl::Status StartCallbacks(const config::LoadedConfig& loaded);
  absl::Status StartProbeHealth(const std::string& listen, std::vector<std::string> services);
  absl::Status StartAdmin(const std::string& listen);
  // What AdminService and the status page read, once accounts and endpoints are known.
  std::unique_ptr<StatusReport> NewStatusReport();
  // The gauges (and counters kept elsewhere) of /metrics, read now.
  std::vector<Sample> ReadMetrics() const;

  // Before upstream_: its transfers, cancelled as it goes, call back into these.
  std::unique_ptr<DomainSelector> domains_;
  std::unique_ptr<FailoverTransport> failover_;
  std::unique_ptr<UpstreamClient> upstream_;
  SharedState shared_;  // tokens and events (and Redis): outlive their users
  // The third-party platforms: before tokens_, which keeps pointers to them.
  std::unique_ptr<ComponentDirectory> components_;
  std::unique_ptr<TokenFetcher> token_fetcher_;
  std::unique_ptr<TokenManager> tokens_;
  std::unique_ptr<std::thread> refresher_;
  absl::Notification stop_refresher_;
  std::unique_ptr<AccountDirectory> accounts_;
  std::unique_ptr<AuthorizerDirectory> authorizers_;
  std::unique_ptr<AuthorizationExchange> authorization_exchange_;
  std::unique_ptr<AuthorizationPushes> authorization_pushes_;
  std::unique_ptr<CallAdmission> admission_;
  std::unique_ptr<TokenCredentials> credentials_;
  UpstreamDeps deps_;
  std::vector<ServiceEndpoints> endpoints_;
  const absl::Time started_ = absl::Now();
  // AdminService and the status page read it; outlives both.
  std::unique_ptr<StatusReport> status_report_;
  // Every gRPC service but health and reflection: the endpoints', raw, tokens, events,
  // admin.
  std::vector<std::unique_ptr<AdmittedService>> services_;
  std::unique_ptr<HealthService> health_;
  // server.health_listen: health alone, in plaintext, for probes.
  std::unique_ptr<HealthService> probe_health_;
  std::unique_ptr<grpc::Server> probe_server_;
  // server.admin_listen: /metrics and the status page.
  std::vector<std::string> appids_;
  std::unique_ptr<AdminHandler> admin_handler_;
  std::unique_ptr<CallbackServer> admin_server_;
  std::unique_ptr<SubscriptionQuota> subscriptions_;
  std::unique_ptr<DelayedTasks> reply_deadlines_;
  std::unique_ptr<PushHandler> push_handler_;
  std::unique_ptr<CallbackServer> callback_server_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_GATEWAY_H_
