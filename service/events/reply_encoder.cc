#include "service/events/reply_encoder.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "service/events/xml_codec.h"
#include "wxgate/annotations.pb.h"

namespace wxgate {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

void AppendCdata(pugi::xml_node& parent, const char* name, const std::string& value) {
  parent.append_child(name).append_child(pugi::node_cdata).set_value(value.c_str());
}

absl::Status CheckArticles(const wechat::mp::v1::Reply& reply) {
  if (!reply.has_news()) return absl::OkStatus();
  const int count = reply.news().articles_size();
  if (count >= 1 && count <= kMaxPassiveReplyArticles) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "a passive news reply carries 1 article (WeChat's limit since 2018), not ", count,
      "; send more through a customer-service message (wechat.mp.v1.KfService)"));
}

}  // namespace

absl::StatusOr<std::string> EncodeReply(const wechat::mp::v1::Reply& reply,
                                        const wechat::mp::v1::Event& push, int64_t now_seconds) {
  const auto* oneof = reply.GetDescriptor()->FindOneofByName("payload");
  const FieldDescriptor* member = reply.GetReflection()->GetOneofFieldDescriptor(reply, oneof);
  if (member == nullptr) return absl::InvalidArgumentError("the reply has no payload");
  const Message& payload = reply.GetReflection()->GetMessage(reply, member);
  if (payload.ByteSizeLong() == 0 && member->name() != "transfer_customer_service") {
    return absl::InvalidArgumentError(
        absl::StrCat("the reply's ", member->name(), " is empty; fill its fields"));
  }
  if (absl::Status status = CheckArticles(reply); !status.ok()) return status;

  pugi::xml_document document;
  pugi::xml_node root = document.append_child("xml");
  AppendCdata(root, "ToUserName", push.from_user_name());
  AppendCdata(root, "FromUserName", push.to_user_name());
  root.append_child("CreateTime").text().set(static_cast<long long>(now_seconds));
  AppendCdata(root, "MsgType", member->options().GetExtension(wxgate::push).msg_type());
  if (reply.has_news()) {
    root.append_child("ArticleCount").text().set(reply.news().articles_size());
  }
  const std::string& wrapper = member->options().GetExtension(wxgate::xml_name);
  pugi::xml_node parent = wrapper.empty() ? root : root.append_child(wrapper.c_str());
  WriteXmlFields(payload, parent);

  std::ostringstream out;
  document.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

}  // namespace wxgate
