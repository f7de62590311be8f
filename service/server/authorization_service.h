// ServeAuthorization: wxgate.v1.AuthorizationService, a third-party platform's
// authorization flow done by the gateway (proto/wxgate/v1/authorization.proto):
//
//   CreateAuthorizationLinks  wechat.open.v1.ComponentService's CreatePreAuthCode,
//                             then its BuildComponentLoginPageUrl and
//                             BuildComponentBindMobileUrl with that code
//   CompleteAuthorization     AuthorizationExchange with the redirect's code
//   GetAuthorizerGrant        the stored grant of the x-wx-appid authorizer
//
// Each call is admitted like any other; its component is the call's (x-wx-component-
// appid, else the only one). `endpoints` must hold ComponentService's bindings.
// Does not own what it is given; all of it outlives the server.
#ifndef WXGATE_SERVICE_SERVER_AUTHORIZATION_SERVICE_H_
#define WXGATE_SERVICE_SERVER_AUTHORIZATION_SERVICE_H_

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/call/admitted_service.h"
#include "service/call/upstream_exchange.h"
#include "service/server/authorization_exchange.h"
#include "service/token/token_manager.h"
#include "service/transcode/endpoint_catalog.h"

namespace wxgate {

struct AuthorizationDeps {
  const std::vector<ServiceEndpoints>* endpoints = nullptr;
  const UpstreamDeps* upstream = nullptr;
  TokenManager* tokens = nullptr;
  AuthorizationExchange* exchange = nullptr;
  std::function<absl::Time()> now = absl::Now;
};

absl::StatusOr<std::unique_ptr<AdmittedService>> ServeAuthorization(const AuthorizationDeps& deps,
                                                                    const CallAdmission& admission);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_AUTHORIZATION_SERVICE_H_
