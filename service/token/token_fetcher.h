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
#include "service/token/account.h"
#include "service/token/token_kind.h"
#include "service/upstream/http_transport.h"
#include "service/upstream/upstream_request.h"

namespace wxgate {

struct FetchedToken {
  std::string value;
  absl::Duration lifetime;
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
  HttpTransport::TransferId StartPushTicket(const Account& component,
                                            absl::AnyInvocable<void(absl::Status) &&> done);
  void Cancel(HttpTransport::TransferId id) { upstream_->Cancel(id); }

 private:
  HttpTransport::TransferId Send(const UpstreamRequest& request, const CallCredential& credential,
                                 absl::string_view value_key, Done done);

  HttpTransport* const upstream_;
  const std::string base_url_;
  const absl::Duration timeout_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_TOKEN_FETCHER_H_
