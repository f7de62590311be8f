// Pairs a push that waits for a passive reply with the subscriber's Reply call.
//
//   broker.Await(event, [](std::optional<std::string> reply_xml) { ... answer WeChat ... });
//   broker.Reply(event.id(), reply)   // encodes, then calls the answer with the XML
//   broker.Expire(event.id())         // the window passed: calls the answer with nullopt
//   broker.NoReplier(event.id())      // no subscriber takes replies: the same, at once
//   broker.Answer(event.id(), xml)    // a reply encoded elsewhere (another replica)
//   broker.Forget(event.id())         // the push was not kept: drops it, never answers
//
// Each answer is called exactly once, by whichever comes first, on the caller's
// thread and without the broker's lock; how the wait ended and how long it took are
// counted (wxgate_push_replies_total, wxgate_push_reply_wait_seconds). Thread-safe.
#ifndef WXGATE_SERVICE_EVENTS_REPLY_BROKER_H_
#define WXGATE_SERVICE_EVENTS_REPLY_BROKER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "wechat/mp/v1/events.pb.h"
#include "wechat/mp/v1/replies.pb.h"

namespace wxgate {

class ReplyBroker {
 public:
  using AnswerFn = std::function<void(std::optional<std::string> reply_xml)>;

  explicit ReplyBroker(std::function<absl::Time()> now = absl::Now) : now_(std::move(now)) {}

  void Await(std::shared_ptr<const wechat::mp::v1::Event> push, AnswerFn answer);

  // Answers the push with `reply` (nullopt: "success"). FAILED_PRECONDITION when
  // no push with that id is waiting (answered already, its window passed, or never
  // awaited a reply); INVALID_ARGUMENT when the reply is malformed, and then the
  // push goes on waiting.
  absl::Status Reply(const std::string& event_id,
                     const std::optional<wechat::mp::v1::Reply>& reply);

  // Answers the push with XML encoded already (nullopt: "success"); false when no
  // push with that id is waiting.
  bool Answer(const std::string& event_id, std::optional<std::string> reply_xml);

  void Expire(const std::string& event_id);
  void NoReplier(const std::string& event_id);
  // Drops a waiting push without answering it; false when none was waiting.
  bool Forget(const std::string& event_id);

  // The FAILED_PRECONDITION of a reply to a push that is not waiting (here).
  static absl::Status NotWaiting(const std::string& event_id);

  // The appid of a waiting push, for the caller's permission check; "" if none.
  std::string AppidOf(const std::string& event_id) const;
  // A waiting push (the Reply's log line names its trace), or null.
  std::shared_ptr<const wechat::mp::v1::Event> PushOf(const std::string& event_id) const;

 private:
  struct Waiting {
    std::shared_ptr<const wechat::mp::v1::Event> push;
    AnswerFn answer;
    absl::Time since;
  };

  // Calls the push's answer and counts the outcome; false when it was not waiting.
  bool Finish(const std::string& event_id, std::optional<std::string> reply_xml,
              const char* outcome);

  const std::function<absl::Time()> now_;
  // A std::mutex: Debian's abseil runs deadlock checks on every absl::Mutex lock.
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, Waiting> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_REPLY_BROKER_H_
