#include "service/callback/push_freshness.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace wxgate {

absl::Status PushFreshness::Check(absl::string_view timestamp, absl::Time now) const {
  int64_t seconds = 0;
  // SimpleAtoi also takes a sign and surrounding spaces: WeChat sends digits only.
  const bool digits_only = !timestamp.empty() && timestamp.size() <= 12 &&
                           std::all_of(timestamp.begin(), timestamp.end(), absl::ascii_isdigit);
  if (!digits_only || !absl::SimpleAtoi(timestamp, &seconds)) {
    return absl::InvalidArgumentError(
        "the callback URL's timestamp is not Unix seconds (up to 12 digits)");
  }
  const absl::Duration age = now - absl::FromUnixSeconds(seconds);
  if (age >= limits_.max_age) {
    return absl::PermissionDeniedError(absl::StrCat(
        "stale push: signed ", absl::FormatDuration(absl::Trunc(age, absl::Seconds(1))),
        " ago, events.max_push_age is ", absl::FormatDuration(limits_.max_age),
        " (a replay, or the gateway's clock is off)"));
  }
  if (-age > limits_.max_ahead) {
    return absl::PermissionDeniedError(absl::StrCat(
        "push from the future: signed ", absl::FormatDuration(absl::Trunc(-age, absl::Seconds(1))),
        " ahead of the gateway's clock, events.max_push_ahead is ",
        absl::FormatDuration(limits_.max_ahead), " (the gateway's clock may be behind)"));
  }
  return absl::OkStatus();
}

}  // namespace wxgate
