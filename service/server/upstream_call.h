// UpstreamCall: one call to WeChat on behalf of one gRPC call, with the credential
// handling every method shares.
//
//   auto call = UpstreamCall::Create(deps, account, /*needs_token=*/true, build, deadline, done,
//                                    ANSWER_KIND_JSON);
//   call->Begin();
//   call->Cancel();   // e.g. from the reactor's OnCancel: aborts the transfer
//
// Begin gets the account's token, lets `build` turn it into an HTTP request, sends
// it, and checks the answer as its AnswerKind expects (HTTP status, JSON, errcode;
// or a file for downloads: answer_parser.h). If WeChat says the token
// is stale (40001/40014/42001), the token is invalidated (only if it is still the
// current one) and the call is built and sent once more with a fresh token. The
// transfer's timeout is the smaller of the caller's deadline and the configured
// upstream timeout. `done` runs exactly once, and must not block: on the upstream
// client's thread, or on the caller's inside Begin when the call ends early (a
// passed deadline, a build error, a token error).
#ifndef WXGATE_SERVICE_SERVER_UPSTREAM_CALL_H_
#define WXGATE_SERVICE_SERVER_UPSTREAM_CALL_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "service/token/access_token_provider.h"
#include "service/transcode/answer_parser.h"
#include "service/transcode/request_builder.h"
#include "service/upstream/upstream_client.h"

namespace wxgate {

// What every upstream call needs; owned by the gateway, outlives every call.
struct UpstreamDeps {
  UpstreamClient* upstream = nullptr;
  AccessTokenProvider* tokens = nullptr;
  std::string base_url;
  absl::Duration timeout = absl::Seconds(5);
  // Base URLs of other hosts (upstream.host_base_urls), by host name.
  std::map<std::string, std::string> host_base_urls;
  size_t max_upload_bytes = 32 << 20;

  // Where to call an endpoint that lives on `host` ("": the base URL).
  std::string BaseUrlFor(const std::string& host) const;
};

class UpstreamCall : public std::enable_shared_from_this<UpstreamCall> {
 public:
  using Build =
      std::function<absl::StatusOr<HttpRequest>(const CallCredential&, absl::Duration timeout)>;
  using Done = absl::AnyInvocable<void(absl::StatusOr<CheckedAnswer>) &&>;

  static std::shared_ptr<UpstreamCall> Create(const UpstreamDeps& deps, const Account& account,
                                              bool needs_token, Build build, absl::Time deadline,
                                              Done done, AnswerKind answer_kind = ANSWER_KIND_JSON);
  // Runs the call; `done` may run before Begin returns.
  void Begin();
  void Cancel();

 private:
  UpstreamCall(const UpstreamDeps& deps, const Account& account, bool needs_token, Build build,
               absl::Time deadline, Done done, AnswerKind answer_kind);
  void Send(const std::string& token);
  void OnAnswer(const std::string& token, absl::StatusOr<HttpResponse> answer);
  void Finish(absl::StatusOr<CheckedAnswer> outcome);

  const UpstreamDeps& deps_;
  const Account& account_;
  const bool needs_token_;
  const Build build_;
  const absl::Time deadline_;
  Done done_;
  const AnswerKind answer_kind_;
  bool retried_ = false;  // touched by one callback at a time

  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<UpstreamClient::TransferId> transfer_ ABSL_GUARDED_BY(mu_);
};

// Forwards a caller's cancel to the UpstreamCall serving it. A reactor's OnCancel
// may come before the call is attached or after: either way the call is cancelled
// once. Thread-safe.
class CallCancellation {
 public:
  void Attach(std::shared_ptr<UpstreamCall> call);
  void Cancel();

 private:
  absl::Mutex mu_;
  std::shared_ptr<UpstreamCall> call_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_SERVER_UPSTREAM_CALL_H_
