// FailoverTransport: an HttpTransport that sends requests for the primary base URL
// to whichever of WeChat's domains works (DomainSelector), and sends a request that
// failed there on to the next domain when that is safe (failover_policy.h).
//
//   DomainSelector domains({"https://api.weixin.qq.com", "https://api2.weixin.qq.com"}, 10s);
//   FailoverTransport transport(&client, &domains);
//   transport.Send({.url = "https://api.weixin.qq.com/cgi-bin/user/info?…",
//                   .repeatable = true}, done);
//   → GET https://api.weixin.qq.com/cgi-bin/user/info?…   connection refused
//   → GET https://api2.weixin.qq.com/cgi-bin/user/info?…  200: `done` gets this answer
//
// Requests are built against the primary base URL; only the base is replaced, the
// path and query stay. A URL that does not start with the primary's (another host's
// endpoint) passes through unchanged. The request's timeout bounds every attempt
// together, so failover never outlasts the call's deadline; `done` gets the last
// attempt's outcome. Cancel aborts the attempt in flight and sends no more.
// Thread-safe. Does not own `inner` or `domains`; both outlive it.
#ifndef WXGATE_SERVICE_UPSTREAM_FAILOVER_TRANSPORT_H_
#define WXGATE_SERVICE_UPSTREAM_FAILOVER_TRANSPORT_H_

#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/upstream/domain_selector.h"
#include "service/upstream/http_transport.h"

namespace wxgate {

class FailoverTransport : public HttpTransport {
 public:
  FailoverTransport(HttpTransport* inner, DomainSelector* domains,
                    std::function<absl::Time()> now = absl::Now);
  FailoverTransport(const FailoverTransport&) = delete;
  FailoverTransport& operator=(const FailoverTransport&) = delete;

  TransferId Send(HttpRequest request, Done done) override;
  void Cancel(TransferId id) override;

 private:
  struct Call;
  void SendAttempt(const std::shared_ptr<Call>& call);
  void OnOutcome(const std::shared_ptr<Call>& call, DomainSelector::Attempt attempt,
                 absl::StatusOr<HttpResponse> outcome);
  void Finish(const std::shared_ptr<Call>& call, absl::StatusOr<HttpResponse> outcome);

  HttpTransport* const inner_;
  DomainSelector* const domains_;
  const std::function<absl::Time()> now_;

  absl::Mutex mu_;
  absl::flat_hash_map<TransferId, std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
  TransferId last_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_FAILOVER_TRANSPORT_H_
