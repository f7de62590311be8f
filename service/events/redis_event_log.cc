#include "service/events/redis_event_log.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/events/stream_event_wire.h"

namespace wxgate {
namespace {

// KEYS[1] stream, KEYS[2] dedup key ("" for none), KEYS[3] reply wait key ("" when
// WeChat does not wait for a reply), KEYS[4] the repliers' sorted set.
// ARGV now µs, dedup window ms, max events, oldest cursor kept, event bytes,
// replica holding the push, reply wait ms, now ms, "1" when a subscriber here answers
// pushes, the entry's field ("e" an account's event, "c" a component's). The wait is written only
// when some replica has such a subscriber. Returns {"1", cursor, live repliers} when appended,
// {"0", first cursor} for a duplicate. Numbers cross into Lua as doubles: µs since 1970 stay exact
// below 2^53.
constexpr char kAppend[] = R"lua(
if KEYS[2] ~= '' then
  local seen = redis.call('GET', KEYS[2])
  if seen then return {'0', seen} end
end
local cursor = tonumber(ARGV[1])
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then
  local previous = tonumber(string.match(last[1][1], '^(%d+)'))
  if previous >= cursor then cursor = previous + 1 end
end
local id = string.format('%d', cursor)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], id .. '-0', ARGV[10], ARGV[5])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4])
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], id, 'PX', ARGV[2]) end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[8])
local repliers = redis.call('ZCARD', KEYS[4])
if ARGV[9] == '1' then repliers = repliers + 1 end
if KEYS[3] ~= '' and repliers > 0 then redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7]) end
return {'1', id, repliers}
)lua";

absl::Status Malformed(absl::string_view what) {
  return absl::InternalError(absl::StrCat("Redis holds a malformed event log: ", what));
}

}  // namespace

std::string ReplyWaitKey(absl::string_view key_prefix, absl::string_view event_id) {
  return absl::StrCat(key_prefix, "reply:", event_id);
}

std::string RepliersKey(absl::string_view key_prefix) {
  return absl::StrCat(key_prefix, "repliers");
}

RedisEventLog::RedisEventLog(RedisClient& redis, Options options)
    : redis_(redis),
      options_(std::move(options)),
      stream_key_(absl::StrCat(options_.key_prefix, "events")) {}

void RedisEventLog::Append(const std::string& identity, const StreamEvent& event,
                           absl::Duration reply_wait, bool replier_here, absl::Time now,
                           AppendDone done) {
  const bool component = event.has_component_event();
  // Without the cursor: the stream entry's ID holds it.
  std::string stored;
  if (component) {
    wechat::open::v1::ComponentEvent copy = event.component_event();
    copy.clear_cursor();
    stored = copy.SerializeAsString();
  } else {
    wechat::mp::v1::Event copy = event.event();
    copy.clear_cursor();
    stored = copy.SerializeAsString();
  }
  const int64_t now_us = absl::ToUnixMicros(now);
  std::vector<std::string> command = {
      "EVAL",
      kAppend,
      "4",
      stream_key_,
      identity.empty() ? "" : absl::StrCat(options_.key_prefix, "push:", identity),
      reply_wait > absl::ZeroDuration() ? ReplyWaitKey(options_.key_prefix, IdOf(event)) : "",
      RepliersKey(options_.key_prefix),
      absl::StrCat(now_us),
      absl::StrCat(absl::ToInt64Milliseconds(options_.dedup_window)),
      absl::StrCat(options_.max_events),
      absl::StrCat(now_us - absl::ToInt64Microseconds(options_.max_age)),
      std::move(stored),
      options_.replica,
      absl::StrCat(absl::ToInt64Milliseconds(reply_wait)),
      absl::StrCat(absl::ToUnixMillis(now)),
      replier_here ? "1" : "0",
      component ? "c" : "e"};
  redis_.Command(std::move(command),
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return std::move(done)(reply.status());
                   uint64_t cursor = 0;
                   if (reply->type != RedisReply::Type::kArray || reply->elements.size() < 2 ||
                       !absl::SimpleAtoi(reply->elements[1].str, &cursor)) {
                     return std::move(done)(Malformed("unexpected answer to an append"));
                   }
                   const bool duplicate = reply->elements[0].str == "0";
                   std::move(done)(Appended{.cursor = cursor,
                                            .duplicate = duplicate,
                                            .repliers = !duplicate && reply->elements.size() == 3 &&
                                                        reply->elements[2].integer > 0});
                 });
}

void RedisEventLog::ReadAfter(uint64_t cursor, int limit, ReadDone done) {
  redis_.Command(
      {"XRANGE", stream_key_, absl::StrCat("(", cursor, "-0"), "+", "COUNT", absl::StrCat(limit)},
      [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return std::move(done)(reply.status());
        std::move(done)(EventsOf(*reply));
      });
}

absl::StatusOr<std::vector<RedisEventLog::EventPtr>> RedisEventLog::EventsOf(
    const RedisReply& entries) {
  std::vector<EventPtr> events;
  if (entries.is_nil()) return events;
  if (entries.type != RedisReply::Type::kArray) return Malformed("entries are not a list");
  for (const RedisReply& entry : entries.elements) {
    if (entry.type != RedisReply::Type::kArray || entry.elements.size() != 2 ||
        entry.elements[1].elements.size() != 2) {
      return Malformed("an entry is not [id, [field, event]]");
    }
    const std::string& id = entry.elements[0].str;
    uint64_t cursor = 0;
    if (!absl::SimpleAtoi(absl::string_view(id).substr(0, id.find('-')), &cursor)) {
      return Malformed(absl::StrCat("entry ID ", id));
    }
    const std::string& field = entry.elements[1].elements[0].str;
    const std::string& bytes = entry.elements[1].elements[1].str;
    StreamEvent event;
    const bool parsed = field == "c"   ? event.mutable_component_event()->ParseFromString(bytes)
                        : field == "e" ? event.mutable_event()->ParseFromString(bytes)
                                       : false;
    if (!parsed) {
      return Malformed(absl::StrCat("the event at ", id, " (field ", field, ") does not parse"));
    }
    SetCursorOf(event, cursor);
    events.push_back(ShareStreamEvent(std::move(event)));
  }
  return events;
}

}  // namespace wxgate
