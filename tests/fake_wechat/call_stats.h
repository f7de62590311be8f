// CallStats counts what the fake received, for tests to assert on while it serves:
// requests per path (query stripped), accepted connections, the last request of
// each path and, for paths asked for, requests by body. Thread-safe.
#ifndef WXGATE_TESTS_FAKE_WECHAT_CALL_STATS_H_
#define WXGATE_TESTS_FAKE_WECHAT_CALL_STATS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "tests/fake_wechat/http_message.h"

namespace wxgate::fake {

class CallStats {
 public:
  void RecordRequest(const HttpRequest& request);
  void RecordConnection() { connections_.fetch_add(1, std::memory_order_relaxed); }

  int64_t Calls(absl::string_view path) const;
  std::map<std::string, int64_t> AllCalls() const;  // sorted, for stable JSON
  int64_t Connections() const { return connections_.load(std::memory_order_relaxed); }
  std::optional<HttpRequest> Last(absl::string_view path) const;
  // Requests to `path` are also counted by body from now on.
  void CountBodiesOf(std::string path);
  std::map<std::string, int64_t> BodyCounts(absl::string_view path) const;

  void Reset();

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, int64_t> calls_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, HttpRequest> last_ ABSL_GUARDED_BY(mu_);
  // By path, of the paths CountBodiesOf named: body → requests.
  absl::flat_hash_map<std::string, std::map<std::string, int64_t>> bodies_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> connections_{0};
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_CALL_STATS_H_
