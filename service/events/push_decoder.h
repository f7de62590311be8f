// A push's XML (plain, or decrypted in safe mode) as a typed wechat.mp.v1.Event:
//
//   <xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName>..</FromUserName>
//        <CreateTime>1700000000</CreateTime><MsgType>event</MsgType>
//        <Event>CLICK</Event><EventKey>V1001</EventKey></xml>
//   -> Event{to_user_name: "gh_1" ... msg_type: "event" event: "CLICK"
//            click {event_key: "V1001"} reply_allowed: true}
//
// The payload member is the oneof member of Event whose (wxgate.push) matches the
// MsgType, and the Event for MsgType "event" and "device_event" only (in any other
// push an <Event> element is an ordinary one: text + <Event> is still text). A push
// no member matches becomes `unknown`, a flat map of its elements. Elements the
// payload has no field for, and values that do not parse, are listed in `unplaced`
// and in Event.untyped. raw_xml is always `xml`, byte for byte, so nothing is lost;
// EventService drops it for subscribers that did not ask for it.
// Fills neither appid, id, cursor nor received_time: the caller knows them.
#ifndef WXGATE_SERVICE_EVENTS_PUSH_DECODER_H_
#define WXGATE_SERVICE_EVENTS_PUSH_DECODER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "wechat/mp/v1/events.pb.h"

namespace wxgate {

struct DecodedPush {
  wechat::mp::v1::Event event;
  std::vector<std::string> unplaced;
};

// INVALID_ARGUMENT when the XML does not parse (or has a DOCTYPE), its root is not
// <xml>, or it has no MsgType.
absl::StatusOr<DecodedPush> DecodePush(absl::string_view xml);

// The name of the payload member `event` holds ("text", "subscribe", ..., "unknown"),
// "" for none: a bounded name for metrics.
std::string PayloadName(const wechat::mp::v1::Event& event);

// The (wxgate.push) annotation of every payload member, keyed as DecodePush looks
// them up: "text", "event/subscribe" (lowercase).
std::vector<std::string> KnownPushKinds();

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_PUSH_DECODER_H_
