// What one attempt at one of WeChat's domains says: is the domain healthy, and may
// the same request go to the next domain?
//
//   JudgeAttempt(HttpResponse{.status = 200, …}, /*repeatable=*/false)
//     → {kHealthy, try_next_domain false}    WeChat answered (an errcode is an answer)
//   JudgeAttempt(HttpResponse{.status = 503, …}, true)   → {kFailed, true}
//   JudgeAttempt(HttpResponse{.status = 503, …}, false)  → {kFailed, false}: a write
//     that may have been processed is never sent twice
//   JudgeAttempt(UPSTREAM_UNREACHABLE marked not sent, false) → {kFailed, true}
//   JudgeAttempt(UPSTREAM_TRUNCATED, true)   → {kFailed, true}: a read may go again
//   JudgeAttempt(UPSTREAM_TRUNCATED, false)  → {kFailed, false}
//   JudgeAttempt(CANCELLED or the gateway's own refusal, …) → {kUnknown, false}
//
// A domain failed when it could not be reached, the TLS handshake or the connection
// broke, or it answered HTTP 5xx. A timeout after the request was sent says only that
// this answer was slow (and used the call's time): no verdict, no retry.
#ifndef WXGATE_SERVICE_UPSTREAM_FAILOVER_POLICY_H_
#define WXGATE_SERVICE_UPSTREAM_FAILOVER_POLICY_H_

#include "absl/status/statusor.h"
#include "service/upstream/http_exchange.h"

namespace wxgate {

enum class DomainHealth { kUnknown, kHealthy, kFailed };

struct AttemptVerdict {
  DomainHealth domain = DomainHealth::kUnknown;
  bool try_next_domain = false;
};

// `repeatable`: the request only reads (HttpRequest::repeatable).
AttemptVerdict JudgeAttempt(const absl::StatusOr<HttpResponse>& outcome, bool repeatable);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_FAILOVER_POLICY_H_
