#include "service/redis/redis_poller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/observe/log.h"

namespace wxgate {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(2);
constexpr absl::Duration kIdle = absl::Milliseconds(50);

}  // namespace

RedisPoller::RedisPoller(RedisOptions redis, std::string name, Command command, Handle handle)
    : name_(std::move(name)),
      command_(std::move(command)),
      handle_(std::move(handle)),
      backoff_(kFirstBackoff),
      redis_(std::make_unique<RedisClient>(std::move(redis))) {
  redis_->After(absl::ZeroDuration(), [this] { Send(); });
}

RedisPoller::~RedisPoller() {
  // Then redis_, the last member, is destroyed first: that fails the command in
  // flight, whose callback sees stopping_. Not redis_.reset(): it nulls the pointer
  // before the client's thread has stopped, and a callback running meanwhile that
  // calls redis_->After would crash.
  stopping_ = true;
}

void RedisPoller::Send() {
  if (stopping_) return;
  std::optional<std::vector<std::string>> command = command_();
  if (!command) return redis_->After(kIdle, [this] { Send(); });
  redis_->Command(*std::move(command), [this](absl::StatusOr<RedisReply> answer) {
    if (stopping_) return;
    if (!answer.ok()) return RetryLater();  // the client logs the outage
    if (absl::Status handled = handle_(*answer); !handled.ok()) {
      Log(LogLevel::kError, absl::StrCat(name_, "_failed"), {{"error", handled.message()}});
      return RetryLater();
    }
    backoff_ = kFirstBackoff;
    Send();
  });
}

void RedisPoller::RetryLater() {
  redis_->After(backoff_, [this] { Send(); });
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

}  // namespace wxgate
