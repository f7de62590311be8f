// Whether an event matches a subscriber's wxgate.v1.EventFilter: every non-empty
// part of the filter must match, compared with the event's header:
//
//   filter part        an account's push (event)    a component push (component_event)
//   appids             appid                        authorizer_appid
//   msg_types          MsgType                      MsgType
//   events             Event                        Event
//   event_key_prefix   EventKey                     "" (none has an EventKey)
//   component_appids   "" (none)                    component_appid
//   info_types         "" (none)                    InfoType
//
// appids, component_appids and info_types compare exactly; MsgType and Event
// ignoring case; EventKey by prefix. So a filter naming component_appids or
// info_types receives component pushes only, and one naming appids or msg_types
// receives no authorization-event push (they have neither).
#ifndef WXGATE_SERVICE_EVENTS_EVENT_FILTER_H_
#define WXGATE_SERVICE_EVENTS_EVENT_FILTER_H_

#include <string>

#include "service/events/stream_event.h"
#include "wechat/mp/v1/events.pb.h"
#include "wxgate/v1/event.pb.h"

namespace wxgate {

bool EventMatches(const wxgate::v1::EventFilter& filter, const StreamEvent& event);

// The EventKey of the event's payload ("" when its payload has none).
std::string EventKeyOf(const wechat::mp::v1::Event& event);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_EVENT_FILTER_H_
