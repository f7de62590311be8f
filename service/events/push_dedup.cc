#include "service/events/push_dedup.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "service/events/event_filter.h"

namespace wxgate {
namespace {

// The payload's msg_id (MsgId, or MsgID of job-finished events); 0 when none.
int64_t MsgIdOf(const wechat::mp::v1::Event& event) {
  const auto* member = event.GetReflection()->GetOneofFieldDescriptor(
      event, event.GetDescriptor()->FindOneofByName("payload"));
  if (member == nullptr) return 0;
  const auto& payload = event.GetReflection()->GetMessage(event, member);
  const auto* field = payload.GetDescriptor()->FindFieldByName("msg_id");
  if (field == nullptr || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_INT64) {
    return 0;
  }
  return payload.GetReflection()->GetInt64(payload, field);
}

// A component push's header and XML (its header alone when the XML is withheld, as a
// ticket's is).
std::string ComponentPushParts(const wechat::open::v1::ComponentEvent& event) {
  return absl::StrCat(event.component_appid(), "|", event.info_type(), "|", event.create_time(),
                      "|", event.authorizer_appid(), "|", event.event(), "|", event.raw_xml());
}

}  // namespace

std::string PushIdentity(const StreamEvent& stream_event) {
  const wechat::mp::v1::Event& event = stream_event.event();
  const int64_t msg_id = MsgIdOf(event);
  const std::string parts =
      stream_event.has_component_event() ? ComponentPushParts(stream_event.component_event())
      : msg_id != 0
          ? absl::StrCat(event.appid(), "|", event.msg_type(), "|", msg_id)
          : absl::StrCat(event.appid(), "|", event.from_user_name(), "|", event.create_time(), "|",
                         event.msg_type(), "|", event.event(), "|", EventKeyOf(event));
  // A digest: the parts are as long as the push makes them, an identity is not.
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(parts.data()), parts.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 16));
}

bool PushDedup::FirstSighting(const std::string& identity) {
  const absl::Time now = now_();
  absl::MutexLock lock(&mu_);
  while (!by_age_.empty() && now - by_age_.front().first >= window_) {
    seen_.erase(by_age_.front().second);
    by_age_.pop_front();
  }
  if (seen_.contains(identity)) return false;
  // Full: the oldest identity makes room, before its window has passed.
  while (!by_age_.empty() && by_age_.size() >= max_entries_) {
    seen_.erase(by_age_.front().second);
    by_age_.pop_front();
  }
  seen_.insert(identity);
  by_age_.emplace_back(now, identity);
  return true;
}

}  // namespace wxgate
