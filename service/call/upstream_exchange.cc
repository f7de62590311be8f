#include "service/call/upstream_exchange.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/errors/wechat_errors.h"
#include "service/observe/metrics.h"
#include "service/observe/recent_activity.h"

namespace wxgate {

std::string UpstreamDeps::BaseUrlFor(const std::string& host) const {
  if (host.empty()) return base_url;
  auto configured = host_base_urls.find(host);
  return configured == host_base_urls.end() ? "https://" + host : configured->second;
}

std::shared_ptr<UpstreamExchange> UpstreamExchange::Create(const UpstreamDeps& deps,
                                                           const Account& account,
                                                           UpstreamRequest request,
                                                           AnswerKind answer_kind,
                                                           absl::Time deadline, Done done) {
  return std::shared_ptr<UpstreamExchange>(new UpstreamExchange(
      deps, account, std::move(request), answer_kind, deadline, std::move(done)));
}

UpstreamExchange::UpstreamExchange(const UpstreamDeps& deps, const Account& account,
                                   UpstreamRequest request, AnswerKind answer_kind,
                                   absl::Time deadline, Done done)
    : deps_(deps),
      account_(account),
      request_(std::move(request)),
      answer_kind_(answer_kind),
      deadline_(deadline),
      done_(std::move(done)) {}

void UpstreamExchange::Begin() {
  deps_.credentials->Get(account_, request_.credential, request_.permission_sets,
                         [self = shared_from_this()](absl::StatusOr<CallCredential> credential) {
                           if (!credential.ok()) return self->Finish(credential.status());
                           self->Send(*credential);
                         });
}

void UpstreamExchange::Send(const CallCredential& credential) {
  const absl::Duration left = deadline_ - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return Finish(GatewayError(Reason::kDeadlineBeforeUpstream,
                               "the call's deadline passed before the upstream request was sent"));
  }
  absl::StatusOr<HttpRequest> http = BuildHttpRequest(request_, deps_.BaseUrlFor(request_.host),
                                                      credential, std::min(left, deps_.timeout));
  if (!http.ok()) return Finish(http.status());
  bool cancelled;
  {
    std::lock_guard lock(mu_);
    cancelled = cancelled_;
  }
  if (cancelled) return Finish(absl::CancelledError("the caller cancelled the call"));
  sent_at_ = absl::Now();
  // Not under mu_: a transport may answer inside Send.
  const HttpTransport::TransferId id = deps_.transport->Send(
      *std::move(http),
      [self = shared_from_this(), token = credential.token](absl::StatusOr<HttpResponse> answer) {
        self->OnAnswer(token, std::move(answer));
      });
  bool cancel_now;
  {
    std::lock_guard lock(mu_);
    transfer_ = id;
    cancel_now = cancelled_;  // a Cancel that came while Send ran did not see the id
  }
  if (cancel_now) deps_.transport->Cancel(id);
}

void UpstreamExchange::OnAnswer(const std::string& token, absl::StatusOr<HttpResponse> answer) {
  if (!answer.ok()) {
    CountUpstreamCall(answer.status());
    return Finish(answer.status());
  }
  absl::StatusOr<CheckedAnswer> checked = CheckAnswer(*std::move(answer), answer_kind_);
  CountUpstreamCall(checked.status());
  if (!checked.ok() && !retried_ && CredentialWasStale(checked.status(), request_.credential)) {
    retried_ = true;
    deps_.credentials->Invalidate(account_, request_.credential, token);
    return Begin();
  }
  Finish(std::move(checked));
}

void UpstreamExchange::CountUpstreamCall(const absl::Status& outcome) const {
  const std::string endpoint = request_.modelled ? request_.path : "raw";
  const std::optional<int> errcode = WeChatErrcodeOf(outcome);
  const std::string result = outcome.ok() ? "0" : errcode ? absl::StrCat(*errcode) : "none";
  const absl::Duration latency = absl::Now() - sent_at_;
  Metrics& metrics = GlobalMetrics();
  metrics.Count(Metric::kUpstreamCalls, {endpoint, result});
  metrics.Observe(Metric::kUpstreamCallSeconds, {endpoint}, absl::ToDoubleSeconds(latency));
  GlobalRecentActivity().RecordUpstream(endpoint, result, latency);
}

void UpstreamExchange::Finish(absl::StatusOr<CheckedAnswer> outcome) {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
  }
  std::move(done_)(std::move(outcome));
}

// The locks are not held while cancelling: a cancel may finish the work inline.
void UpstreamExchange::Cancel() {
  std::optional<HttpTransport::TransferId> transfer;
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    transfer = transfer_;
  }
  if (transfer) deps_.transport->Cancel(*transfer);
}

void CallCancellation::Attach(std::shared_ptr<Cancellable> work) {
  bool cancelled;
  {
    std::lock_guard lock(mu_);
    work_ = work;
    cancelled = cancelled_;
  }
  if (cancelled) work->Cancel();
}

void CallCancellation::Cancel() {
  std::shared_ptr<Cancellable> work;
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    work = work_;
  }
  if (work) work->Cancel();
}

}  // namespace wxgate
