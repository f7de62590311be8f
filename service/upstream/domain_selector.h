// DomainSelector: which of WeChat's API domains calls go to now. The first base URL
// is the primary (upstream.base_url), the others its fallbacks in order.
//
//   DomainSelector domains({"https://api", "https://api2"}, /*probe_interval=*/10s);
//   domains.Plan(/*repeatable=*/true)     → {0, 1}: the current domain first
//   auto attempt = domains.Begin(0);      → {domain 0, epoch 0}; send to base_url(0)
//   domains.Failed(attempt);              → current 1, on_switch({from api, to api2})
//   domains.Plan(true)                    → {1, 0}
//   … 10s later:
//   domains.Plan(true)                    → {0, 1}: this read probes the primary
//   domains.Succeeded(domains.Begin(0));  → current 0 again, on_switch({back_to_primary})
//
// Only a failure of the current domain switches, and only one seen on an attempt
// begun since the last switch: the calls that were in flight to a domain when it
// failed do not switch again, nor do their late successes switch back. A switch
// skips domains that failed within the last probe_interval (and have not answered
// since); when every other one did, calls stay where they are, so an outage of all
// domains does not flip calls between them on every failure. The primary
// is probed by a read only (a write that failed there could not be repeated), at
// most once per probe_interval; its success moves every later call back to it.
// Thread-safe; `on_switch` runs once per switch, without the selector's lock held.
#ifndef WXGATE_SERVICE_UPSTREAM_DOMAIN_SELECTOR_H_
#define WXGATE_SERVICE_UPSTREAM_DOMAIN_SELECTOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace wxgate {

class DomainSelector {
 public:
  struct Switch {
    std::string from, to;  // base URLs
    bool back_to_primary = false;
  };
  // One request sent to one domain, as the selector saw things when it began.
  struct Attempt {
    size_t domain = 0;
    uint64_t epoch = 0;
  };
  using OnSwitch = std::function<void(const Switch&)>;
  using Clock = std::function<absl::Time()>;

  // `base_urls` is not empty; the primary first.
  DomainSelector(std::vector<std::string> base_urls, absl::Duration probe_interval,
                 OnSwitch on_switch = nullptr, Clock now = absl::Now);
  DomainSelector(const DomainSelector&) = delete;
  DomainSelector& operator=(const DomainSelector&) = delete;

  // The domains a call may try, in order: the current one, then the others in
  // configured order after it (wrapping), or the primary first when a repeatable
  // call is due to probe it.
  std::vector<size_t> Plan(bool repeatable);
  Attempt Begin(size_t domain) const;
  void Succeeded(const Attempt& attempt);
  void Failed(const Attempt& attempt);

  const std::string& base_url(size_t domain) const { return base_urls_[domain]; }
  size_t size() const { return base_urls_.size(); }
  // The base URL calls go to now.
  std::string current() const;

 private:
  // Makes `domain` current; returns what to tell on_switch.
  Switch MoveTo(size_t domain) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<std::string> base_urls_;
  const absl::Duration probe_interval_;
  const OnSwitch on_switch_;
  const Clock now_;

  mutable absl::Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;  // switches so far
  absl::Time next_probe_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // By domain: its last failure, InfinitePast once it answered after that.
  std::vector<absl::Time> failed_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_DOMAIN_SELECTOR_H_
