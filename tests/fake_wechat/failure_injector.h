// FailureInjector decides which requests fail, and RenderFailure what a failure looks
// like on the wire (see failure.h). Per path, injections queue up in order:
//
//   Inject("/cgi-bin/user/info", {kHttpStatus, 503}, 2);
//   Inject("/cgi-bin/user/info", {kTruncated}, 1);
//   Take("/cgi-bin/user/info") -> 503, 503, truncated, then nullopt (answer normally)
//
// times < 0 fails every later request (what comes after it in the queue is never
// reached); times == 0 clears the path's queue. Thread-safe.
#ifndef WXGATE_TESTS_FAKE_WECHAT_FAILURE_INJECTOR_H_
#define WXGATE_TESTS_FAKE_WECHAT_FAILURE_INJECTOR_H_

#include <deque>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "tests/fake_wechat/failure.h"
#include "tests/fake_wechat/http_message.h"

namespace wxgate::fake {

class FailureInjector {
 public:
  void Inject(std::string path, Failure failure, int times);
  // The failure the next request to `path` must show, consuming one; nullopt if none.
  std::optional<Failure> Take(absl::string_view path);

 private:
  struct Pending {
    Failure failure;
    int remaining;  // < 0: forever
  };

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::deque<Pending>> pending_ ABSL_GUARDED_BY(mu_);
};

HttpReply RenderFailure(const Failure& failure);

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_FAILURE_INJECTOR_H_
