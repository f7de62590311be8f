// StreamEvent: one entry of the event log and of every subscriber's stream, the
// wxgate.v1.SubscribeResponse itself: a push to an account (`event`) or to a
// third-party platform (`component_event`). The log stores it once and each
// subscriber is written that same message, so the pipeline (store, hub, dedup, the
// shared Redis log) handles both kinds alike through the header they share:
//
//   StreamEvent event = StreamEventOf(decoded);   // a ComponentEvent, or an Event
//   SetCursorOf(event, 42);
//   CursorOf(event) == 42, IdOf(event) == decoded.id()
#ifndef WXGATE_SERVICE_EVENTS_STREAM_EVENT_H_
#define WXGATE_SERVICE_EVENTS_STREAM_EVENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "wxgate/v1/event.pb.h"

namespace wxgate {

using StreamEvent = wxgate::v1::SubscribeResponse;
using StreamEventPtr = std::shared_ptr<const StreamEvent>;

StreamEvent StreamEventOf(wechat::mp::v1::Event event);
StreamEvent StreamEventOf(wechat::open::v1::ComponentEvent event);

// The header, read from whichever member is set (empty or 0 when neither is).
uint64_t CursorOf(const StreamEvent& event);
const std::string& IdOf(const StreamEvent& event);
// The account the event belongs to: the appid of an account's push, the
// component_appid of a third-party platform's.
const std::string& AppidOf(const StreamEvent& event);

void SetCursorOf(StreamEvent& event, uint64_t cursor);

// The account push, sharing ownership with `event`; nullptr for a component push.
std::shared_ptr<const wechat::mp::v1::Event> AccountPushOf(const StreamEventPtr& event);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_STREAM_EVENT_H_
