#include "tests/fake_wechat/failure_injector.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/fake_wechat/wechat_reply.h"

namespace wxgate::fake {

void FailureInjector::Inject(std::string path, Failure failure, int times) {
  absl::MutexLock lock(&mu_);
  if (times == 0) {
    pending_.erase(path);
    return;
  }
  pending_[std::move(path)].push_back(Pending{std::move(failure), times});
}

std::optional<Failure> FailureInjector::Take(absl::string_view path) {
  absl::MutexLock lock(&mu_);
  auto it = pending_.find(path);
  if (it == pending_.end()) return std::nullopt;
  std::deque<Pending>& queue = it->second;
  Failure failure = queue.front().failure;
  if (queue.front().remaining > 0 && --queue.front().remaining == 0) queue.pop_front();
  if (queue.empty()) pending_.erase(it);
  return failure;
}

HttpReply RenderFailure(const Failure& failure) {
  switch (failure.kind) {
    case FailureKind::kHttpStatus:
      return TextReply(failure.http_status,
                       absl::StrCat("fake_wechat: injected HTTP ", failure.http_status, "\n"));
    case FailureKind::kNotJson: {
      HttpReply reply = TextReply(200, "<html><body><h1>502 Bad Gateway</h1></body></html>\n");
      reply.content_type = "text/html; charset=utf-8";
      return reply;
    }
    case FailureKind::kTruncated: {
      HttpReply reply = JsonReply({{"errcode", 0}, {"errmsg", "ok"}});
      reply.body.resize(reply.body.size() / 2);
      reply.mode = ReplyMode::kTruncate;
      return reply;
    }
    case FailureKind::kCloseWithoutAnswer: {
      HttpReply reply;
      reply.mode = ReplyMode::kClose;
      return reply;
    }
    case FailureKind::kErrcode:
      return ErrcodeReply(failure.errcode,
                          failure.errmsg.empty() ? "fake: injected errcode" : failure.errmsg);
    case FailureKind::kFile: {
      HttpReply reply = TextReply(200, failure.body);
      reply.content_type = failure.content_type;
      return reply;
    }
  }
  return TextReply(500, "fake_wechat: unknown failure kind\n");
}

}  // namespace wxgate::fake
