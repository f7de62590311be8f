#include "service/server/raw_service.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/errors/error_info.h"
#include "service/errors/grpc_status.h"
#include "service/server/upstream_reactor.h"

namespace wxgate {
namespace {

using Code = absl::StatusCode;

// Endpoints that hand out credentials: only the token manager calls them.
constexpr absl::string_view kTokenPaths[] = {
    "/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/ticket/getticket",
    "/cgi-bin/component/api_component_token", "/cgi-bin/component/api_authorizer_token"};

absl::Status Invalid(absl::string_view message) {
  return GatewayError(Code::kInvalidArgument, "INVALID_RAW_CALL", message);
}

Credential EffectiveCredential(const v1::CallRequest& request) {
  return request.credential() == CREDENTIAL_UNSPECIFIED ? CREDENTIAL_ACCESS_TOKEN
                                                        : request.credential();
}

}  // namespace

absl::StatusOr<HttpRequest> BuildRawRequest(const v1::CallRequest& request,
                                            absl::string_view base_url,
                                            const CallCredential& credential,
                                            absl::Duration timeout) {
  if (request.method() != "GET" && request.method() != "POST") {
    return Invalid("method must be \"GET\" or \"POST\"");
  }
  const std::string& path = request.path();
  if (!absl::StartsWith(path, "/") || absl::StrContains(path, "..") ||
      path.find_first_of("?# ") != std::string::npos) {
    return Invalid("path must start with '/' and hold no query, fragment, space or \"..\"");
  }
  for (absl::string_view token_path : kTokenPaths) {
    if (path == token_path) {
      return GatewayError(Code::kPermissionDenied, "TOKEN_ENDPOINT_REFUSED",
                          absl::StrCat(path, " hands out credentials; use wxgate.v1.TokenService"));
    }
  }
  const Credential kind = EffectiveCredential(request);
  if (kind != CREDENTIAL_ACCESS_TOKEN && kind != CREDENTIAL_NONE &&
      kind != CREDENTIAL_APPID_SECRET) {
    return GatewayError(Code::kUnimplemented, "CREDENTIAL_NOT_SUPPORTED",
                        absl::StrCat(Credential_Name(kind), " is not supported by raw calls yet"));
  }
  std::vector<std::string> query;
  if (kind == CREDENTIAL_ACCESS_TOKEN) {
    query.push_back(absl::StrCat("access_token=", EscapeQueryComponent(credential.access_token)));
  }
  for (const auto& [key, value] : request.query()) {
    if (key == "access_token" || key == "secret" || key == "appsecret") {
      return Invalid(absl::StrCat("query key \"", key, "\" is the gateway's to set"));
    }
    query.push_back(absl::StrCat(EscapeQueryComponent(key), "=", EscapeQueryComponent(value)));
  }
  HttpRequest http;
  http.method = request.method();
  http.timeout = timeout;
  nlohmann::json body;
  if (request.method() == "POST") {
    body = request.json_body().empty()
               ? nlohmann::json::object()
               : nlohmann::json::parse(request.json_body(), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) return Invalid("json_body is not a JSON object");
    http.content_type = "application/json; charset=utf-8";
  } else if (!request.json_body().empty()) {
    return Invalid("a GET carries no json_body");
  }
  if (kind == CREDENTIAL_APPID_SECRET) {
    if (request.method() == "POST") {
      body["appid"] = credential.appid;
      body["secret"] = credential.secret;
    } else {
      query.push_back(absl::StrCat("appid=", EscapeQueryComponent(credential.appid)));
      query.push_back(absl::StrCat("secret=", EscapeQueryComponent(credential.secret)));
    }
  }
  if (request.method() == "POST") http.body = body.dump();
  http.url = absl::StrCat(base_url, path);
  if (!query.empty()) absl::StrAppend(&http.url, "?", absl::StrJoin(query, "&"));
  return http;
}

grpc::ServerUnaryReactor* RawService::Call(grpc::CallbackServerContext* context,
                                           const v1::CallRequest* request,
                                           v1::CallResponse* response) {
  // Refuse a bad request before any token is fetched for it.
  if (absl::StatusOr<HttpRequest> probe =
          BuildRawRequest(*request, deps_.base_url, {}, deps_.timeout);
      !probe.ok()) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(probe.status()));
    return reactor;
  }
  const std::string& base_url = deps_.base_url;
  auto build = [request, &base_url](const CallCredential& credential, absl::Duration timeout) {
    return BuildRawRequest(*request, base_url, credential, timeout);
  };
  auto on_answer = [response](const nlohmann::json& answer) {
    response->set_json(answer.dump());
    return absl::OkStatus();
  };
  return ServeUpstream(context, deps_, admission_, "wxgate.v1.RawService/Call",
                       EffectiveCredential(*request) == CREDENTIAL_ACCESS_TOKEN, std::move(build),
                       std::move(on_answer));
}

}  // namespace wxgate
