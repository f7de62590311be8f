// TokenFetcher: one request to WeChat for one credential.
//
//   fetcher.FetchAccessToken(account, /*force_refresh=*/false, done);
//     → POST /cgi-bin/stable_token {grant_type, appid, secret, force_refresh}
//       (or GET /cgi-bin/token?grant_type=client_credential&appid&secret for classic accounts)
//   fetcher.FetchTicket("ACCESS_TOKEN", TokenKind::kJsapiTicket, done);
//     → GET /cgi-bin/ticket/getticket?access_token=…&type=jsapi
//   fetcher.FetchComponentToken(component, "TICKET", done);
//     → POST /cgi-bin/component/api_component_token
//       {component_appid, component_appsecret, component_verify_ticket}
//       answer {component_access_token, expires_in}
//   fetcher.QueryAuth(authorizer_component, "COMPONENT_TOKEN", "CODE", done);
//     → POST /cgi-bin/component/api_query_auth {component_appid, authorization_code}
//       answer {authorization_info: {authorizer_appid, authorizer_access_token,
//       expires_in, authorizer_refresh_token, func_info: [{funcscope_category: {id}}]}}
//   fetcher.FetchAuthorizerToken(authorizer, "COMPONENT_TOKEN", "REFRESH", done);
//     → POST /cgi-bin/component/api_authorizer_token
//       {component_appid, authorizer_appid, authorizer_refresh_token}
//       answer {authorizer_access_token, expires_in, authorizer_refresh_token}
//   fetcher.StartPushTicket(component, done);
//     → POST /cgi-bin/component/api_start_push_ticket {component_appid, component_secret}
//       (WeChat then pushes a component_verify_ticket); done gets OK or why not
//
// A component is an Account whose appid is the component_appid and whose secret is
// the platform's AppSecret.
// `done` gets the value and its lifetime, or the status of what went wrong (WeChat
// errors keep their errcode in the ErrorInfo). It runs on the upstream client's
// thread. Does not own `upstream`.
#ifndef WXGATE_SERVICE_TOKEN_TOKEN_FETCHER_H_
#define WXGATE_SERVICE_TOKEN_TOKEN_FETCHER_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json_fwd.hpp"
#include "service/token/account.h"
#include "service/token/authorizer_grant.h"
#include "service/token/token_kind.h"
#include "service/upstream/http_transport.h"
#include "service/upstream/upstream_request.h"

namespace wxgate {

struct FetchedToken {
  std::string value;
  absl::Duration lifetime;
  // An authorizer's token (api_query_auth, api_authorizer_token): whose it is and
  // its grant: the refresh token to use next and (api_query_auth) the sets granted.
  std::string authorizer_appid;
  AuthorizerGrant grant;
};

class TokenFetcher {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<FetchedToken>) &&>;

  TokenFetcher(HttpTransport* upstream, std::string base_url, absl::Duration timeout)
      : upstream_(upstream), base_url_(std::move(base_url)), timeout_(timeout) {}

  HttpTransport::TransferId FetchAccessToken(const Account& account, bool force_refresh, Done done);
  HttpTransport::TransferId FetchTicket(absl::string_view access_token, TokenKind kind, Done done);
  HttpTransport::TransferId FetchComponentToken(const Account& component, absl::string_view ticket,
                                                Done done);
  // `component`: the platform the code was issued for.
  HttpTransport::TransferId QueryAuth(const Account& component, absl::string_view component_token,
                                      absl::string_view authorization_code, Done done);
  HttpTransport::TransferId FetchAuthorizerToken(const Account& authorizer,
                                                 absl::string_view component_token,
                                                 absl::string_view refresh_token, Done done);
  HttpTransport::TransferId StartPushTicket(const Account& component,
                                            absl::AnyInvocable<void(absl::Status) &&> done);
  void Cancel(HttpTransport::TransferId id) { upstream_->Cancel(id); }

 private:
  // What a token endpoint's JSON answer holds.
  using ParseAnswer = absl::StatusOr<FetchedToken> (*)(const nlohmann::json& answer);

  HttpTransport::TransferId Send(const UpstreamRequest& request, const CallCredential& credential,
                                 ParseAnswer parse, Done done);

  HttpTransport* const upstream_;
  const std::string base_url_;
  const absl::Duration timeout_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_TOKEN_FETCHER_H_
