#include "service/events/redis_event_tail.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/observe/log.h"

namespace wxgate {
namespace {

constexpr int kBatch = 512;
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);

}  // namespace

RedisEventTail::RedisEventTail(RedisOptions redis, std::string stream_key, uint64_t after,
                               Deliver deliver, absl::Duration block)
    : stream_key_(std::move(stream_key)),
      deliver_(std::move(deliver)),
      block_(block),
      after_(after),
      redis_(std::make_unique<RedisClient>(std::move(redis))) {
  redis_->After(absl::ZeroDuration(), [this] { Read(); });
}

RedisEventTail::~RedisEventTail() {
  stopping_ = true;
  redis_.reset();  // fails the read in flight; its callback sees stopping_
}

void RedisEventTail::Read() {
  if (stopping_) return;
  redis_->Command(
      {"XREAD", "COUNT", absl::StrCat(kBatch), "BLOCK",
       absl::StrCat(absl::ToInt64Milliseconds(block_)), "STREAMS", stream_key_,
       absl::StrCat(after_, "-0")},
      [this](absl::StatusOr<RedisReply> reply) {
        if (stopping_) return;
        if (!reply.ok()) return RetryLater();
        // nil: nothing new within `block`; else [[stream, entries]].
        absl::StatusOr<std::vector<RedisEventLog::EventPtr>> events =
            reply->is_nil() ? std::vector<RedisEventLog::EventPtr>{}
            : reply->elements.size() == 1 && reply->elements[0].elements.size() == 2
                ? RedisEventLog::EventsOf(reply->elements[0].elements[1])
                : absl::InternalError("Redis gave an unexpected XREAD answer");
        if (!events.ok()) {
          Log(LogLevel::kError, "event_tail_failed", {{"error", events.status().message()}});
          return RetryLater();
        }
        backoff_ = absl::Milliseconds(100);
        if (!events->empty()) {
          after_ = events->back()->cursor();
          deliver_(*std::move(events));
        }
        Read();
      });
}

void RedisEventTail::RetryLater() {
  redis_->After(backoff_, [this] { Read(); });
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

}  // namespace wxgate
