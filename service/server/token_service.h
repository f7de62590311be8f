// TokenService: wxgate.v1.TokenService over the TokenManager, for the account the
// call names (x-wx-appid) or the default one. Answers never block a gRPC thread:
// a cached credential answers at once, a missing one when its fetch completes.
#ifndef WXGATE_SERVICE_SERVER_TOKEN_SERVICE_H_
#define WXGATE_SERVICE_SERVER_TOKEN_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "service/server/call_admission.h"
#include "service/token/token_manager.h"
#include "wxgate/v1/token.grpc.pb.h"

namespace wxgate {

class TokenService : public wxgate::v1::TokenService::CallbackService {
 public:
  // Does not own `tokens` or `admission`.
  TokenService(TokenManager& tokens, const CallAdmission& admission,
               std::function<absl::Time()> now = absl::Now)
      : tokens_(tokens), admission_(admission), now_(std::move(now)) {}

  grpc::ServerUnaryReactor* GetAccessToken(grpc::CallbackServerContext* context,
                                           const v1::GetAccessTokenRequest* request,
                                           v1::GetAccessTokenResponse* response) override;
  grpc::ServerUnaryReactor* GetJsapiTicket(grpc::CallbackServerContext* context,
                                           const v1::GetJsapiTicketRequest* request,
                                           v1::GetJsapiTicketResponse* response) override;
  grpc::ServerUnaryReactor* SignJsSdkConfig(grpc::CallbackServerContext* context,
                                            const v1::SignJsSdkConfigRequest* request,
                                            v1::SignJsSdkConfigResponse* response) override;
  grpc::ServerUnaryReactor* InvalidateToken(grpc::CallbackServerContext* context,
                                            const v1::InvalidateTokenRequest* request,
                                            v1::InvalidateTokenResponse* response) override;
  grpc::ServerUnaryReactor* TokenStatus(grpc::CallbackServerContext* context,
                                        const v1::TokenStatusRequest* request,
                                        v1::TokenStatusResponse* response) override;

 private:
  using OnValue = std::function<absl::Status(const Account&, const std::string& value)>;
  // Gets the credential of `kind` for the call's account, then lets `on_value` fill
  // the response; finishes the call with its status.
  grpc::ServerUnaryReactor* WithCredential(grpc::CallbackServerContext* context,
                                           absl::string_view method, TokenKind kind,
                                           OnValue on_value);

  TokenManager& tokens_;
  const CallAdmission& admission_;
  const std::function<absl::Time()> now_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_TOKEN_SERVICE_H_
