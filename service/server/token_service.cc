#include "service/server/token_service.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/match.h"
#include "auth/jssdk_signature.h"
#include "service/errors/error_info.h"
#include "service/errors/grpc_status.h"

namespace wxgate {
namespace {

using google::protobuf::Timestamp;

TokenKind KindOf(v1::TokenKind kind) {
  switch (kind) {
    case v1::TOKEN_KIND_JSAPI_TICKET:
      return TokenKind::kJsapiTicket;
    case v1::TOKEN_KIND_WX_CARD_TICKET:
      return TokenKind::kWxCardTicket;
    default:
      return TokenKind::kAccessToken;
  }
}

Timestamp ToTimestamp(absl::Time t) {
  if (t == absl::InfinitePast()) return Timestamp();
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                   const absl::Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* TokenService::WithCredential(grpc::CallbackServerContext* context,
                                                       absl::string_view method, TokenKind kind,
                                                       OnValue on_value) {
  absl::StatusOr<const Account*> account = admission_.Admit(*context, method);
  if (!account.ok()) return Finished(context, account.status());
  auto* reactor = context->DefaultReactor();
  tokens_.Get(
      **account, kind,
      [reactor, account = *account,
       on_value = std::move(on_value)](absl::StatusOr<std::string> value) {
        reactor->Finish(ToGrpcStatus(value.ok() ? on_value(*account, *value) : value.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* TokenService::GetAccessToken(grpc::CallbackServerContext* context,
                                                       const v1::GetAccessTokenRequest*,
                                                       v1::GetAccessTokenResponse* response) {
  return WithCredential(context, "wxgate.v1.TokenService/GetAccessToken", TokenKind::kAccessToken,
                        [this, response](const Account& account, const std::string& value) {
                          response->set_access_token(value);
                          *response->mutable_expires_at() = ToTimestamp(
                              tokens_.Status(account, TokenKind::kAccessToken).expires_at);
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* TokenService::GetJsapiTicket(grpc::CallbackServerContext* context,
                                                       const v1::GetJsapiTicketRequest* request,
                                                       v1::GetJsapiTicketResponse* response) {
  const TokenKind kind = request->kind() == v1::TOKEN_KIND_WX_CARD_TICKET ? TokenKind::kWxCardTicket
                                                                          : TokenKind::kJsapiTicket;
  if (request->kind() == v1::TOKEN_KIND_ACCESS_TOKEN) {
    return Finished(context, GatewayError(absl::StatusCode::kInvalidArgument, "INVALID_TOKEN_KIND",
                                          "GetJsapiTicket serves tickets; use GetAccessToken"));
  }
  return WithCredential(context, "wxgate.v1.TokenService/GetJsapiTicket", kind,
                        [this, kind, response](const Account& account, const std::string& value) {
                          response->set_ticket(value);
                          *response->mutable_expires_at() =
                              ToTimestamp(tokens_.Status(account, kind).expires_at);
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* TokenService::SignJsSdkConfig(grpc::CallbackServerContext* context,
                                                        const v1::SignJsSdkConfigRequest* request,
                                                        v1::SignJsSdkConfigResponse* response) {
  const std::string& url = request->url();
  if (!(absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://"))) {
    return Finished(context, GatewayError(absl::StatusCode::kInvalidArgument, "INVALID_URL",
                                          "url must be the page's full http:// or https:// URL"));
  }
  return WithCredential(context, "wxgate.v1.TokenService/SignJsSdkConfig", TokenKind::kJsapiTicket,
                        [this, url, response](const Account& account, const std::string& ticket) {
                          response->set_app_id(account.appid);
                          response->set_timestamp(absl::ToUnixSeconds(now_()));
                          response->set_nonce_str(NewNonce());
                          response->set_signature(JsSdkSignature(ticket, response->nonce_str(),
                                                                 response->timestamp(), url));
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* TokenService::InvalidateToken(grpc::CallbackServerContext* context,
                                                        const v1::InvalidateTokenRequest* request,
                                                        v1::InvalidateTokenResponse* response) {
  absl::StatusOr<const Account*> account =
      admission_.Admit(*context, "wxgate.v1.TokenService/InvalidateToken");
  if (!account.ok()) return Finished(context, account.status());
  if (request->token().empty()) {
    return Finished(context, GatewayError(absl::StatusCode::kInvalidArgument, "MISSING_TOKEN",
                                          "token: the value WeChat rejected is required"));
  }
  response->set_invalidated(
      tokens_.Invalidate(**account, KindOf(request->kind()), request->token()));
  return Finished(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* TokenService::TokenStatus(grpc::CallbackServerContext* context,
                                                    const v1::TokenStatusRequest*,
                                                    v1::TokenStatusResponse* response) {
  absl::StatusOr<const Account*> account =
      admission_.Admit(*context, "wxgate.v1.TokenService/TokenStatus");
  if (!account.ok()) return Finished(context, account.status());
  for (v1::TokenKind kind :
       {v1::TOKEN_KIND_ACCESS_TOKEN, v1::TOKEN_KIND_JSAPI_TICKET, v1::TOKEN_KIND_WX_CARD_TICKET}) {
    const TokenState state = tokens_.Status(**account, KindOf(kind));
    v1::TokenState* out = response->add_tokens();
    out->set_kind(kind);
    out->set_valid(state.valid);
    *out->mutable_fetched_at() = ToTimestamp(state.fetched_at);
    *out->mutable_expires_at() = ToTimestamp(state.expires_at);
    if (state.refresh_at != absl::InfiniteFuture()) {
      *out->mutable_refresh_at() = ToTimestamp(state.refresh_at);
    }
    out->set_fetches(state.fetches);
    out->set_failed_fetches(state.failed_fetches);
    out->set_last_error(state.last_error);
    out->set_force_refresh_left(state.force_refresh_left);
  }
  return Finished(context, absl::OkStatus());
}

}  // namespace wxgate
