#include "service/events/redis_event_log.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

// KEYS[1] stream, KEYS[2] dedup key ("" for none).
// ARGV now µs, dedup window ms, max events, oldest cursor kept, event bytes.
// Returns {"1", cursor} when appended, {"0", first cursor} for a duplicate.
// Numbers cross into Lua as doubles: µs since 1970 stay exact below 2^53.
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
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], id .. '-0', 'e', ARGV[5])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4])
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], id, 'PX', ARGV[2]) end
return {'1', id}
)lua";

absl::Status Malformed(absl::string_view what) {
  return absl::InternalError(absl::StrCat("Redis holds a malformed event log: ", what));
}

}  // namespace

RedisEventLog::RedisEventLog(RedisClient& redis, Options options)
    : redis_(redis),
      options_(std::move(options)),
      stream_key_(absl::StrCat(options_.key_prefix, "events")) {}

void RedisEventLog::Append(const std::string& identity, const wechat::mp::v1::Event& event,
                           absl::Time now, AppendDone done) {
  wechat::mp::v1::Event stored = event;
  stored.clear_cursor();  // the stream entry's ID holds it
  const int64_t now_us = absl::ToUnixMicros(now);
  std::vector<std::string> command = {
      "EVAL",
      kAppend,
      "2",
      stream_key_,
      identity.empty() ? "" : absl::StrCat(options_.key_prefix, "push:", identity),
      absl::StrCat(now_us),
      absl::StrCat(absl::ToInt64Milliseconds(options_.dedup_window)),
      absl::StrCat(options_.max_events),
      absl::StrCat(now_us - absl::ToInt64Microseconds(options_.max_age)),
      stored.SerializeAsString()};
  redis_.Command(
      std::move(command), [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return std::move(done)(reply.status());
        uint64_t cursor = 0;
        if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 2 ||
            !absl::SimpleAtoi(reply->elements[1].str, &cursor)) {
          return std::move(done)(Malformed("unexpected answer to an append"));
        }
        std::move(done)(Appended{.cursor = cursor, .duplicate = reply->elements[0].str == "0"});
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
      return Malformed("an entry is not [id, [e, event]]");
    }
    const std::string& id = entry.elements[0].str;
    uint64_t cursor = 0;
    if (!absl::SimpleAtoi(absl::string_view(id).substr(0, id.find('-')), &cursor)) {
      return Malformed(absl::StrCat("entry ID ", id));
    }
    auto event = std::make_shared<wechat::mp::v1::Event>();
    if (!event->ParseFromString(entry.elements[1].elements[1].str)) {
      return Malformed(absl::StrCat("the event at ", id, " does not parse"));
    }
    event->set_cursor(cursor);
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace wxgate
