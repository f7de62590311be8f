// UpstreamRequest: one request to WeChat before its credential is added, and the
// one function that turns it into HTTP. Transcoding a typed call, a raw call and a
// token fetch each describe their request this way; only BuildHttpRequest knows
// where a credential goes.
//
//   UpstreamRequest user_info{.path = "/cgi-bin/user/info",
//                             .query = {{"openid", "o1"}, {"lang", "zh_CN"}},
//                             .credential = CredentialKind::kAccessToken};
//   BuildHttpRequest(user_info, "https://api…", {.token = "T"}, 5s)
//   → GET https://api…/cgi-bin/user/info?access_token=T&openid=o1&lang=zh_CN
//
//   UpstreamRequest stable_token{.method = "POST", .path = "/cgi-bin/stable_token",
//                                .json_body = json::object({{"grant_type", "client_credential"}}),
//                                .credential = CredentialKind::kAppidSecret,
//                                .appid_param = "appid", .secret_param = "secret"};
//   → POST …/cgi-bin/stable_token {"grant_type":"client_credential","appid":…,"secret":…}
//
// Parameters the gateway fills (the appid, the secret, `defaults`) go where the
// request's other parameters go (the JSON body if there is one, else the query),
// and never replace a value the request already sets.
#ifndef WXGATE_SERVICE_UPSTREAM_UPSTREAM_REQUEST_H_
#define WXGATE_SERVICE_UPSTREAM_UPSTREAM_REQUEST_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"
#include "service/upstream/credential.h"
#include "service/upstream/http_exchange.h"

namespace wxgate {

struct UpstreamRequest {
  std::string method = "GET";  // "GET" or "POST"
  // The host WeChat serves the endpoint on; empty: the upstream base URL's.
  std::string host;
  std::string path;  // may carry a fixed "?action=…"
  // Unescaped, in order; a key may repeat.
  std::vector<std::pair<std::string, std::string>> query;
  // The body: a JSON object, or bytes already encoded (multipart, text).
  std::optional<nlohmann::json> json_body;
  std::string content_type;
  std::string body;
  // Sent unless the request sets the key itself.
  std::vector<std::pair<std::string, std::string>> defaults;

  CredentialKind credential = CredentialKind::kNone;
  std::string credential_param = "access_token";  // the query key of a token
  std::string appid_param;   // filled with the account's appid; empty: not sent
  std::string secret_param;  // kAppidSecret: where the secret goes
  // For an authorizer: it must have granted the platform one of these permission
  // sets (the endpoint binding's, which outlives the request); empty: none needed.
  absl::Span<const int> permission_sets;
  // From an annotated RPC, whose path is then a metrics label; false: RawService,
  // whose paths are the caller's and are counted together as "raw".
  bool modelled = false;
  // Safe to send again, to another domain, after a failure that may have reached
  // WeChat (a read: the RPC's idempotency_level is NO_SIDE_EFFECTS). False: sent
  // again only when it certainly was not sent (see failover_policy.h).
  bool repeatable = false;
};

// RFC 3986 percent-encoding of one query component.
std::string EscapeQueryComponent(absl::string_view text);

// The HTTP request, with `credential` placed as the request's kind says. Fails
// only on a credential of another kind than the request needs.
absl::StatusOr<HttpRequest> BuildHttpRequest(const UpstreamRequest& request,
                                             absl::string_view base_url,
                                             const CallCredential& credential,
                                             absl::Duration timeout);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_UPSTREAM_REQUEST_H_
