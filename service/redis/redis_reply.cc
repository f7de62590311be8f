#include "service/redis/redis_reply.h"

#include "absl/strings/numbers.h"

namespace wxgate {

std::optional<int64_t> RedisReply::AsInteger() const {
  if (type == Type::kInteger) return integer;
  int64_t parsed = 0;
  if (type == Type::kString && absl::SimpleAtoi(str, &parsed)) return parsed;
  return std::nullopt;
}

}  // namespace wxgate
