#include "service/server/gateway.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "service/server/endpoint_catalog.h"

namespace wxgate {
namespace {

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

}  // namespace

Gateway::Gateway(const config::LoadedConfig& loaded) {
  const auto& upstream = loaded.config.upstream();
  upstream_ = std::make_unique<UpstreamClient>(UpstreamOptions{
      .ca_file = upstream.ca_file(),
      .max_connections_per_host = static_cast<int>(upstream.max_connections())});
  const absl::Duration timeout =
      absl::Seconds(upstream.timeout().seconds()) + absl::Nanoseconds(upstream.timeout().nanos());
  tokens_ = std::make_unique<MemoryTokenProvider>(upstream_.get(), upstream.base_url(), timeout);
  accounts_ =
      std::make_unique<AccountDirectory>(AccountsOf(loaded), loaded.config.default_appid());
  deps_ = {.upstream = upstream_.get(),
           .tokens = tokens_.get(),
           .base_url = upstream.base_url(),
           .timeout = timeout};
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const config::LoadedConfig& loaded) {
  absl::StatusOr<std::vector<ServiceEndpoints>> endpoints = DiscoverEndpoints();
  if (!endpoints.ok()) return endpoints.status();

  std::unique_ptr<Gateway> gateway(new Gateway(loaded));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // Reflection clients resolve the health service through this file's descriptors.
  grpc::health::v1::HealthCheckRequest::descriptor();

  grpc::ServerBuilder builder;
  // Without this, gRPC binds with SO_REUSEPORT and a port in use goes unnoticed.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  const std::string& listen = loaded.config.server().grpc_listen();
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &gateway->port_);
  for (ServiceEndpoints& entry : *endpoints) {
    gateway->endpoint_services_.push_back(std::make_unique<EndpointService>(
        std::move(entry.bindings), gateway->deps_, *gateway->accounts_));
    builder.RegisterService(gateway->endpoint_services_.back().get());
  }
  gateway->raw_service_ = std::make_unique<RawService>(gateway->deps_, *gateway->accounts_);
  builder.RegisterService(gateway->raw_service_.get());

  gateway->server_ = builder.BuildAndStart();
  if (gateway->server_ == nullptr || gateway->port_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("server.grpc_listen: cannot listen on ", listen,
                     " (is the port in use, or the address not local?)"));
  }
  return gateway;
}

Gateway::~Gateway() {
  // Order matters: no call may outlive the server, and the upstream client's last
  // callbacks (cancelled transfers) still reach the token provider and accounts.
  Shutdown(absl::ZeroDuration());
  server_.reset();
  upstream_.reset();
}

void Gateway::Wait() {
  if (server_) server_->Wait();
}

void Gateway::Shutdown(absl::Duration grace) {
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
}

}  // namespace wxgate
