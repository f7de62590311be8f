#include "service/events/stream_event_wire.h"

#include <mutex>
#include <utility>

namespace wxgate {
namespace {

// The two forms of one event's bytes, each made on first use. Lives in the shared
// pointer's deleter, so that every copy of the pointer (aliases included) finds it.
struct WireCache {
  std::once_flag full_once;
  WireBytes full;
  std::once_flag without_raw_xml_once;
  WireBytes without_raw_xml;
};

struct DeleteWithWire {
  std::shared_ptr<WireCache> cache;
  void operator()(const StreamEvent* event) const { delete event; }
};

WireBytes Serialized(const StreamEvent& event) {
  auto bytes = std::make_shared<std::string>();
  event.SerializeToString(bytes.get());
  return bytes;
}

WireBytes SerializedWithoutRawXml(const StreamEvent& event) {
  StreamEvent copy = event;
  if (copy.has_component_event()) {
    copy.mutable_component_event()->clear_raw_xml();
  } else {
    copy.mutable_event()->clear_raw_xml();
  }
  return Serialized(copy);
}

const std::string& RawXmlOf(const StreamEvent& event) {
  return event.has_component_event() ? event.component_event().raw_xml() : event.event().raw_xml();
}

}  // namespace

StreamEventPtr ShareStreamEvent(StreamEvent event) {
  return StreamEventPtr(new StreamEvent(std::move(event)),
                        DeleteWithWire{std::make_shared<WireCache>()});
}

bool RawXmlAlwaysSent(const StreamEvent& event) {
  if (event.has_component_event()) {
    return event.component_event().has_unknown() || !event.component_event().untyped().empty();
  }
  return event.event().has_unknown() || !event.event().untyped().empty();
}

WireBytes WireBytesOf(const StreamEventPtr& event, bool include_raw_xml) {
  // Without raw_xml to leave out, both forms are the same bytes.
  const bool full = include_raw_xml || RawXmlOf(*event).empty() || RawXmlAlwaysSent(*event);
  const DeleteWithWire* owner = std::get_deleter<DeleteWithWire>(event);
  if (owner == nullptr) return full ? Serialized(*event) : SerializedWithoutRawXml(*event);
  WireCache& cache = *owner->cache;
  if (full) {
    std::call_once(cache.full_once, [&] { cache.full = Serialized(*event); });
    return cache.full;
  }
  std::call_once(cache.without_raw_xml_once,
                 [&] { cache.without_raw_xml = SerializedWithoutRawXml(*event); });
  return cache.without_raw_xml;
}

size_t RetainedBytesOf(const StreamEvent& event) {
  return kRetainedOverheadBytes + 4 * event.ByteSizeLong();
}

}  // namespace wxgate
