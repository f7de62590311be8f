// Whether a push is fresh. WeChat signs each push's callback URL together with its
// `timestamp` (Unix seconds, WeChat's clock), so a captured push can be replayed but
// not re-dated. A push signed more than max_age ago, or more than max_ahead ahead of
// the gateway's clock, is refused:
//
//   PushFreshness fresh({.max_age = absl::Minutes(5), .max_ahead = absl::Minutes(1)});
//   fresh.Check("1700000000", absl::FromUnixSeconds(1700000003))  -> OK (3 s of skew)
//   fresh.Check("1700000000", absl::FromUnixSeconds(1700000300))  -> PERMISSION_DENIED
//   fresh.Check("1700000061", absl::FromUnixSeconds(1700000000))  -> PERMISSION_DENIED
//   fresh.Check("17e8", ...)                                      -> INVALID_ARGUMENT
//
// Replays are closed together with PushDedup: a push younger than max_age is a
// repeat as long as the dedup window remembers it, which it does when the window is
// at least max_age + max_ahead (a push stamped max_ahead in the future stays young
// that much longer). MinDedupWindow() says how long; the configuration enforces it.
//
// Immutable, so thread-safe.
#ifndef WXGATE_SERVICE_CALLBACK_PUSH_FRESHNESS_H_
#define WXGATE_SERVICE_CALLBACK_PUSH_FRESHNESS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace wxgate {

class PushFreshness {
 public:
  struct Limits {
    // How long ago a push may have been signed (events.max_push_age).
    absl::Duration max_age = absl::Minutes(5);
    // How far ahead of the gateway's clock WeChat's may be (events.max_push_ahead).
    absl::Duration max_ahead = absl::Minutes(1);
  };

  explicit PushFreshness(Limits limits) : limits_(limits) {}

  // OK when `timestamp` is within (now - max_age, now + max_ahead].
  // INVALID_ARGUMENT when it is not Unix seconds (digits only); PERMISSION_DENIED
  // when it is too old or too far ahead. The message says which, by how much, and
  // names the setting.
  absl::Status Check(absl::string_view timestamp, absl::Time now) const;

  // The shortest dedup window that still remembers every push Check lets through.
  absl::Duration MinDedupWindow() const { return limits_.max_age + limits_.max_ahead; }

 private:
  const Limits limits_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_PUSH_FRESHNESS_H_
