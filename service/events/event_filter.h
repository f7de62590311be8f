// Whether an event matches a subscriber's wxgate.v1.EventFilter: every non-empty
// part of the filter must match (appid exactly; MsgType and Event ignoring case;
// EventKey by prefix).
#ifndef WXGATE_SERVICE_EVENTS_EVENT_FILTER_H_
#define WXGATE_SERVICE_EVENTS_EVENT_FILTER_H_

#include <string>

#include "wechat/mp/v1/events.pb.h"
#include "wxgate/v1/event.pb.h"

namespace wxgate {

bool EventMatches(const wxgate::v1::EventFilter& filter, const wechat::mp::v1::Event& event);

// The EventKey of the event's payload ("" when its payload has none).
std::string EventKeyOf(const wechat::mp::v1::Event& event);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_EVENT_FILTER_H_
