// A subscriber's passive reply as the XML WeChat expects in the HTTP answer to a
// push (被动回复用户消息), with the header filled from the push:
//
//   EncodeReply(Reply{image {media_id: "M1"}}, push{from_user_name: "oU1" to_user_name: "gh_1"},
//   1700000001)
//   -> <xml><ToUserName><![CDATA[oU1]]></ToUserName><FromUserName><![CDATA[gh_1]]></FromUserName>
//           <CreateTime>1700000001</CreateTime><MsgType><![CDATA[image]]></MsgType>
//           <Image><MediaId><![CDATA[M1]]></MediaId></Image></xml>
//
// The member's (wxgate.push).msg_type is the MsgType; a member with (wxgate.xml_name)
// wraps its fields in that element, the others write theirs under <xml>. News gets
// its ArticleCount.
#ifndef WXGATE_SERVICE_EVENTS_REPLY_ENCODER_H_
#define WXGATE_SERVICE_EVENTS_REPLY_ENCODER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "wechat/mp/v1/events.pb.h"
#include "wechat/mp/v1/replies.pb.h"

namespace wxgate {

// WeChat shows at most this many articles in a passive news reply (since 2018).
inline constexpr int kMaxPassiveReplyArticles = 1;

// INVALID_ARGUMENT when the reply has no payload, an empty payload, or news with
// other than one article.
absl::StatusOr<std::string> EncodeReply(const wechat::mp::v1::Reply& reply,
                                        const wechat::mp::v1::Event& push, int64_t now_seconds);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_REPLY_ENCODER_H_
