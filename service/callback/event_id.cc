#include "service/callback/event_id.h"

#include <atomic>
#include <cstdint>

#include "absl/strings/str_format.h"
#include "auth/random_bytes.h"

namespace wxgate {
namespace {

uint64_t ProcessPrefix() {
  static const uint64_t prefix = [] {
    uint64_t value = 0;
    FillRandom(reinterpret_cast<unsigned char*>(&value), sizeof(value));
    return value;
  }();
  return prefix;
}

}  // namespace

std::string NewEventId() {
  static std::atomic<uint64_t> counter{0};
  const uint64_t count = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  return absl::StrFormat("%016x%016x", ProcessPrefix(), count);
}

}  // namespace wxgate
