#include "service/events/redis_reply_relay.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/events/redis_event_log.h"

namespace wxgate {
namespace {

// KEYS[1] the push's reply wait key. ARGV the holders' list prefix, the message, the
// list's lifetime ms. Returns 1 when the reply is on its way, 0 when nobody waits.
constexpr char kForward[] = R"lua(
local holder = redis.call('GET', KEYS[1])
if not holder then return 0 end
redis.call('DEL', KEYS[1])
local list = ARGV[1] .. holder
redis.call('RPUSH', list, ARGV[2])
redis.call('PEXPIRE', list, ARGV[3])
return 1
)lua";

// A list nobody pops (its replica is gone) does not stay.
constexpr char kListLifetimeMs[] = "60000";

// "<event id>\n<reply XML>"; nothing after the line break: "success".
std::string MessageOf(const std::string& event_id, const std::optional<std::string>& reply_xml) {
  return absl::StrCat(event_id, "\n", reply_xml.value_or(""));
}

}  // namespace

RedisReplyRelay::RedisReplyRelay(RedisClient& redis, RedisOptions listen, Options options,
                                 ReplyBroker& broker, std::function<bool()> has_repliers)
    : redis_(redis),
      options_(std::move(options)),
      broker_(broker),
      has_repliers_(std::move(has_repliers)),
      own_list_(absl::StrCat(options_.key_prefix, "replies:", options_.replica)),
      listener_(
          std::move(listen), "reply_relay", [this] { return NextCommand(); },
          [this](const RedisReply& answer) { return Take(answer); }) {}

void RedisReplyRelay::Remember(const std::vector<StreamEventPtr>& events) {
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  while (!remembered_order_.empty() && remembered_order_.front().first < now) {
    remembered_.erase(remembered_order_.front().second);
    remembered_order_.pop_front();
  }
  for (const StreamEventPtr& stream_event : events) {
    EventPtr event = AccountPushOf(stream_event);
    if (event == nullptr || !event->reply_allowed()) continue;
    if (remembered_.try_emplace(event->id(), event).second) {
      remembered_order_.emplace_back(now + options_.remember, event->id());
    }
  }
}

RedisReplyRelay::EventPtr RedisReplyRelay::Find(const std::string& event_id) const {
  absl::MutexLock lock(&mu_);
  auto it = remembered_.find(event_id);
  return it == remembered_.end() ? nullptr : it->second;
}

void RedisReplyRelay::Forward(const std::string& event_id,
                              const std::optional<std::string>& reply_xml, Done done) {
  redis_.Command({"EVAL", kForward, "1", ReplyWaitKey(options_.key_prefix, event_id),
                  absl::StrCat(options_.key_prefix, "replies:"), MessageOf(event_id, reply_xml),
                  kListLifetimeMs},
                 [event_id, done = std::move(done)](absl::StatusOr<RedisReply> answer) mutable {
                   if (!answer.ok()) return std::move(done)(answer.status());
                   if (answer->integer != 1) {
                     return std::move(done)(ReplyBroker::NotWaiting(event_id));
                   }
                   std::move(done)(absl::OkStatus());
                 });
}

void RedisReplyRelay::Withdraw(const std::string& event_id) {
  redis_.Command({"DEL", ReplyWaitKey(options_.key_prefix, event_id)},
                 [](absl::StatusOr<RedisReply>) {});  // at worst the key expires
}

std::vector<std::string> RedisReplyRelay::NextCommand() {
  const absl::Time now = options_.now();
  beating_ = false;
  if (now >= next_beat_) {
    next_beat_ = now + options_.heartbeat;
    if (has_repliers_()) {
      beating_ = true;
      return {"ZADD", RepliersKey(options_.key_prefix),
              absl::StrCat(absl::ToUnixMillis(now + 3 * options_.heartbeat)), options_.replica};
    }
  }
  return {"BLPOP", own_list_, absl::StrCat(absl::ToDoubleSeconds(options_.block))};
}

absl::Status RedisReplyRelay::Take(const RedisReply& answer) {
  if (beating_ || answer.is_nil()) return absl::OkStatus();
  // [list, message]
  if (answer.elements.size() != 2) return absl::InternalError("unexpected BLPOP answer");
  const std::string& message = answer.elements[1].str;
  const size_t line_break = message.find('\n');
  if (line_break == std::string::npos) return absl::InternalError("malformed relayed reply");
  std::optional<std::string> reply_xml;
  if (line_break + 1 < message.size()) reply_xml = message.substr(line_break + 1);
  // False when the window ended here first: the reply came too late, as it would
  // have on this replica.
  broker_.Answer(message.substr(0, line_break), std::move(reply_xml));
  return absl::OkStatus();
}

}  // namespace wxgate
