// The bytes a subscriber is written for a StreamEvent, serialized once per form and
// shared by every subscriber that writes the same stored event:
//
//   StreamEventPtr event = ShareStreamEvent(std::move(decoded));  // as a store keeps it
//   WireBytesOf(event, /*include_raw_xml=*/false)  // serialized, without raw_xml
//   WireBytesOf(event, /*include_raw_xml=*/false)  // the same bytes, not serialized again
//   WireBytesOf(event, /*include_raw_xml=*/true)   // with raw_xml, serialized once too
//
// raw_xml goes to every subscriber for a push the typed fields do not hold
// completely (`unknown`, or with `untyped` elements); to the others only when they
// ask for it (include_raw_xml). An event not made by ShareStreamEvent is
// serialized on each call.
//
// Thread-safe: any number of subscribers may ask for the bytes of one event at once.
#ifndef WXGATE_SERVICE_EVENTS_STREAM_EVENT_WIRE_H_
#define WXGATE_SERVICE_EVENTS_STREAM_EVENT_WIRE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "service/events/stream_event.h"

namespace wxgate {

using WireBytes = std::shared_ptr<const std::string>;

// `event`, shared, with room for its wire bytes.
StreamEventPtr ShareStreamEvent(StreamEvent event);

// Whether every subscriber gets raw_xml with `event`, asked for or not.
bool RawXmlAlwaysSent(const StreamEvent& event);

// The serialized SubscribeResponse a subscriber that did (or did not) ask for
// raw_xml is written.
WireBytes WireBytesOf(const StreamEventPtr& event, bool include_raw_xml);

// What keeping `event` may cost, for a store bounded by bytes: the event in memory
// and both forms of its wire bytes, cached or not yet. An estimate from above: the
// event's serialized size twice over (its fields, and the headers and slack of its
// strings and messages), the two wire forms at most that size each, plus
// kRetainedOverheadBytes for the shared pointer, the cache and the store's entry.
inline constexpr size_t kRetainedOverheadBytes = 512;
size_t RetainedBytesOf(const StreamEvent& event);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_STREAM_EVENT_WIRE_H_
