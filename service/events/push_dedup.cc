#include "service/events/push_dedup.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

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

PushDedup::PushDedup(absl::Duration window, std::function<absl::Time()> now, size_t max_entries,
                     size_t max_bytes)
    : window_(window),
      now_(std::move(now)),
      capacity_(std::max<size_t>(1, std::min(max_entries, max_bytes / kDedupBytesPerEntry))) {}

PushDedup::Key PushDedup::KeyOf(const std::string& identity) {
  std::string bytes;
  if (identity.size() == 32 &&
      identity.find_first_not_of("0123456789abcdef") == std::string::npos) {
    bytes = absl::HexStringToBytes(identity);
  } else {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(identity.data()), identity.size(), digest);
    bytes.assign(reinterpret_cast<const char*>(digest), 16);
  }
  Key key;
  std::memcpy(&key.high, bytes.data(), 8);
  std::memcpy(&key.low, bytes.data() + 8, 8);
  return key;
}

void PushDedup::ForgetOldest() {
  seen_.erase(by_age_.front().second);
  by_age_.pop_front();
}

bool PushDedup::FirstSighting(const std::string& identity) {
  const Key key = KeyOf(identity);
  const absl::Time now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  while (!by_age_.empty() && now - by_age_.front().first >= window_) ForgetOldest();
  if (seen_.contains(key)) return false;
  // Full: the oldest identity makes room, before its window has passed.
  while (!by_age_.empty() && by_age_.size() >= capacity_) ForgetOldest();
  seen_.insert(key);
  by_age_.emplace_back(now, key);
  return true;
}

size_t PushDedup::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_age_.size();
}

}  // namespace wxgate
