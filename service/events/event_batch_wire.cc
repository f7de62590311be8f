#include "service/events/event_batch_wire.h"

#include <cstdint>

namespace wxgate {
namespace {

// SubscribeBatchedResponse.events: field 1, wire type 2 (length-delimited).
constexpr char kEventsTag = (1 << 3) | 2;

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

}  // namespace

size_t BatchEntrySize(size_t event_size) { return 1 + VarintSize(event_size) + event_size; }

void AppendBatchEntry(absl::string_view event_bytes, std::string& batch) {
  batch.push_back(kEventsTag);
  uint64_t length = event_bytes.size();
  while (length >= 0x80) {
    batch.push_back(static_cast<char>((length & 0x7F) | 0x80));
    length >>= 7;
  }
  batch.push_back(static_cast<char>(length));
  batch.append(event_bytes.data(), event_bytes.size());
}

}  // namespace wxgate
