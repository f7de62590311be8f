#include "service/token/token_fetcher.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/upstream/upstream_answer.h"

namespace wxgate {
namespace {

using nlohmann::json;

absl::Status Schema(absl::string_view what) {
  return GatewayError(Reason::kUpstreamSchema, absl::StrCat("WeChat's answer lacks ", what));
}

// `answer[key]` as a non-empty token with a positive expires_in beside it.
absl::StatusOr<FetchedToken> TokenAt(const json& answer, const char* key) {
  auto value = answer.find(key);
  auto expires_in = answer.find("expires_in");
  if (value == answer.end() || !value->is_string() || value->get<std::string>().empty() ||
      expires_in == answer.end() || !expires_in->is_number_integer() ||
      expires_in->get<int64_t>() <= 0) {
    return Schema(absl::StrCat(key, " or a positive expires_in"));
  }
  return FetchedToken{.value = value->get<std::string>(),
                      .lifetime = absl::Seconds(expires_in->get<int64_t>())};
}

std::string StringAt(const json& object, const char* key) {
  auto value = object.find(key);
  return value != object.end() && value->is_string() ? value->get<std::string>() : "";
}

absl::StatusOr<FetchedToken> AccessToken(const json& answer) {
  return TokenAt(answer, "access_token");
}
absl::StatusOr<FetchedToken> Ticket(const json& answer) { return TokenAt(answer, "ticket"); }
absl::StatusOr<FetchedToken> ComponentToken(const json& answer) {
  return TokenAt(answer, "component_access_token");
}

// {authorizer_access_token, expires_in, authorizer_refresh_token}, as both
// api_authorizer_token and api_query_auth's authorization_info have them.
absl::StatusOr<FetchedToken> AuthorizerToken(const json& answer) {
  absl::StatusOr<FetchedToken> token = TokenAt(answer, "authorizer_access_token");
  if (!token.ok()) return token;
  token->grant.refresh_token = StringAt(answer, "authorizer_refresh_token");
  if (token->grant.refresh_token.empty()) return Schema("authorizer_refresh_token");
  return token;
}

absl::StatusOr<FetchedToken> AuthorizationInfo(const json& answer) {
  auto info = answer.find("authorization_info");
  if (info == answer.end() || !info->is_object()) return Schema("authorization_info");
  absl::StatusOr<FetchedToken> token = AuthorizerToken(*info);
  if (!token.ok()) return token;
  token->authorizer_appid = StringAt(*info, "authorizer_appid");
  if (token->authorizer_appid.empty()) return Schema("authorization_info.authorizer_appid");
  auto func_info = info->find("func_info");
  if (func_info == info->end() || !func_info->is_array()) {
    return Schema("authorization_info.func_info");
  }
  for (const json& item : *func_info) {
    const json* id = nullptr;
    if (item.is_object() && item.contains("funcscope_category") &&
        item["funcscope_category"].is_object() && item["funcscope_category"].contains("id")) {
      id = &item["funcscope_category"]["id"];
    }
    if (id == nullptr || !id->is_number_integer()) {
      return Schema("an integer funcscope_category.id in authorization_info.func_info");
    }
    token->grant.permission_sets.push_back(id->get<int>());
  }
  return token;
}

}  // namespace

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
    // Without force_refresh, stable_token hands out the token it holds: asking again
    // (on another domain) changes nothing. A classic or forced fetch issues a new one.
    request.repeatable = !force_refresh;
  }
  return Send(
      request,
      {.kind = CredentialKind::kAppidSecret, .appid = account.appid, .secret = account.secret},
      AccessToken, std::move(done));
}

HttpTransport::TransferId TokenFetcher::FetchTicket(absl::string_view access_token, TokenKind kind,
                                                    Done done) {
  UpstreamRequest request{
      .path = "/cgi-bin/ticket/getticket",
      .query = {{"type", kind == TokenKind::kWxCardTicket ? "wx_card" : "jsapi"}},
      .credential = CredentialKind::kAccessToken};
  return Send(request, {.kind = CredentialKind::kAccessToken, .token = std::string(access_token)},
              Ticket, std::move(done));
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
  return Send(request, {.kind = CredentialKind::kNone, .appid = component.appid}, ComponentToken,
              std::move(done));
}

HttpTransport::TransferId TokenFetcher::QueryAuth(const Account& component,
                                                  absl::string_view component_token,
                                                  absl::string_view authorization_code, Done done) {
  UpstreamRequest request{.method = "POST",
                          .path = "/cgi-bin/component/api_query_auth",
                          .json_body = nlohmann::json::object(
                              {{"component_appid", component.appid},
                               {"authorization_code", std::string(authorization_code)}}),
                          .credential = CredentialKind::kComponentAccessToken,
                          .credential_param = "component_access_token"};
  return Send(request,
              {.kind = CredentialKind::kComponentAccessToken,
               .token = std::string(component_token),
               .appid = component.appid},
              AuthorizationInfo, std::move(done));
}

HttpTransport::TransferId TokenFetcher::FetchAuthorizerToken(const Account& authorizer,
                                                             absl::string_view component_token,
                                                             absl::string_view refresh_token,
                                                             Done done) {
  UpstreamRequest request{.method = "POST",
                          .path = "/cgi-bin/component/api_authorizer_token",
                          .json_body = nlohmann::json::object(
                              {{"component_appid", authorizer.component->appid},
                               {"authorizer_appid", authorizer.appid},
                               {"authorizer_refresh_token", std::string(refresh_token)}}),
                          .credential = CredentialKind::kComponentAccessToken,
                          .credential_param = "component_access_token"};
  return Send(request,
              {.kind = CredentialKind::kComponentAccessToken,
               .token = std::string(component_token),
               .appid = authorizer.component->appid},
              AuthorizerToken, std::move(done));
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
                                             const CallCredential& credential, ParseAnswer parse,
                                             Done done) {
  // The request and credential always agree here, so building cannot fail.
  HttpRequest http = *BuildHttpRequest(request, base_url_, credential, timeout_);
  return upstream_->Send(std::move(http), [parse, done = std::move(done)](
                                              absl::StatusOr<HttpResponse> answer) mutable {
    if (!answer.ok()) return std::move(done)(answer.status());
    absl::StatusOr<nlohmann::json> json = ParseAnswerJson(*answer);
    if (!json.ok()) return std::move(done)(json.status());
    std::move(done)(parse(*json));
  });
}

}  // namespace wxgate
