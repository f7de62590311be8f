#include "service/server/upstream_call.h"

#include <utility>

#include "service/errors/error_info.h"
#include "service/errors/wechat_errors.h"
#include "service/transcode/answer_parser.h"

namespace wxgate {

std::string UpstreamDeps::BaseUrlFor(const std::string& host) const {
  if (host.empty()) return base_url;
  auto configured = host_base_urls.find(host);
  return configured == host_base_urls.end() ? "https://" + host : configured->second;
}

std::shared_ptr<UpstreamCall> UpstreamCall::Create(const UpstreamDeps& deps, const Account& account,
                                                   bool needs_token, Build build,
                                                   absl::Time deadline, Done done,
                                                   AnswerKind answer_kind) {
  return std::shared_ptr<UpstreamCall>(new UpstreamCall(
      deps, account, needs_token, std::move(build), deadline, std::move(done), answer_kind));
}

UpstreamCall::UpstreamCall(const UpstreamDeps& deps, const Account& account, bool needs_token,
                           Build build, absl::Time deadline, Done done, AnswerKind answer_kind)
    : deps_(deps),
      account_(account),
      needs_token_(needs_token),
      build_(std::move(build)),
      deadline_(deadline),
      done_(std::move(done)),
      answer_kind_(answer_kind) {}

void UpstreamCall::Begin() {
  if (!needs_token_) return Send("");
  deps_.tokens->GetAccessToken(account_,
                               [self = shared_from_this()](absl::StatusOr<std::string> token) {
                                 if (!token.ok()) return self->Finish(token.status());
                                 self->Send(*token);
                               });
}

void UpstreamCall::Send(const std::string& token) {
  const absl::Duration left = deadline_ - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return Finish(GatewayError(absl::StatusCode::kDeadlineExceeded, "DEADLINE_BEFORE_UPSTREAM",
                               "the call's deadline passed before the upstream request was sent"));
  }
  absl::StatusOr<HttpRequest> request =
      build_({.access_token = token, .appid = account_.appid, .secret = account_.secret},
             std::min(left, deps_.timeout));
  if (!request.ok()) return Finish(request.status());
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    cancelled = cancelled_;
    if (!cancelled) {
      transfer_ = deps_.upstream->Send(
          *std::move(request),
          [self = shared_from_this(), token](absl::StatusOr<HttpResponse> answer) {
            self->OnAnswer(token, std::move(answer));
          });
    }
  }
  if (cancelled) Finish(absl::CancelledError("the caller cancelled the call"));
}

void UpstreamCall::OnAnswer(const std::string& token, absl::StatusOr<HttpResponse> answer) {
  if (!answer.ok()) return Finish(answer.status());
  absl::StatusOr<CheckedAnswer> checked = CheckAnswer(*std::move(answer), answer_kind_);
  if (!checked.ok() && needs_token_ && !retried_ && IsStaleTokenError(checked.status())) {
    retried_ = true;
    deps_.tokens->Invalidate(account_, token);
    return Begin();
  }
  Finish(std::move(checked));
}

void UpstreamCall::Finish(absl::StatusOr<CheckedAnswer> outcome) {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
  }
  std::move(done_)(std::move(outcome));
}

void UpstreamCall::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (transfer_) deps_.upstream->Cancel(*transfer_);
}

void CallCancellation::Attach(std::shared_ptr<UpstreamCall> call) {
  absl::MutexLock lock(&mu_);
  call_ = std::move(call);
  if (cancelled_) call_->Cancel();
}

void CallCancellation::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (call_) call_->Cancel();
}

}  // namespace wxgate
