// RequestRouter turns one HTTP request into the answer api.weixin.qq.com would give:
//
//   GET  /cgi-bin/token          classic token            (TokenAuthority)
//   POST /cgi-bin/stable_token   stable token             (TokenAuthority)
//   POST /cgi-bin/component/api_start_push_ticket  {component_appid, component_secret}: ok
//   POST /cgi-bin/component/api_component_token
//        {component_appid, component_appsecret, component_verify_ticket}: a new token
//        (TokenAuthority: the ticket must be one the fake issued)
//   POST /cgi-bin/component/api_query_auth?component_access_token=C
//        {component_appid, authorization_code}: the authorizer's token, refresh token
//        and func_info (TokenAuthority::QueryAuth)
//   POST /cgi-bin/component/api_authorizer_token?component_access_token=C
//        {component_appid, authorizer_appid, authorizer_refresh_token}: a new token
//   POST /fake/component/push_ticket {component_appid, url, token, encoding_aes_key}:
//        issues a ticket and pushes it, encrypted, to `url` as WeChat does; answers
//        {errcode 0, http_status, body} (the gateway's answer)
//   POST /fake/component/authorize {component_appid, authorizer_appid, func_info: [ids],
//        url, token, encoding_aes_key}: as the authorization page does, issues an
//        authorization code and pushes InfoType "authorized" with it; same answer.
//        With "push": false (no url needed) only issues the code, as the page hands
//        it to the redirect: {errcode 0, authorization_code}
//   POST /fake/component/unauthorize {component_appid, authorizer_appid, url, token,
//        encoding_aes_key}: drops the authorizer's refresh token and tokens and
//        pushes InfoType "unauthorized"; same answer
//   POST /fake/component/push_message {component_appid, xml, url, token,
//        encoding_aes_key}: pushes `xml` (an authorizer's user message or event, to
//        the component's message URL) encrypted with the component's key; same answer,
//        a passive reply decrypted
//   *    /fake/echo              what was received, as JSON; an access_token or
//                                component_access_token is optional but checked
//   GET  /fake/last?path=P   the last request on P: {method, query, body}
//   GET  /fake/stats             {"calls": {path: n}, "connections": n}
//   POST /fake/latency           {"ms": N} sets the latency
//   any path of the table        method, credential and required checks, then its answer
//   anything else                HTTP 404, text body
//
// Every request except the control endpoints (/fake/stats, /fake/last, /fake/latency, /fake/revoke,
// /fake/component/...) is
// counted, gets the latency, and may be replaced by an injected failure, in that
// order. Does not own its collaborators; the caller keeps them alive. Thread-safe.
#ifndef WXGATE_TESTS_FAKE_WECHAT_REQUEST_ROUTER_H_
#define WXGATE_TESTS_FAKE_WECHAT_REQUEST_ROUTER_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"
#include "tests/fake_wechat/call_stats.h"
#include "tests/fake_wechat/endpoint_table.h"
#include "tests/fake_wechat/failure_injector.h"
#include "tests/fake_wechat/http_message.h"
#include "tests/fake_wechat/token_authority.h"

namespace wxgate::fake {

class RequestRouter : public RequestHandler {
 public:
  // `table` may change until the server starts, never after.
  RequestRouter(TokenAuthority* tokens, const EndpointTable* table, FailureInjector* failures,
                CallStats* stats);
  RequestRouter(const RequestRouter&) = delete;
  RequestRouter& operator=(const RequestRouter&) = delete;

  void SetLatency(absl::Duration latency);

  HttpReply Handle(const HttpRequest& request) override;
  void OnConnection() override { stats_->RecordConnection(); }

 private:
  HttpReply Route(const HttpRequest& request);
  HttpReply ClassicToken(const HttpRequest& request);
  HttpReply StableToken(const HttpRequest& request);
  HttpReply Echo(const HttpRequest& request);
  HttpReply Stats() const;
  HttpReply SetLatencyFromBody(const HttpRequest& request);
  HttpReply StartPushTicket(const HttpRequest& request);
  HttpReply ComponentToken(const HttpRequest& request);
  HttpReply PushTicket(const HttpRequest& request);
  HttpReply QueryAuth(const HttpRequest& request);
  HttpReply AuthorizerToken(const HttpRequest& request);
  // /fake/component/authorize and /fake/component/unauthorize.
  HttpReply PushAuthorization(const HttpRequest& request, bool authorize);
  HttpReply PushMessage(const HttpRequest& request);
  HttpReply LastRequest(const HttpRequest& request) const;
  // POST /fake/revoke {"appid": "wx…"}: every token of the account (or component)
  // becomes unknown.
  HttpReply RevokeFromBody(const HttpRequest& request);
  HttpReply TableEndpoint(const Endpoint& endpoint, const HttpRequest& request);

  TokenAuthority* const tokens_;
  const EndpointTable* const table_;
  FailureInjector* const failures_;
  CallStats* const stats_;
  std::atomic<int64_t> latency_ns_{0};
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_REQUEST_ROUTER_H_
