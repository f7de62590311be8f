// Drops WeChat's repeats of a push. WeChat retries a push it got no answer to
// within 5 seconds, up to three times; the repeats are byte-for-byte the same
// push, identified by MsgId, or for events by FromUserName + CreateTime + Event +
// EventKey, as WeChat's documents advise.
//
//   PushDedup dedup(absl::Minutes(5));
//   dedup.FirstSighting(PushIdentity(event))  // true: publish it
//   dedup.FirstSighting(PushIdentity(event))  // false within 5 minutes: a repeat
//
// Memory is bounded three ways: by the pushes of one window, by `max_entries`
// identities and by `max_bytes` (each identity is charged kDedupBytesPerEntry, its
// share of both containers at their emptiest; events.dedup_max_entries and
// events.dedup_max_bytes). A flood of distinct pushes faster than that within one
// window forgets the oldest identities early, so their repeats would be published
// again; the time bound alone would let memory grow with the push rate (or forever,
// on a clock that stands still).
//
// Thread-safe.
#ifndef WXGATE_SERVICE_EVENTS_PUSH_DEDUP_H_
#define WXGATE_SERVICE_EVENTS_PUSH_DEDUP_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/events/stream_event.h"

namespace wxgate {

// What identifies a push across WeChat's retries (appid included): 32 hex digits,
// half a SHA-256 of the parts, however long they are. An account's push is told by
// its MsgId, else by its header; a component push by its header and decrypted XML,
// which WeChat's retries repeat.
std::string PushIdentity(const StreamEvent& event);

// What one remembered identity costs: 16 bytes in the set (plus its control byte,
// at a load as low as 7/16) and 32 in the queue by age.
inline constexpr size_t kDedupBytesPerEntry = 80;
// Identities remembered at most, by default: 200,000 (about 16 MB) hold more than
// 550 distinct pushes a second over the default 6-minute window.
inline constexpr size_t kDefaultMaxDedupEntries = 200000;
inline constexpr size_t kDefaultMaxDedupBytes = 16 << 20;

class PushDedup {
 public:
  explicit PushDedup(absl::Duration window, std::function<absl::Time()> now = absl::Now,
                     size_t max_entries = kDefaultMaxDedupEntries,
                     size_t max_bytes = kDefaultMaxDedupBytes);

  // True unless `identity` was seen within the window.
  bool FirstSighting(const std::string& identity);

  // Identities remembered now, and the bytes they are charged.
  size_t size() const;
  size_t bytes() const { return size() * kDedupBytesPerEntry; }
  // The identities it remembers at most: the tighter of max_entries and max_bytes.
  size_t capacity() const { return capacity_; }

 private:
  // An identity's 128 bits: PushIdentity's hex digits, else a digest of it.
  struct Key {
    uint64_t high = 0;
    uint64_t low = 0;
    friend bool operator==(const Key& a, const Key& b) {
      return a.high == b.high && a.low == b.low;
    }
    template <typename H>
    friend H AbslHashValue(H hash, const Key& key) {
      return H::combine(std::move(hash), key.high, key.low);
    }
  };
  static Key KeyOf(const std::string& identity);
  void ForgetOldest();

  const absl::Duration window_;
  const std::function<absl::Time()> now_;
  const size_t capacity_;
  // A std::mutex: Debian's abseil runs deadlock checks on every absl::Mutex lock.
  mutable std::mutex mu_;
  absl::flat_hash_set<Key> seen_;
  std::deque<std::pair<absl::Time, Key>> by_age_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_PUSH_DEDUP_H_
