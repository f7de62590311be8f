#include "service/transcode/raw_call.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/transcode/endpoint_binding.h"

namespace wxgate {
namespace {

using Code = absl::StatusCode;

// Endpoints that hand out credentials: only the token manager calls them.
constexpr absl::string_view kTokenPaths[] = {
    "/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/ticket/getticket",
    "/cgi-bin/component/api_component_token", "/cgi-bin/component/api_authorizer_token"};

absl::Status Invalid(absl::string_view message) {
  return GatewayError(Reason::kInvalidRawCall, message);
}

}  // namespace

absl::StatusOr<UpstreamRequest> TranscodeRawCall(const v1::CallRequest& request) {
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
      return GatewayError(Reason::kTokenEndpointRefused,
                          absl::StrCat(path, " hands out credentials; use wxgate.v1.TokenService"));
    }
  }
  UpstreamRequest out{.method = request.method(),
                      .path = path,
                      .credential = CredentialKindOf(request.credential())};
  if (out.credential == CredentialKind::kOAuthUserToken) {
    return GatewayError(Reason::kCredentialNotSupported,
                        "raw calls cannot carry a user's OAuth token yet");
  }
  for (const auto& [key, value] : request.query()) {
    if (key == "access_token" || key == "component_access_token" || key == "secret" ||
        key == "appsecret") {
      return Invalid(absl::StrCat("query key \"", key, "\" is the gateway's to set"));
    }
    out.query.emplace_back(key, value);
  }
  if (request.method() == "POST") {
    nlohmann::json body =
        request.json_body().empty()
            ? nlohmann::json::object()
            : nlohmann::json::parse(request.json_body(), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) return Invalid("json_body is not a JSON object");
    out.json_body = std::move(body);
  } else if (!request.json_body().empty()) {
    return Invalid("a GET carries no json_body");
  }
  // WeChat names the query key after the credential on the open platform's paths.
  if (out.credential == CredentialKind::kComponentAccessToken) {
    out.credential_param = "component_access_token";
  }
  if (out.credential == CredentialKind::kAppidSecret) {
    out.appid_param = "appid";
    out.secret_param = "secret";
    if (out.json_body) {
      out.json_body->erase("appid");
      out.json_body->erase("secret");
    }
  }
  return out;
}

}  // namespace wxgate
