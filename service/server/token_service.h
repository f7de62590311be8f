// ServeTokens: wxgate.v1.TokenService over the TokenManager, for the account the
// call names (x-wx-appid) or the default one, admitted like every call
// (AdmittedService).
//
//   std::unique_ptr<AdmittedService> tokens = ServeTokens(token_manager, admission);
//   builder.RegisterService(tokens.get());
//
// Answers never block a gRPC thread: a cached credential answers at once, a missing
// one when its fetch completes. `now` stamps SignJsSdkConfig. Does not own `tokens`
// or `admission`.
#ifndef WXGATE_SERVICE_SERVER_TOKEN_SERVICE_H_
#define WXGATE_SERVICE_SERVER_TOKEN_SERVICE_H_

#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "service/call/admitted_service.h"
#include "service/token/token_manager.h"

namespace wxgate {

std::unique_ptr<AdmittedService> ServeTokens(TokenManager& tokens, const CallAdmission& admission,
                                             std::function<absl::Time()> now = absl::Now);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_TOKEN_SERVICE_H_
