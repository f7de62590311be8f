#include "service/events/stream_event.h"

#include <utility>

namespace wxgate {

StreamEvent StreamEventOf(wechat::mp::v1::Event event) {
  StreamEvent stream_event;
  *stream_event.mutable_event() = std::move(event);
  return stream_event;
}

StreamEvent StreamEventOf(wechat::open::v1::ComponentEvent event) {
  StreamEvent stream_event;
  *stream_event.mutable_component_event() = std::move(event);
  return stream_event;
}

uint64_t CursorOf(const StreamEvent& event) {
  return event.has_component_event() ? event.component_event().cursor() : event.event().cursor();
}

const std::string& IdOf(const StreamEvent& event) {
  return event.has_component_event() ? event.component_event().id() : event.event().id();
}

const std::string& AppidOf(const StreamEvent& event) {
  return event.has_component_event() ? event.component_event().component_appid()
                                     : event.event().appid();
}

void SetCursorOf(StreamEvent& event, uint64_t cursor) {
  if (event.has_component_event()) {
    event.mutable_component_event()->set_cursor(cursor);
  } else {
    event.mutable_event()->set_cursor(cursor);
  }
}

std::shared_ptr<const wechat::mp::v1::Event> AccountPushOf(const StreamEventPtr& event) {
  if (event == nullptr || !event->has_event()) return nullptr;
  return {event, &event->event()};
}

}  // namespace wxgate
