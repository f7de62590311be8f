#include "service/observe/trace_context.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsAllZero(absl::string_view s) { return s.find_first_not_of('0') == absl::string_view::npos; }

// A random id of 16 hex digits per word, never all zero. A generator per thread:
// absl::BitGen is not thread-safe, and a lock would serialise every call.
std::string RandomHex(int words) {
  thread_local absl::BitGen random;
  std::string hex;
  do {
    hex.clear();
    for (int i = 0; i < words; ++i) {
      absl::StrAppend(&hex, absl::Hex(absl::Uniform<uint64_t>(random), absl::kZeroPad16));
    }
  } while (IsAllZero(hex));
  return hex;
}

}  // namespace

std::string TraceContext::Traceparent() const {
  return absl::StrCat("00-", trace_id, "-", span_id, "-", flags);
}

std::optional<TraceContext> ParseTraceparent(absl::string_view value) {
  // 00-<32 hex>-<16 hex>-<2 hex>: 55 characters exactly in version 00.
  if (value.size() != 55 || value.substr(0, 3) != "00-" || value[35] != '-' || value[52] != '-') {
    return std::nullopt;
  }
  TraceContext trace{.trace_id = std::string(value.substr(3, 32)),
                     .span_id = std::string(value.substr(36, 16)),
                     .flags = std::string(value.substr(53, 2))};
  if (!IsLowerHex(trace.trace_id) || !IsLowerHex(trace.span_id) || !IsLowerHex(trace.flags) ||
      IsAllZero(trace.trace_id) || IsAllZero(trace.span_id)) {
    return std::nullopt;
  }
  return trace;
}

TraceContext ContinueTrace(const std::optional<TraceContext>& parent) {
  if (parent.has_value()) {
    return {.trace_id = parent->trace_id, .span_id = RandomHex(1), .flags = parent->flags};
  }
  return {.trace_id = RandomHex(2), .span_id = RandomHex(1), .flags = "01"};
}

}  // namespace wxgate
