#include "service/events/reply_broker.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/events/reply_encoder.h"
#include "service/observe/metrics.h"

namespace wxgate {

void ReplyBroker::Await(std::shared_ptr<const wechat::mp::v1::Event> push, AnswerFn answer) {
  std::string id = push->id();
  Waiting waiting{std::move(push), std::move(answer), now_()};
  std::lock_guard<std::mutex> lock(mu_);
  waiting_.insert_or_assign(std::move(id), std::move(waiting));
}

absl::Status ReplyBroker::Reply(const std::string& event_id,
                                const std::optional<wechat::mp::v1::Reply>& reply) {
  // Encoded outside the lock, which the pushes coming in take too.
  const std::shared_ptr<const wechat::mp::v1::Event> push = PushOf(event_id);
  if (push == nullptr) return NotWaiting(event_id);
  std::optional<std::string> reply_xml;
  if (reply.has_value()) {
    absl::StatusOr<std::string> xml = EncodeReply(*reply, *push, absl::ToUnixSeconds(now_()));
    if (!xml.ok()) return xml.status();
    reply_xml = *std::move(xml);
  }
  // Another thread may have answered meanwhile: then this reply came too late.
  return Answer(event_id, std::move(reply_xml)) ? absl::OkStatus() : NotWaiting(event_id);
}

bool ReplyBroker::Answer(const std::string& event_id, std::optional<std::string> reply_xml) {
  const char* outcome = reply_xml ? "replied" : "declined";
  return Finish(event_id, std::move(reply_xml), outcome);
}

void ReplyBroker::Expire(const std::string& event_id) { Finish(event_id, std::nullopt, "expired"); }

void ReplyBroker::NoReplier(const std::string& event_id) {
  Finish(event_id, std::nullopt, "no_replier");
}

bool ReplyBroker::Finish(const std::string& event_id, std::optional<std::string> reply_xml,
                         const char* outcome) {
  Waiting waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = waiting_.find(event_id);
    if (it == waiting_.end()) return false;
    waiting = std::move(it->second);
    waiting_.erase(it);
  }
  Metrics& metrics = GlobalMetrics();
  const std::string& appid = waiting.push->appid();
  metrics.Count(Metric::kPushReplies, {appid, outcome});
  metrics.Observe(Metric::kPushReplyWaitSeconds, {appid},
                  absl::ToDoubleSeconds(now_() - waiting.since));
  waiting.answer(std::move(reply_xml));
  return true;
}

bool ReplyBroker::Forget(const std::string& event_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return waiting_.erase(event_id) > 0;
}

absl::Status ReplyBroker::NotWaiting(const std::string& event_id) {
  return absl::FailedPreconditionError(absl::StrCat(
      "event ", event_id,
      " is not waiting for a reply: it was answered already, its reply "
      "window passed, or no subscriber with replies=true received it; send a customer-service "
      "message instead (wechat.mp.v1.KfService/SendCustomMessage)"));
}

std::string ReplyBroker::AppidOf(const std::string& event_id) const {
  const std::shared_ptr<const wechat::mp::v1::Event> push = PushOf(event_id);
  return push == nullptr ? "" : push->appid();
}

std::shared_ptr<const wechat::mp::v1::Event> ReplyBroker::PushOf(
    const std::string& event_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = waiting_.find(event_id);
  return it == waiting_.end() ? nullptr : it->second.push;
}

}  // namespace wxgate
