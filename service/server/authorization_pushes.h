// AuthorizationPushes: what the gateway does with a third-party platform's
// authorization pushes before they are published (PushHandler's AuthorizationSink):
//
//   authorized / updateauthorized → AuthorizationExchange with its AuthorizationCode
//                                   (api_query_auth): grant and token are kept
//   unauthorized                  → TokenManager::Revoke: calls for the account get
//                                   AUTHORIZER_REVOKED from now on
//
// A code WeChat calls spent or expired (61009/61010) is logged and the push still
// published: WeChat sending it again cannot help, and a push seen before (whose
// 200 was lost) spent it itself. Any other failure is returned, so WeChat sends the
// push again. Does not own what it is given, which must outlive it.
#ifndef WXGATE_SERVICE_SERVER_AUTHORIZATION_PUSHES_H_
#define WXGATE_SERVICE_SERVER_AUTHORIZATION_PUSHES_H_

#include <functional>

#include "absl/status/status.h"
#include "service/call/authorizer_directory.h"
#include "service/call/component_directory.h"
#include "service/server/authorization_exchange.h"
#include "service/token/token_manager.h"
#include "wechat/open/v1/events.pb.h"

namespace wxgate {

class AuthorizationPushes {
 public:
  AuthorizationPushes(TokenManager& tokens, AuthorizationExchange& exchange,
                      const ComponentDirectory& components, AuthorizerDirectory& authorizers)
      : tokens_(tokens), exchange_(exchange), components_(components), authorizers_(authorizers) {}

  void Hold(const wechat::open::v1::ComponentEvent& event, std::function<void(absl::Status)> done);

 private:
  TokenManager& tokens_;
  AuthorizationExchange& exchange_;
  const ComponentDirectory& components_;
  AuthorizerDirectory& authorizers_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_AUTHORIZATION_PUSHES_H_
