// UpstreamExchange: the stages of the call pipeline that talk to WeChat, the same
// for every call shape (unary, upload, download, RawService, token-free calls):
//
//   credential by kind (CredentialSource) → BuildHttpRequest → send (HttpTransport)
//   → CheckAnswer → a stale credential? invalidate it (compare-and-swap) and go once
//   more from the credential → done(checked answer, or the status saying why not)
//
//   auto exchange = UpstreamExchange::Create(deps, account, std::move(request),
//                                            ANSWER_KIND_JSON, deadline, done);
//   cancellation.Attach(exchange);   // e.g. the reactor's OnCancel aborts the transfer
//   exchange->Begin();
//
// The transfer's timeout is the smaller of the call's deadline and the configured
// upstream timeout; a deadline that passed before sending is DEADLINE_EXCEEDED
// DEADLINE_BEFORE_UPSTREAM. `done` runs exactly once and must not block: on the
// transport's thread, the credential source's, or the caller's inside Begin.
#ifndef WXGATE_SERVICE_CALL_UPSTREAM_EXCHANGE_H_
#define WXGATE_SERVICE_CALL_UPSTREAM_EXCHANGE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/call/credential_source.h"
#include "service/upstream/http_transport.h"
#include "service/upstream/upstream_answer.h"
#include "service/upstream/upstream_request.h"

namespace wxgate {

// What every exchange needs; owned by the gateway, outlives every call.
struct UpstreamDeps {
  HttpTransport* transport = nullptr;
  CredentialSource* credentials = nullptr;
  std::string base_url;
  absl::Duration timeout = absl::Seconds(5);
  // Base URLs of other hosts (upstream.host_base_urls), by host name.
  std::map<std::string, std::string> host_base_urls;
  size_t max_upload_bytes = 32 << 20;

  // Where to call an endpoint that lives on `host` ("": the base URL).
  std::string BaseUrlFor(const std::string& host) const;
};

// Something a caller's cancel can abort.
class Cancellable {
 public:
  virtual ~Cancellable() = default;
  virtual void Cancel() = 0;
};

class UpstreamExchange : public Cancellable, public std::enable_shared_from_this<UpstreamExchange> {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<CheckedAnswer>) &&>;

  static std::shared_ptr<UpstreamExchange> Create(const UpstreamDeps& deps, const Account& account,
                                                  UpstreamRequest request, AnswerKind answer_kind,
                                                  absl::Time deadline, Done done);
  // Runs the exchange; `done` may run before Begin returns.
  void Begin();
  void Cancel() override;

 private:
  UpstreamExchange(const UpstreamDeps& deps, const Account& account, UpstreamRequest request,
                   AnswerKind answer_kind, absl::Time deadline, Done done);
  void Send(const CallCredential& credential);
  void OnAnswer(const std::string& token, absl::StatusOr<HttpResponse> answer);
  void Finish(absl::StatusOr<CheckedAnswer> outcome);
  // wxgate_upstream_calls_total and _seconds for the answer (or failure) just in.
  void CountUpstreamCall(const absl::Status& outcome) const;

  const UpstreamDeps& deps_;
  const Account& account_;
  const UpstreamRequest request_;
  const AnswerKind answer_kind_;
  const absl::Time deadline_;
  Done done_;
  bool retried_ = false;  // touched by one callback at a time
  absl::Time sent_at_;    // of the request in flight, for its metrics

  // std::mutex, not absl::Mutex: one is made per call, and Debian's Abseil pays
  // deadlock-detection bookkeeping for each Mutex it creates, locks and destroys.
  std::mutex mu_;
  // Guarded by mu_ (std::mutex carries no thread-safety annotations):
  bool cancelled_ = false;
  bool finished_ = false;
  std::optional<HttpTransport::TransferId> transfer_;
};

// Forwards a caller's cancel to what serves the call. A reactor's OnCancel may come
// before the work is attached or after: either way it is cancelled once.
// Thread-safe.
class CallCancellation {
 public:
  void Attach(std::shared_ptr<Cancellable> work);
  void Cancel();

 private:
  std::mutex mu_;                      // per call: see UpstreamExchange::mu_
  std::shared_ptr<Cancellable> work_;  // guarded by mu_
  bool cancelled_ = false;             // guarded by mu_
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_UPSTREAM_EXCHANGE_H_
