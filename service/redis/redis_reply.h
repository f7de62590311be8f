// RedisReply: an owned copy of one answer from Redis (hiredis frees its own once
// the callback returns), so that it can travel to any thread.
//
//   HGET k f        -> {type: kString, str: "v"}   or {type: kNil}
//   INCR k          -> {type: kInteger, integer: 4}
//   EVAL ... {1,2}  -> {type: kArray, elements: [{kInteger 1}, {kInteger 2}]}
//
// An error answer to the command itself never arrives as a RedisReply: RedisClient
// turns it into a status. Errors nested in an array (of EXEC) stay kError elements.
#ifndef WXGATE_SERVICE_REDIS_REDIS_REPLY_H_
#define WXGATE_SERVICE_REDIS_REDIS_REPLY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wxgate {

struct RedisReply {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
  // The integer of a kInteger, or of a kString holding one (hash fields are strings).
  std::optional<int64_t> AsInteger() const;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_REDIS_REDIS_REPLY_H_
