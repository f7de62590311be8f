// FakeWeChat is a fake of api.weixin.qq.com for tests, benchmarks and the demo: a real
// HTTPS server on loopback that answers like WeChat.
//
//   FakeWeChat fake({.cert_file = dir + "/server.pem", .key_file = dir + "/server.key",
//                    .endpoints_dir = FAKE_WECHAT_ENDPOINTS_DIR});
//   fake.AddAccount("wx1", "secret");
//   ASSERT_TRUE(fake.Start().ok());
//   // point the client at fake.base_url() with ca.pem as its CA file, then:
//   GET  /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=secret
//     -> {"access_token":"<T>","expires_in":7200}
//   GET  /cgi-bin/user/info?access_token=<T>&openid=o1  -> the table's answer
//   fake.CallCount("/cgi-bin/user/info") == 1
//
// What it serves (WeChat's errcodes, HTTP 200, application/json):
//   /cgi-bin/token, /cgi-bin/stable_token  tokens; see token_authority.h for reuse,
//                                         overlap, expiry and force_refresh quotas
//   endpoints from *.json tables          see endpoint_table.h for the format; tokens
//                                         are checked: 41001 missing, 40001 unknown or
//                                         revoked, 42001 expired
//   /fake/echo                            echoes method, path, query, JSON body (and
//                                         the token's appid when one is sent)
//   /fake/stats, POST /fake/latency,      for out-of-process users; not counted
//   POST /fake/revoke {"appid": …}
//   anything else                         HTTP 404
// Failures can be injected per path (failure.h). Thread-safe: every method may be
// called while serving.
#ifndef WXGATE_TESTS_FAKE_WECHAT_FAKE_WECHAT_H_
#define WXGATE_TESTS_FAKE_WECHAT_FAKE_WECHAT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/fake_wechat/failure.h"
#include "tests/fake_wechat/push_sender.h"

namespace wxgate::fake {

class FakeWeChat;

struct FakeWeChatOptions {
  std::string cert_file, key_file;  // PEM server cert/key
  std::string host = "127.0.0.1";   // an IP address
  uint16_t port = 0;                // 0 = pick a free port
  std::string endpoints_dir;        // directory of *.json endpoint tables; empty = none
  int threads = 1;
  // Another fake whose accounts, tokens and tickets this one shares, as WeChat's API
  // domains (api., api2., sh. …) share theirs; it must outlive this one. Null: its own.
  const FakeWeChat* share_tokens_with = nullptr;
};

class FakeWeChat {
 public:
  explicit FakeWeChat(FakeWeChatOptions options);
  ~FakeWeChat();  // stops
  FakeWeChat(const FakeWeChat&) = delete;
  FakeWeChat& operator=(const FakeWeChat&) = delete;

  // Loads the endpoint tables, binds and serves on its own thread(s). Once only; the
  // error names the file and entry of a malformed table.
  absl::Status Start();
  // Closes every connection and joins the threads. Idempotent.
  void Stop();
  uint16_t port() const;
  std::string base_url() const;  // "https://127.0.0.1:<port>"

  void AddAccount(std::string appid, std::string secret);
  // Whether api_authorizer_token also hands out a new refresh token (default false).
  void SetRotateRefreshTokens(bool rotate);
  // How long the tokens issued from now on live (default 7200 s).
  void SetTokenLifetime(absl::Duration lifetime);
  // Added before every answer (on a timer; threads never sleep).
  void SetLatency(absl::Duration latency);
  // The next `times` requests to `path` (times < 0: all of them; 0: cancel) fail as
  // described. Several injections on one path apply in order. Injected failures
  // count as calls and come after the latency.
  void InjectFailure(std::string path, Failure failure, int times = 1);
  // Requests received per path (query stripped).
  int64_t CallCount(std::string_view path) const;
  // TCP connections accepted so far (one TLS session each).
  int64_t ConnectionCount() const;
  // Zeroes call and connection counts and forgets the last requests.
  void ResetCounters();
  // Counts the requests to `path` by body from now on (a test that a write never
  // arrives twice); BodyCounts(path) gives body → requests.
  void CountBodiesOf(std::string path);
  std::map<std::string, int64_t> BodyCounts(std::string_view path) const;

  // The clock that token expiry is measured on; default absl::Now. Called with a lock
  // held: it must not call back into the fake.
  void SetClock(std::function<absl::Time()> now);
  // The most recently issued still-valid token of `appid` (classic or stable), or "".
  std::string CurrentAccessToken(std::string_view appid) const;
  // Every token of appid becomes invalid (40001).
  void RevokeAccessTokens(std::string_view appid);
  // Issues a component_verify_ticket to the component target.appid (added with
  // AddAccount) and pushes it to target.url, encrypted, as WeChat does.
  absl::StatusOr<PushAnswer> PushComponentTicket(const PushTarget& target);
  // `authorizer_appid` authorizes the component target.appid, granting
  // `permission_sets`: an `authorized` push with a fresh code goes to target.url.
  absl::StatusOr<PushAnswer> PushAuthorization(const PushTarget& target,
                                               const std::string& authorizer_appid,
                                               std::vector<int> permission_sets);
  // The code the authorization page appends to the redirect when `authorizer_appid`
  // authorizes `component_appid` with `permission_sets`; nothing is pushed.
  std::string IssueAuthorizationCode(const std::string& component_appid,
                                     const std::string& authorizer_appid,
                                     std::vector<int> permission_sets);
  // `authorizer_appid` revokes it: its tokens stop working, and an `unauthorized`
  // push goes to target.url.
  absl::StatusOr<PushAnswer> PushUnauthorization(const PushTarget& target,
                                                 const std::string& authorizer_appid);

  // The last request received on `path`, for tests that check what was sent.
  struct Request {
    std::string method, path;
    std::map<std::string, std::string> query;  // percent-decoded
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased
  };
  std::optional<Request> LastRequest(std::string_view path) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_FAKE_WECHAT_H_
