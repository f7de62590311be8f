#include "service/token/token_fetcher.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/upstream/upstream_answer.h"

namespace wxgate {

HttpTransport::TransferId TokenFetcher::FetchAccessToken(const Account& account, bool force_refresh,
                                                         Done done) {
  UpstreamRequest request{
      .credential = CredentialKind::kAppidSecret, .appid_param = "appid", .secret_param = "secret"};
  if (account.token_api == config::v1::TOKEN_API_CLASSIC) {
    request.path = "/cgi-bin/token";
    request.query = {{"grant_type", "client_credential"}};
  } else {
    request.method = "POST";
    request.path = "/cgi-bin/stable_token";
    request.json_body = nlohmann::json::object({{"grant_type", "client_credential"}});
    if (force_refresh) (*request.json_body)["force_refresh"] = true;
  }
  return Send(
      request,
      {.kind = CredentialKind::kAppidSecret, .appid = account.appid, .secret = account.secret},
      "access_token", std::move(done));
}

HttpTransport::TransferId TokenFetcher::FetchTicket(absl::string_view access_token, TokenKind kind,
                                                    Done done) {
  UpstreamRequest request{
      .path = "/cgi-bin/ticket/getticket",
      .query = {{"type", kind == TokenKind::kWxCardTicket ? "wx_card" : "jsapi"}},
      .credential = CredentialKind::kAccessToken};
  return Send(request, {.kind = CredentialKind::kAccessToken, .token = std::string(access_token)},
              "ticket", std::move(done));
}

HttpTransport::TransferId TokenFetcher::FetchComponentToken(const Account& component,
                                                            absl::string_view ticket, Done done) {
  UpstreamRequest request{
      .method = "POST",
      .path = "/cgi-bin/component/api_component_token",
      .json_body = nlohmann::json::object({{"component_appid", component.appid},
                                           {"component_appsecret", component.secret},
                                           {"component_verify_ticket", std::string(ticket)}}),
      .credential = CredentialKind::kNone};
  return Send(request, {.kind = CredentialKind::kNone, .appid = component.appid},
              "component_access_token", std::move(done));
}

HttpTransport::TransferId TokenFetcher::StartPushTicket(
    const Account& component, absl::AnyInvocable<void(absl::Status) &&> done) {
  UpstreamRequest request{
      .method = "POST",
      .path = "/cgi-bin/component/api_start_push_ticket",
      .json_body = nlohmann::json::object(
          {{"component_appid", component.appid}, {"component_secret", component.secret}}),
      .credential = CredentialKind::kNone};
  HttpRequest http = *BuildHttpRequest(
      request, base_url_, {.kind = CredentialKind::kNone, .appid = component.appid}, timeout_);
  return upstream_->Send(std::move(http),
                         [done = std::move(done)](absl::StatusOr<HttpResponse> answer) mutable {
                           if (!answer.ok()) return std::move(done)(answer.status());
                           std::move(done)(ParseAnswerJson(*answer).status());
                         });
}

HttpTransport::TransferId TokenFetcher::Send(const UpstreamRequest& request,
                                             const CallCredential& credential,
                                             absl::string_view value_key, Done done) {
  // The request and credential always agree here, so building cannot fail.
  HttpRequest http = *BuildHttpRequest(request, base_url_, credential, timeout_);
  return upstream_->Send(std::move(http), [key = std::string(value_key), done = std::move(done)](
                                              absl::StatusOr<HttpResponse> answer) mutable {
    if (!answer.ok()) return std::move(done)(answer.status());
    absl::StatusOr<nlohmann::json> json = ParseAnswerJson(*answer);
    if (!json.ok()) return std::move(done)(json.status());
    auto value = json->find(key);
    auto expires_in = json->find("expires_in");
    if (value == json->end() || !value->is_string() || value->get<std::string>().empty() ||
        expires_in == json->end() || !expires_in->is_number_integer() ||
        expires_in->get<int64_t>() <= 0) {
      return std::move(done)(
          GatewayError(Reason::kUpstreamSchema,
                       absl::StrCat("WeChat's answer lacks ", key, " or a positive expires_in")));
    }
    std::move(done)(FetchedToken{.value = value->get<std::string>(),
                                 .lifetime = absl::Seconds(expires_in->get<int64_t>())});
  });
}

}  // namespace wxgate
