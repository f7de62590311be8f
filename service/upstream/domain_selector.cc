#include "service/upstream/domain_selector.h"

#include <utility>

namespace wxgate {

DomainSelector::DomainSelector(std::vector<std::string> base_urls, absl::Duration probe_interval,
                               OnSwitch on_switch, Clock now)
    : base_urls_(std::move(base_urls)),
      probe_interval_(probe_interval),
      on_switch_(std::move(on_switch)),
      now_(std::move(now)),
      failed_at_(base_urls_.size(), absl::InfinitePast()) {}

std::vector<size_t> DomainSelector::Plan(bool repeatable) {
  absl::MutexLock lock(&mu_);
  std::vector<size_t> plan;
  plan.reserve(base_urls_.size());
  if (current_ != 0 && repeatable && now_() >= next_probe_) {
    next_probe_ = now_() + probe_interval_;  // one probe per interval, whatever it gives
    plan.push_back(0);
  }
  for (size_t i = 0; i < base_urls_.size(); ++i) {
    const size_t domain = (current_ + i) % base_urls_.size();
    if (plan.empty() || plan.front() != domain) plan.push_back(domain);
  }
  return plan;
}

DomainSelector::Attempt DomainSelector::Begin(size_t domain) const {
  absl::MutexLock lock(&mu_);
  return {.domain = domain, .epoch = epoch_};
}

void DomainSelector::Succeeded(const Attempt& attempt) {
  Switch change;
  {
    absl::MutexLock lock(&mu_);
    failed_at_[attempt.domain] = absl::InfinitePast();
    if (attempt.domain != 0 || current_ == 0 || attempt.epoch != epoch_) return;
    change = MoveTo(0);
  }
  if (on_switch_) on_switch_(change);
}

void DomainSelector::Failed(const Attempt& attempt) {
  Switch change;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = now_();
    failed_at_[attempt.domain] = now;
    if (attempt.domain != current_ || attempt.epoch != epoch_) return;
    size_t next = current_;
    for (size_t i = 1; i < base_urls_.size() && next == current_; ++i) {
      const size_t candidate = (current_ + i) % base_urls_.size();
      if (now - failed_at_[candidate] >= probe_interval_) next = candidate;
    }
    if (next == current_) return;  // every other domain failed lately: stay
    change = MoveTo(next);
  }
  if (on_switch_) on_switch_(change);
}

std::string DomainSelector::current() const {
  absl::MutexLock lock(&mu_);
  return base_urls_[current_];
}

DomainSelector::Switch DomainSelector::MoveTo(size_t domain) {
  Switch change{
      .from = base_urls_[current_], .to = base_urls_[domain], .back_to_primary = domain == 0};
  current_ = domain;
  ++epoch_;
  // The first probe of the primary comes one interval after leaving it.
  if (domain != 0) next_probe_ = now_() + probe_interval_;
  return change;
}

}  // namespace wxgate
