#include "service/upstream/failover_policy.h"

#include <optional>

#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/upstream/request_not_sent.h"

namespace wxgate {
namespace {

// Transport failures that say the domain, not the call, is at fault.
bool IsDomainFailure(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  if (!info || info->domain() != kGatewayDomain) return false;
  for (Reason reason : {Reason::kUpstreamUnreachable, Reason::kUpstreamTls,
                        Reason::kUpstreamTruncated, Reason::kUpstreamTransport}) {
    if (info->reason() == ReasonInfo(reason).name) return true;
  }
  return false;
}

}  // namespace

AttemptVerdict JudgeAttempt(const absl::StatusOr<HttpResponse>& outcome, bool repeatable) {
  if (outcome.ok()) {
    if (outcome->status >= 500) {
      return {.domain = DomainHealth::kFailed, .try_next_domain = repeatable};
    }
    return {.domain = DomainHealth::kHealthy, .try_next_domain = false};
  }
  // Checked first: a connect timeout is UPSTREAM_TIMEOUT, marked as never sent.
  if (WasNotSent(outcome.status())) {
    return {.domain = DomainHealth::kFailed, .try_next_domain = true};
  }
  if (IsDomainFailure(outcome.status())) {
    return {.domain = DomainHealth::kFailed, .try_next_domain = repeatable};
  }
  return {};
}

}  // namespace wxgate
