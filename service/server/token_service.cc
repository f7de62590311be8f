#include "service/server/token_service.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/jssdk_signature.h"
#include "auth/nonce.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/server/token_state_proto.h"
#include "wxgate/v1/token.pb.h"

namespace wxgate {
namespace {

// Gets the credential of `kind` for the call's account, then answers with what
// `respond` makes of it.
using Responder = std::function<absl::StatusOr<MessagePtr>(const Account&, const std::string&)>;
void WithCredential(TokenManager& tokens, UnaryCall& call, TokenKind kind, Responder respond) {
  const Account& account = *call.admitted().account;
  tokens.Get(account, kind,
             [&call, &account, respond = std::move(respond)](absl::StatusOr<std::string> value) {
               if (!value.ok()) return call.Respond(value.status());
               call.Respond(respond(account, *value));
             });
}

// Every method acts for the call's account: a call admitted for a component alone
// gets why it has none.
AdmittedService::UnaryHandler ForAccount(AdmittedService::UnaryHandler handler) {
  return [handler = std::move(handler)](UnaryCall& call, MessagePtr request) {
    if (call.admitted().account == nullptr) return call.Respond(call.admitted().account_refused);
    handler(call, std::move(request));
  };
}

}  // namespace

std::unique_ptr<AdmittedService> ServeTokens(TokenManager& tokens, const CallAdmission& admission,
                                             std::function<absl::Time()> now) {
  auto service = std::make_unique<AdmittedService>(
      ServiceOf<v1::GetAccessTokenRequest>("TokenService"), admission);
  service->HandleUnary(
      "GetAccessToken", ForAccount([&tokens](UnaryCall& call, MessagePtr) {
        if (const Account& account = *call.admitted().account; account.component != nullptr) {
          return call.Respond(GatewayError(
              Reason::kCredentialNotServed,
              absl::StrCat(account.appid,
                           " is an authorizer: its authorizer_access_token never leaves the "
                           "gateway; call the typed services or RawService/Call with x-wx-appid")));
        }
        WithCredential(tokens, call, TokenKind::kAccessToken,
                       [&tokens](const Account& account, const std::string& value) {
                         auto response = std::make_unique<v1::GetAccessTokenResponse>();
                         response->set_access_token(value);
                         *response->mutable_expires_at() = ToTimestamp(
                             tokens.Status(account, TokenKind::kAccessToken).expires_at);
                         return MessagePtr(std::move(response));
                       });
      }));
  service->HandleUnary(
      "GetJsapiTicket", ForAccount([&tokens](UnaryCall& call, MessagePtr message) {
        const auto& request = RequestAs<v1::GetJsapiTicketRequest>(*message);
        if (request.kind() == v1::TOKEN_KIND_ACCESS_TOKEN ||
            request.kind() == v1::TOKEN_KIND_COMPONENT_ACCESS_TOKEN) {
          return call.Respond(GatewayError(Reason::kInvalidTokenKind,
                                           "GetJsapiTicket serves tickets; use GetAccessToken"));
        }
        const TokenKind kind = request.kind() == v1::TOKEN_KIND_WX_CARD_TICKET
                                   ? TokenKind::kWxCardTicket
                                   : TokenKind::kJsapiTicket;
        WithCredential(tokens, call, kind,
                       [&tokens, kind](const Account& account, const std::string& value) {
                         auto response = std::make_unique<v1::GetJsapiTicketResponse>();
                         response->set_ticket(value);
                         *response->mutable_expires_at() =
                             ToTimestamp(tokens.Status(account, kind).expires_at);
                         return MessagePtr(std::move(response));
                       });
      }));
  service->HandleUnary(
      "SignJsSdkConfig", ForAccount([&tokens, now](UnaryCall& call, MessagePtr message) {
        const std::string url = RequestAs<v1::SignJsSdkConfigRequest>(*message).url();
        if (!(absl::StartsWith(url, "http://") || absl::StartsWith(url, "https://"))) {
          return call.Respond(GatewayError(Reason::kInvalidUrl,
                                           "url must be the page's full http:// or https:// URL"));
        }
        WithCredential(tokens, call, TokenKind::kJsapiTicket,
                       [url, now](const Account& account, const std::string& ticket) {
                         auto response = std::make_unique<v1::SignJsSdkConfigResponse>();
                         response->set_app_id(account.appid);
                         response->set_timestamp(absl::ToUnixSeconds(now()));
                         response->set_nonce_str(NewNonce());
                         response->set_signature(JsSdkSignature(ticket, response->nonce_str(),
                                                                response->timestamp(), url));
                         return MessagePtr(std::move(response));
                       });
      }));
  service->HandleUnary(
      "InvalidateToken", ForAccount([&tokens](UnaryCall& call, MessagePtr message) {
        const auto& request = RequestAs<v1::InvalidateTokenRequest>(*message);
        if (request.token().empty()) {
          return call.Respond(
              GatewayError(Reason::kMissingToken, "token: the value WeChat rejected is required"));
        }
        if (request.kind() == v1::TOKEN_KIND_COMPONENT_ACCESS_TOKEN) {
          // The gateway invalidates a platform's token itself, when WeChat rejects it.
          return call.Respond(GatewayError(Reason::kInvalidTokenKind,
                                           "TokenService serves accounts' credentials only"));
        }
        auto response = std::make_unique<v1::InvalidateTokenResponse>();
        response->set_invalidated(
            tokens.Invalidate(*call.admitted().account, KindOf(request.kind()), request.token()));
        call.Respond(std::move(response));
      }));
  service->HandleUnary(
      "TokenStatus", ForAccount([&tokens](UnaryCall& call, MessagePtr) {
        auto response = std::make_unique<v1::TokenStatusResponse>();
        for (v1::TokenKind kind : {v1::TOKEN_KIND_ACCESS_TOKEN, v1::TOKEN_KIND_JSAPI_TICKET,
                                   v1::TOKEN_KIND_WX_CARD_TICKET}) {
          *response->add_tokens() =
              TokenStateProto(kind, tokens.Status(*call.admitted().account, KindOf(kind)));
        }
        call.Respond(std::move(response));
      }));
  return service;
}

}  // namespace wxgate
