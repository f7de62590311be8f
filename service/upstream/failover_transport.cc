#include "service/upstream/failover_transport.h"

#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/upstream/failover_policy.h"

namespace wxgate {
namespace {
// Marks the ids of calls this transport tracks, apart from the inner transport's own
// (passed through), which count up from 1.
constexpr HttpTransport::TransferId kOwnId = HttpTransport::TransferId{1} << 63;
}  // namespace

struct FailoverTransport::Call {
  TransferId id = 0;
  HttpRequest request;
  std::string path_and_query;  // the URL after the primary base URL
  Done done;
  absl::Time deadline;
  std::vector<size_t> plan;  // domains, in the order tried
  size_t next = 0;           // index into plan; touched by one attempt's callback at a time

  // std::mutex: one per call (see UpstreamExchange::mu_ for why not absl::Mutex).
  std::mutex mu;
  bool cancelled = false;               // guarded by mu
  int attempts_sent = 0;                // guarded by mu
  std::optional<TransferId> in_flight;  // guarded by mu: the inner transfer
};

FailoverTransport::FailoverTransport(HttpTransport* inner, DomainSelector* domains,
                                     std::function<absl::Time()> now)
    : inner_(inner), domains_(domains), now_(std::move(now)) {}

HttpTransport::TransferId FailoverTransport::Send(HttpRequest request, Done done) {
  const std::string& primary = domains_->base_url(0);
  const bool on_primary =
      absl::StartsWith(request.url, primary) &&
      (request.url.size() == primary.size() || request.url[primary.size()] == '/' ||
       request.url[primary.size()] == '?');
  if (!on_primary || domains_->size() < 2) return inner_->Send(std::move(request), std::move(done));
  auto call = std::make_shared<Call>();
  call->path_and_query = request.url.substr(primary.size());
  call->deadline = now_() + request.timeout;
  call->plan = domains_->Plan(request.repeatable);
  call->request = std::move(request);
  call->done = std::move(done);
  {
    absl::MutexLock lock(&mu_);
    call->id = kOwnId | ++last_id_;
    calls_.emplace(call->id, call);
  }
  const TransferId id = call->id;
  SendAttempt(call);
  return id;
}

void FailoverTransport::SendAttempt(const std::shared_ptr<Call>& call) {
  const size_t domain = call->plan[call->next++];
  HttpRequest http = call->request;
  http.url = absl::StrCat(domains_->base_url(domain), call->path_and_query);
  http.timeout = call->deadline - now_();
  int attempt_number = 0;
  bool cancelled;
  {
    std::lock_guard lock(call->mu);
    cancelled = call->cancelled;
    if (!cancelled) attempt_number = ++call->attempts_sent;
    call->in_flight.reset();
  }
  // `done` runs without the lock: it may cancel, which takes it.
  if (cancelled) return Finish(call, absl::CancelledError("the caller cancelled the call"));
  const DomainSelector::Attempt attempt = domains_->Begin(domain);
  // Not under call->mu: the inner transport may answer inside Send.
  const TransferId inner =
      inner_->Send(std::move(http), [this, call, attempt](absl::StatusOr<HttpResponse> outcome) {
        OnOutcome(call, attempt, std::move(outcome));
      });
  bool cancel_now;
  {
    std::lock_guard lock(call->mu);
    if (call->attempts_sent != attempt_number) return;  // answered inline, and moved on
    call->in_flight = inner;
    cancel_now = call->cancelled;  // a Cancel while Send ran did not see the id
  }
  if (cancel_now) inner_->Cancel(inner);
}

void FailoverTransport::OnOutcome(const std::shared_ptr<Call>& call,
                                  DomainSelector::Attempt attempt,
                                  absl::StatusOr<HttpResponse> outcome) {
  const AttemptVerdict verdict = JudgeAttempt(outcome, call->request.repeatable);
  if (verdict.domain == DomainHealth::kFailed) domains_->Failed(attempt);
  if (verdict.domain == DomainHealth::kHealthy) domains_->Succeeded(attempt);
  bool cancelled;
  {
    std::lock_guard lock(call->mu);
    cancelled = call->cancelled;
  }
  if (verdict.try_next_domain && !cancelled && call->next < call->plan.size() &&
      now_() < call->deadline) {
    return SendAttempt(call);
  }
  Finish(call, std::move(outcome));
}

void FailoverTransport::Finish(const std::shared_ptr<Call>& call,
                               absl::StatusOr<HttpResponse> outcome) {
  {
    absl::MutexLock lock(&mu_);
    calls_.erase(call->id);
  }
  std::move(call->done)(std::move(outcome));
}

void FailoverTransport::Cancel(TransferId id) {
  if ((id & kOwnId) == 0) return inner_->Cancel(id);  // passed through
  std::shared_ptr<Call> call;
  {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(id);
    if (it == calls_.end()) return;  // ended
    call = it->second;
  }
  std::optional<TransferId> in_flight;
  {
    std::lock_guard lock(call->mu);
    call->cancelled = true;
    in_flight = call->in_flight;
  }
  if (in_flight) inner_->Cancel(*in_flight);
}

}  // namespace wxgate
