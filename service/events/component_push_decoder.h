// A push to a third-party platform (its XML, decrypted) as a typed
// wechat.open.v1.ComponentEvent:
//
//   <xml><AppId>wx_component</AppId><CreateTime>1413192760</CreateTime>
//        <InfoType>unauthorized</InfoType><AuthorizerAppid>wx_oa</AuthorizerAppid></xml>
//   -> ComponentEvent{component_appid: "wx_component" create_time: 1413192760
//                     info_type: "unauthorized" unauthorized {authorizer_appid: "wx_oa"}}
//
// A push with <InfoType> (the authorization-event URL) chooses the member whose
// (wxgate.push) info_type is that InfoType, as WeChat spells it. Any other push (an
// event about a managed mini program, on its message-and-event URL) chooses by
// MsgType and Event, compared case-insensitively, and fills the mp-style header
// (to_user_name, from_user_name, msg_type, event). The payload is read by the same
// generic XML -> proto mapping as wechat.mp.v1.Event (ReadXmlFields). A push no member
// matches becomes `unknown`, a flat map of its elements. Elements the payload has no
// field for, and values that do not parse, are listed in `unplaced` and in
// ComponentEvent.untyped; raw_xml is always `xml`, byte for byte.
// Fills neither authorizer_appid (the URL's), id, cursor nor received_time: the
// caller knows them. Which URL and which decoder a push takes is the caller's
// business: every other push of an authorized account is a wechat.mp.v1.Event.
#ifndef WXGATE_SERVICE_EVENTS_COMPONENT_PUSH_DECODER_H_
#define WXGATE_SERVICE_EVENTS_COMPONENT_PUSH_DECODER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "wechat/open/v1/events.pb.h"

namespace wxgate {

struct DecodedComponentPush {
  wechat::open::v1::ComponentEvent event;
  std::vector<std::string> unplaced;
};

// INVALID_ARGUMENT when the XML does not parse (or has a DOCTYPE), its root is not
// <xml>, or it has neither InfoType nor MsgType.
absl::StatusOr<DecodedComponentPush> DecodeComponentPush(absl::string_view xml);

// Whether a push with this MsgType and Event, on an authorized account's
// message-and-event URL, is a ComponentEvent (about a mini program the component
// manages: "event"/"weapp_audit_success", ...) rather than the account's own.
bool IsComponentEvent(absl::string_view msg_type, absl::string_view event);

// The (wxgate.push) annotation of every payload member, keyed as DecodeComponentPush
// looks them up: "info/authorized" (as spelled), "event/weapp_audit_success"
// (lowercase).
std::vector<std::string> KnownComponentPushKinds();

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_COMPONENT_PUSH_DECODER_H_
