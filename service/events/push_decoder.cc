#include "service/events/push_decoder.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/events/xml_codec.h"
#include "wxgate/annotations.pb.h"

namespace wxgate {
namespace {

using google::protobuf::FieldDescriptor;
using wechat::mp::v1::Event;

constexpr absl::string_view kHeader[] = {"ToUserName", "FromUserName", "CreateTime", "MsgType"};

// WeChat's docs give <Event> to MsgType "event" and "device_event" only; in any other
// push it is an element like the rest, and does not choose the payload.
bool TakesEvent(absl::string_view msg_type) {
  return absl::EqualsIgnoreCase(msg_type, "event") ||
         absl::EqualsIgnoreCase(msg_type, "device_event");
}

std::string PushKind(absl::string_view msg_type, absl::string_view event) {
  std::string kind = absl::AsciiStrToLower(msg_type);
  if (!event.empty()) absl::StrAppend(&kind, "/", absl::AsciiStrToLower(event));
  return kind;
}

// Payload members by PushKind, from the descriptor, built once.
const std::map<std::string, const FieldDescriptor*>& PayloadMembers() {
  static const auto* members = [] {
    auto* by_kind = new std::map<std::string, const FieldDescriptor*>;
    const auto* payload = Event::descriptor()->FindOneofByName("payload");
    for (int i = 0; i < payload->field_count(); ++i) {
      const FieldDescriptor* member = payload->field(i);
      if (!member->options().HasExtension(wxgate::push)) continue;
      const wxgate::Push& push = member->options().GetExtension(wxgate::push);
      (*by_kind)[PushKind(push.msg_type(), push.event())] = member;
    }
    return by_kind;
  }();
  return *members;
}

// Whether `path` is an element of the header, which Event's own fields hold.
bool IsHeader(absl::string_view path, bool takes_event) {
  return std::find(std::begin(kHeader), std::end(kHeader), path) != std::end(kHeader) ||
         (takes_event && path == "Event");
}

void Flatten(const pugi::xml_node& parent, const std::string& prefix, bool takes_event,
             google::protobuf::Map<std::string, std::string>& fields) {
  for (const pugi::xml_node& element : parent.children()) {
    if (element.type() != pugi::node_element) continue;
    const std::string path =
        prefix.empty() ? element.name() : absl::StrCat(prefix, ".", element.name());
    if (prefix.empty() && IsHeader(path, takes_event)) continue;
    if (element.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; })) {
      Flatten(element, path, takes_event, fields);
    } else {
      fields[path] = XmlText(element);
    }
  }
}

}  // namespace

absl::StatusOr<DecodedPush> DecodePush(absl::string_view xml) {
  pugi::xml_document document;
  if (absl::Status status = ParseUntrustedXml(xml, document); !status.ok()) return status;
  const pugi::xml_node root = document.document_element();
  if (absl::string_view(root.name()) != "xml") {
    return absl::InvalidArgumentError(
        absl::StrCat("a push's root element is <xml>, not <", root.name(), ">"));
  }
  DecodedPush decoded;
  Event& event = decoded.event;
  event.set_raw_xml(std::string(xml));
  event.set_to_user_name(root.child("ToUserName").text().get());
  event.set_from_user_name(root.child("FromUserName").text().get());
  event.set_msg_type(std::string(absl::StripAsciiWhitespace(root.child("MsgType").text().get())));
  if (event.msg_type().empty()) return absl::InvalidArgumentError("the push has no MsgType");
  const bool takes_event = TakesEvent(event.msg_type());
  if (takes_event) {
    event.set_event(std::string(absl::StripAsciiWhitespace(root.child("Event").text().get())));
  }
  const char* create_time = root.child("CreateTime").text().get();
  int64_t seconds = 0;
  if (absl::SimpleAtoi(create_time, &seconds)) {
    event.set_create_time(seconds);
  } else {
    decoded.unplaced.push_back(absl::StrCat("CreateTime=", create_time));
  }

  const auto& members = PayloadMembers();
  const auto member = members.find(PushKind(event.msg_type(), event.event()));
  if (member == members.end()) {
    Flatten(root, "", takes_event, *event.mutable_unknown()->mutable_fields());
    event.set_reply_allowed(event.msg_type() != "event");
    return decoded;
  }
  const FieldDescriptor* field = member->second;
  event.set_reply_allowed(field->options().GetExtension(wxgate::push).replies());
  auto* payload = event.GetReflection()->MutableMessage(&event, field);
  for (std::string& path : ReadXmlFields(root, *payload)) {
    if (!IsHeader(path, takes_event)) decoded.unplaced.push_back(std::move(path));
  }
  event.mutable_untyped()->Add(decoded.unplaced.begin(), decoded.unplaced.end());
  return decoded;
}

std::string PayloadName(const Event& event) {
  static const auto* payload = Event::descriptor()->FindOneofByName("payload");
  const FieldDescriptor* member = event.GetReflection()->GetOneofFieldDescriptor(event, payload);
  return member == nullptr ? "" : member->name();
}

std::vector<std::string> KnownPushKinds() {
  std::vector<std::string> kinds;
  for (const auto& [kind, member] : PayloadMembers()) kinds.push_back(kind);
  return kinds;
}

}  // namespace wxgate
