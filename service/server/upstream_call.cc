#include "service/server/upstream_call.h"

#include <utility>

#include "service/errors/error_info.h"
#include "service/errors/wechat_errors.h"
#include "service/transcode/answer_parser.h"

namespace wxgate {

std::shared_ptr<UpstreamCall> UpstreamCall::Create(const UpstreamDeps& deps, const Account& account,
                                                   bool needs_token, Build build,
                                                   absl::Time deadline, Done done) {
  return std::shared_ptr<UpstreamCall>(
      new UpstreamCall(deps, account, needs_token, std::move(build), deadline, std::move(done)));
}

UpstreamCall::UpstreamCall(const UpstreamDeps& deps, const Account& account, bool needs_token,
                           Build build, absl::Time deadline, Done done)
    : deps_(deps),
      account_(account),
      needs_token_(needs_token),
      build_(std::move(build)),
      deadline_(deadline),
      done_(std::move(done)) {}

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
  absl::StatusOr<nlohmann::json> json = ParseAnswerJson(*answer);
  if (!json.ok() && needs_token_ && !retried_ && IsStaleTokenError(json.status())) {
    retried_ = true;
    deps_.tokens->Invalidate(account_, token);
    return Begin();
  }
  Finish(std::move(json));
}

void UpstreamCall::Finish(absl::StatusOr<nlohmann::json> outcome) {
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

}  // namespace wxgate
