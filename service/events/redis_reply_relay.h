// RedisReplyRelay: lets a Reply sent to any replica answer the push that another
// replica holds open for WeChat, and tells the replicas whether anyone answers
// pushes at all:
//
//   RedisReplyRelay relay(redis, listen_options, {.key_prefix = "wxgate:", .replica = "r1"},
//                         broker, [&] { return hub.has_repliers(); });
//   relay.Remember(events);                 // every event the tail reads
//   if (auto push = relay.Find(event_id))   // a Reply for a push held elsewhere:
//     relay.Forward(event_id, xml, done);   // OK, or FAILED_PRECONDITION: window closed
//
// The replica that appended a push waiting for a reply wrote <prefix>reply:<id> =
// itself, for the reply window (RedisEventLog). Forward takes that key and pushes
// the XML onto the holder's list <prefix>replies:<holder> in one script, so of two
// replies only one is taken, and none after the window. Each replica pops its own
// list (BLPOP on a RedisPoller) and answers through its ReplyBroker.
//
// While `has_repliers` is true this replica renews its entry in <prefix>repliers
// every `heartbeat` (between two waits on its list), good for three heartbeats: a
// push waits for a reply only while some replica has a subscriber that answers
// pushes (RedisEventLog::Appended).
//
// Thread-safe. Does not own `redis` or `broker`, which must outlive the relay.
#ifndef WXGATE_SERVICE_EVENTS_REDIS_REPLY_RELAY_H_
#define WXGATE_SERVICE_EVENTS_REDIS_REPLY_RELAY_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/events/reply_broker.h"
#include "service/events/stream_event.h"
#include "service/redis/redis_client.h"
#include "service/redis/redis_poller.h"
#include "wechat/mp/v1/events.pb.h"

namespace wxgate {

class RedisReplyRelay {
 public:
  using EventPtr = std::shared_ptr<const wechat::mp::v1::Event>;
  using Done = absl::AnyInvocable<void(absl::Status) &&>;

  struct Options {
    std::string key_prefix = "wxgate:";
    std::string replica;  // this process
    absl::Duration heartbeat = absl::Seconds(2);
    // How long a push is remembered for Find: longer than any reply window (5 s).
    absl::Duration remember = absl::Seconds(10);
    absl::Duration block = absl::Milliseconds(500);  // the BLPOP's, under command_timeout
    std::function<absl::Time()> now = absl::Now;
  };

  // `listen` configures the connection that waits for this replica's replies.
  RedisReplyRelay(RedisClient& redis, RedisOptions listen, Options options, ReplyBroker& broker,
                  std::function<bool()> has_repliers);
  RedisReplyRelay(const RedisReplyRelay&) = delete;
  RedisReplyRelay& operator=(const RedisReplyRelay&) = delete;

  // Remembers the events WeChat may be waiting on (reply_allowed), for Find.
  void Remember(const std::vector<StreamEventPtr>& events);
  // A remembered push, or nullptr.
  EventPtr Find(const std::string& event_id) const;

  // Hands `reply_xml` (nullopt: "success") to the replica holding push `event_id`;
  // `done` gets OK once it is on its way, FAILED_PRECONDITION when no replica waits
  // for it (answered, or the window passed), UNAVAILABLE when Redis is down. Runs
  // `done` on the Redis client's thread.
  void Forward(const std::string& event_id, const std::optional<std::string>& reply_xml, Done done);
  // The push was answered here: a reply sent to another replica finds it closed.
  void Withdraw(const std::string& event_id);

 private:
  // The listener's next command: a heartbeat when one is due, else a wait.
  std::vector<std::string> NextCommand();
  absl::Status Take(const RedisReply& answer);

  RedisClient& redis_;
  const Options options_;
  ReplyBroker& broker_;
  const std::function<bool()> has_repliers_;
  const std::string own_list_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, EventPtr> remembered_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<absl::Time, std::string>> remembered_order_ ABSL_GUARDED_BY(mu_);
  // Touched only on the listener's thread.
  absl::Time next_beat_ = absl::InfinitePast();
  bool beating_ = false;  // the command in flight is a heartbeat
  RedisPoller listener_;  // last: stopped first
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_REDIS_REPLY_RELAY_H_
