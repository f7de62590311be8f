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

bool EventMatches(const wxgate::v1::EventFilter& filter, const wechat::mp::v1::Event& event) {
  const auto& appids = filter.appids();
  return (appids.empty() ||
          std::find(appids.begin(), appids.end(), event.appid()) != appids.end()) &&
         AnyEqualsIgnoreCase(filter.msg_types(), event.msg_type()) &&
         AnyEqualsIgnoreCase(filter.events(), event.event()) &&
         absl::StartsWith(EventKeyOf(event), filter.event_key_prefix());
}

}  // namespace wxgate
