#include "service/observe/request_id.h"

#include <atomic>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wxgate {

std::string NewRequestId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t start = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()));
  return absl::StrCat(absl::Hex(start), "-", counter.fetch_add(1) + 1);
}

bool UsableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace wxgate
