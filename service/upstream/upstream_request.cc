#include "service/upstream/upstream_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"

namespace wxgate {
namespace {

using nlohmann::json;

bool QueryHas(const std::vector<std::pair<std::string, std::string>>& query,
              absl::string_view key) {
  for (const auto& [k, v] : query) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace

std::string EscapeQueryComponent(absl::string_view text) {
  constexpr char kHexDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0xF]);
    }
  }
  return out;
}

absl::StatusOr<HttpRequest> BuildHttpRequest(const UpstreamRequest& request,
                                             absl::string_view base_url,
                                             const CallCredential& credential,
                                             absl::Duration timeout) {
  if (credential.kind != request.credential) {
    return GatewayError(Reason::kCredentialMismatch,
                        absl::StrCat("the call needs ", CredentialKindName(request.credential),
                                     " but was given ", CredentialKindName(credential.kind)));
  }
  std::vector<std::pair<std::string, std::string>> query;
  if (IsManagedToken(request.credential)) {
    query.emplace_back(request.credential_param, credential.token);
  }
  query.insert(query.end(), request.query.begin(), request.query.end());
  std::optional<json> body = request.json_body;
  // Gateway-held values go where the call's other parameters go, unless it set them.
  auto fill = [&](const std::string& key, const std::string& value) {
    if (key.empty()) return;
    if (body) {
      if (!body->contains(key)) (*body)[key] = value;
    } else if (!QueryHas(query, key)) {
      query.emplace_back(key, value);
    }
  };
  fill(request.appid_param, credential.appid);
  if (request.credential == CredentialKind::kAppidSecret) {
    fill(request.secret_param, credential.secret);
  }
  for (const auto& [key, value] : request.defaults) fill(key, value);

  HttpRequest http;
  http.method = request.method;
  http.timeout = timeout;
  http.repeatable = request.repeatable;
  http.url = absl::StrCat(base_url, request.path);
  if (!query.empty()) {
    absl::StrAppend(&http.url, request.path.find('?') == std::string::npos ? "?" : "&",
                    absl::StrJoin(query, "&", [](std::string* out, const auto& param) {
                      absl::StrAppend(out, EscapeQueryComponent(param.first), "=",
                                      EscapeQueryComponent(param.second));
                    }));
  }
  if (body) {
    http.content_type = "application/json; charset=utf-8";
    // WeChat reads UTF-8 as is; \uXXXX escapes would be stored literally by some endpoints.
    http.body = body->dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    http.content_type = request.content_type;
    http.body = request.body;
  }
  return http;
}

}  // namespace wxgate
