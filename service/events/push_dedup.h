// Drops WeChat's repeats of a push. WeChat retries a push it got no answer to
// within 5 seconds, up to three times; the repeats are byte-for-byte the same
// push, identified by MsgId, or for events by FromUserName + CreateTime + Event +
// EventKey, as WeChat's documents advise.
//
//   PushDedup dedup(absl::Minutes(5));
//   dedup.FirstSighting(PushIdentity(event))  // true: publish it
//   dedup.FirstSighting(PushIdentity(event))  // false within 5 minutes: a repeat
//
// Memory is bounded twice: by the pushes of one window, and by `max_entries`
// identities (default kDefaultMaxDedupEntries). A flood of distinct pushes faster
// than that within one window forgets the oldest identities early, so their repeats
// would be published again; the time bound alone would let memory grow with the push
// rate (or forever, on a clock that stands still).
//
// Thread-safe.
#ifndef WXGATE_SERVICE_EVENTS_PUSH_DEDUP_H_
#define WXGATE_SERVICE_EVENTS_PUSH_DEDUP_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/events/stream_event.h"

namespace wxgate {

// What identifies a push across WeChat's retries (appid included): 32 hex digits,
// half a SHA-256 of the parts, however long they are. An account's push is told by
// its MsgId, else by its header; a component push by its header and decrypted XML,
// which WeChat's retries repeat.
std::string PushIdentity(const StreamEvent& event);

// Identities remembered at most: some 150 bytes each with the containers' overhead,
// so about 15 MB; nearly 300 distinct pushes a second over the default 6-minute window.
inline constexpr size_t kDefaultMaxDedupEntries = 100000;

class PushDedup {
 public:
  explicit PushDedup(absl::Duration window, std::function<absl::Time()> now = absl::Now,
                     size_t max_entries = kDefaultMaxDedupEntries)
      : window_(window), now_(std::move(now)), max_entries_(max_entries) {}

  // True unless `identity` was seen within the window.
  bool FirstSighting(const std::string& identity);

 private:
  const absl::Duration window_;
  const std::function<absl::Time()> now_;
  const size_t max_entries_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> seen_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<absl::Time, std::string>> by_age_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_PUSH_DEDUP_H_
