#include "service/events/redis_event_tail.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace wxgate {
namespace {

constexpr size_t kBatch = 512;

}  // namespace

RedisEventTail::RedisEventTail(RedisOptions redis, std::string stream_key, uint64_t after,
                               Deliver deliver, absl::Duration block)
    : deliver_(std::move(deliver)),
      after_(after),
      poller_(
          std::move(redis), "event_tail",
          [this, stream_key = std::move(stream_key), block] {
            return std::vector<std::string>{"XREAD",
                                            "COUNT",
                                            absl::StrCat(kBatch),
                                            "BLOCK",
                                            absl::StrCat(absl::ToInt64Milliseconds(block)),
                                            "STREAMS",
                                            stream_key,
                                            absl::StrCat(after_, "-0")};
          },
          [this](const RedisReply& answer) { return Take(answer); }) {}

absl::Status RedisEventTail::Take(const RedisReply& answer) {
  if (answer.is_nil()) {  // nothing new within `block`
    if (!caught_up_.HasBeenNotified()) caught_up_.Notify();
    return absl::OkStatus();
  }
  // [[stream, entries]]
  if (answer.elements.size() != 1 || answer.elements[0].elements.size() != 2) {
    return absl::InternalError("Redis gave an unexpected XREAD answer");
  }
  absl::StatusOr<std::vector<RedisEventLog::EventPtr>> events =
      RedisEventLog::EventsOf(answer.elements[0].elements[1]);
  if (!events.ok()) return events.status();
  const bool last_batch = events->size() < kBatch;
  if (!events->empty()) {
    after_ = CursorOf(*events->back());
    deliver_(*std::move(events));
  }
  if (last_batch && !caught_up_.HasBeenNotified()) caught_up_.Notify();
  return absl::OkStatus();
}

}  // namespace wxgate
