#include "service/events/event_filter.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace wxgate {
namespace {

template <typename Values>
bool AnyEqualsIgnoreCase(const Values& values, const std::string& value) {
  return values.empty() || std::any_of(values.begin(), values.end(), [&](const std::string& v) {
           return absl::EqualsIgnoreCase(v, value);
         });
}

}  // namespace

std::string EventKeyOf(const wechat::mp::v1::Event& event) {
  const auto* payload_field = event.GetReflection()->GetOneofFieldDescriptor(
      event, event.GetDescriptor()->FindOneofByName("payload"));
  if (payload_field == nullptr) return "";
  const google::protobuf::Message& payload =
      event.GetReflection()->GetMessage(event, payload_field);
  const auto* key_field = payload.GetDescriptor()->FindFieldByName("event_key");
  if (key_field == nullptr || key_field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return "";
  }
  return payload.GetReflection()->GetString(payload, key_field);
}

namespace {

// The header an EventFilter reads, whichever kind the event is. EventKey is not
// here: it takes reflection to find, so it is read only for a filter that has an
// event_key_prefix (the hub matches every event against every subscriber's filter).
struct FilteredHeader {
  const std::string& appid;
  const std::string& msg_type;
  const std::string& event;
  const std::string& component_appid;
  const std::string& info_type;
};

FilteredHeader HeaderOf(const StreamEvent& stream_event) {
  static const std::string kNone;
  if (stream_event.has_component_event()) {
    const wechat::open::v1::ComponentEvent& event = stream_event.component_event();
    return {event.authorizer_appid(), event.msg_type(), event.event(), event.component_appid(),
            event.info_type()};
  }
  const wechat::mp::v1::Event& event = stream_event.event();
  return {event.appid(), event.msg_type(), event.event(), kNone, kNone};
}

template <typename Values>
bool AnyEquals(const Values& values, const std::string& value) {
  return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
}

// Component pushes have no EventKey: only the empty prefix matches them.
bool EventKeyMatches(const std::string& prefix, const StreamEvent& event) {
  if (prefix.empty()) return true;
  return !event.has_component_event() && absl::StartsWith(EventKeyOf(event.event()), prefix);
}

}  // namespace

bool EventMatches(const wxgate::v1::EventFilter& filter, const StreamEvent& event) {
  const FilteredHeader header = HeaderOf(event);
  return AnyEquals(filter.appids(), header.appid) &&
         AnyEqualsIgnoreCase(filter.msg_types(), header.msg_type) &&
         AnyEqualsIgnoreCase(filter.events(), header.event) &&
         AnyEquals(filter.component_appids(), header.component_appid) &&
         AnyEquals(filter.info_types(), header.info_type) &&
         EventKeyMatches(filter.event_key_prefix(), event);
}

}  // namespace wxgate
