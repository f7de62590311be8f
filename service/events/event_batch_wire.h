// The bytes of a wxgate.v1.SubscribeBatchedResponse, put together from the bytes
// each event already has (WireBytesOf) rather than serialized again:
//
//   std::string batch;
//   batch.reserve(BatchEntrySize(a->size()) + BatchEntrySize(b->size()));
//   AppendBatchEntry(*a, batch);   // 0x0A, varint(a->size()), a's bytes
//   AppendBatchEntry(*b, batch);
//   // batch parses as SubscribeBatchedResponse{events: [a, b]}
//
// Each entry is field 1 (`events`, length-delimited) holding one serialized
// SubscribeResponse, which is what a repeated message field is on the wire.
#ifndef WXGATE_SERVICE_EVENTS_EVENT_BATCH_WIRE_H_
#define WXGATE_SERVICE_EVENTS_EVENT_BATCH_WIRE_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace wxgate {

// How many bytes AppendBatchEntry adds for an event of `event_size` bytes.
size_t BatchEntrySize(size_t event_size);

// Appends one event, given as its serialized SubscribeResponse, to `batch`.
void AppendBatchEntry(absl::string_view event_bytes, std::string& batch);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_EVENT_BATCH_WIRE_H_
