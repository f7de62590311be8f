#include "service/events/component_push_decoder.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/events/xml_codec.h"
#include "wxgate/annotations.pb.h"

namespace wxgate {
namespace {

using google::protobuf::FieldDescriptor;
using wechat::open::v1::ComponentEvent;

// The elements ComponentEvent's own fields hold, by kind of push.
constexpr absl::string_view kAuthHeader[] = {"AppId", "CreateTime", "InfoType"};
constexpr absl::string_view kMessageHeader[] = {"ToUserName", "FromUserName", "CreateTime",
                                                "MsgType", "Event"};

std::string InfoKind(absl::string_view info_type) { return absl::StrCat("info/", info_type); }

std::string EventKind(absl::string_view msg_type, absl::string_view event) {
  return absl::StrCat(absl::AsciiStrToLower(msg_type), "/", absl::AsciiStrToLower(event));
}

// Payload members by kind, from the descriptor, built once.
const std::map<std::string, const FieldDescriptor*>& PayloadMembers() {
  static const auto* members = [] {
    auto* by_kind = new std::map<std::string, const FieldDescriptor*>;
    const auto* payload = ComponentEvent::descriptor()->FindOneofByName("payload");
    for (int i = 0; i < payload->field_count(); ++i) {
      const FieldDescriptor* member = payload->field(i);
      if (!member->options().HasExtension(wxgate::push)) continue;
      const wxgate::Push& push = member->options().GetExtension(wxgate::push);
      (*by_kind)[push.info_type().empty() ? EventKind(push.msg_type(), push.event())
                                          : InfoKind(push.info_type())] = member;
    }
    return by_kind;
  }();
  return *members;
}

template <size_t N>
bool IsHeader(absl::string_view path, const absl::string_view (&header)[N]) {
  return std::find(std::begin(header), std::end(header), path) != std::end(header);
}

template <size_t N>
void Flatten(const pugi::xml_node& parent, const std::string& prefix,
             const absl::string_view (&header)[N],
             google::protobuf::Map<std::string, std::string>& fields) {
  for (const pugi::xml_node& element : parent.children()) {
    if (element.type() != pugi::node_element) continue;
    const std::string path =
        prefix.empty() ? element.name() : absl::StrCat(prefix, ".", element.name());
    if (prefix.empty() && IsHeader(path, header)) continue;
    if (element.find_child([](pugi::xml_node n) { return n.type() == pugi::node_element; })) {
      Flatten(element, path, header, fields);
    } else {
      fields[path] = XmlText(element);
    }
  }
}

std::string Text(const pugi::xml_node& root, const char* name) {
  return std::string(absl::StripAsciiWhitespace(root.child(name).text().get()));
}

template <size_t N>
void ReadPayload(const pugi::xml_node& root, const absl::string_view (&header)[N],
                 const std::string& kind, DecodedComponentPush& decoded) {
  ComponentEvent& event = decoded.event;
  const auto& members = PayloadMembers();
  const auto member = members.find(kind);
  if (member == members.end()) {
    Flatten(root, "", header, *event.mutable_unknown()->mutable_fields());
    return;
  }
  auto* payload = event.GetReflection()->MutableMessage(&event, member->second);
  for (std::string& path : ReadXmlFields(root, *payload)) {
    if (!IsHeader(path, header)) decoded.unplaced.push_back(std::move(path));
  }
}

}  // namespace

absl::StatusOr<DecodedComponentPush> DecodeComponentPush(absl::string_view xml) {
  pugi::xml_document document;
  if (absl::Status status = ParseUntrustedXml(xml, document); !status.ok()) return status;
  const pugi::xml_node root = document.document_element();
  if (absl::string_view(root.name()) != "xml") {
    return absl::InvalidArgumentError(
        absl::StrCat("a push's root element is <xml>, not <", root.name(), ">"));
  }
  DecodedComponentPush decoded;
  ComponentEvent& event = decoded.event;
  event.set_raw_xml(std::string(xml));
  const char* create_time = root.child("CreateTime").text().get();
  int64_t seconds = 0;
  if (absl::SimpleAtoi(create_time, &seconds)) {
    event.set_create_time(seconds);
  } else {
    decoded.unplaced.push_back(absl::StrCat("CreateTime=", create_time));
  }

  if (root.child("InfoType")) {
    event.set_component_appid(Text(root, "AppId"));
    event.set_info_type(Text(root, "InfoType"));
    ReadPayload(root, kAuthHeader, InfoKind(event.info_type()), decoded);
  } else {
    event.set_msg_type(Text(root, "MsgType"));
    if (event.msg_type().empty()) {
      return absl::InvalidArgumentError("the push has neither InfoType nor MsgType");
    }
    event.set_to_user_name(root.child("ToUserName").text().get());
    event.set_from_user_name(root.child("FromUserName").text().get());
    event.set_event(Text(root, "Event"));
    ReadPayload(root, kMessageHeader, EventKind(event.msg_type(), event.event()), decoded);
  }
  event.mutable_untyped()->Add(decoded.unplaced.begin(), decoded.unplaced.end());
  return decoded;
}

bool IsComponentEvent(absl::string_view msg_type, absl::string_view event) {
  return !event.empty() && PayloadMembers().contains(EventKind(msg_type, event));
}

std::vector<std::string> KnownComponentPushKinds() {
  std::vector<std::string> kinds;
  for (const auto& [kind, member] : PayloadMembers()) kinds.push_back(kind);
  return kinds;
}

}  // namespace wxgate
