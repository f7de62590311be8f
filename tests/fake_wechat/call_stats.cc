#include "tests/fake_wechat/call_stats.h"

namespace wxgate::fake {

void CallStats::RecordRequest(const HttpRequest& request) {
  absl::MutexLock lock(&mu_);
  ++calls_[request.path];
  last_[request.path] = request;
  auto counted = bodies_.find(request.path);
  if (counted != bodies_.end()) ++counted->second[request.body];
}

void CallStats::CountBodiesOf(std::string path) {
  absl::MutexLock lock(&mu_);
  bodies_[std::move(path)];
}

std::map<std::string, int64_t> CallStats::BodyCounts(absl::string_view path) const {
  absl::MutexLock lock(&mu_);
  auto it = bodies_.find(path);
  return it == bodies_.end() ? std::map<std::string, int64_t>{} : it->second;
}

int64_t CallStats::Calls(absl::string_view path) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(path);
  return it == calls_.end() ? 0 : it->second;
}

std::map<std::string, int64_t> CallStats::AllCalls() const {
  absl::MutexLock lock(&mu_);
  return std::map<std::string, int64_t>(calls_.begin(), calls_.end());
}

std::optional<HttpRequest> CallStats::Last(absl::string_view path) const {
  absl::MutexLock lock(&mu_);
  auto it = last_.find(path);
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

void CallStats::Reset() {
  absl::MutexLock lock(&mu_);
  calls_.clear();
  last_.clear();
  for (auto& [path, counts] : bodies_) counts.clear();
  connections_.store(0, std::memory_order_relaxed);
}

}  // namespace wxgate::fake
