// RedisGroupFeeds: subscriber groups that span replicas, on Redis consumer groups of
// the shared event stream (RedisEventLog). A group named "workers" is the consumer
// group "workers"; each replica with members is one consumer in it, named after the
// replica, and hands what it reads to its own members through its hub:
//
//   RedisGroupFeeds feeds(redis, connection, {.stream_key = log.stream_key(),
//                                             .consumer = replica});
//   EventHub hub(store, {.mirror = true, .group_feeds = &feeds});
//
// Each event goes to one replica (XREADGROUP), which acknowledges it (XACK) a moment
// (a second, or claim_after / 4 when shorter) after a member's stream took it: a
// write that completed may still sit in this process's buffers. An event a replica
// read and did not acknowledge within `claim_after` (the replica died, or its
// members left before taking it) is claimed by a replica that has members
// (XAUTOCLAIM, every claim_after / 3); a replica alive renews its hold on what it
// has (XCLAIM to itself). Delivery is at least once. Events
// the group's filter (its first member's here) does not match are acknowledged at
// once. A new group starts at its first member's after_cursor, else with the events
// that come after it. A replica holds at most 64 unacknowledged events of a group.
//
// Thread-safe. Does not own `redis`, which must outlive the feeds and what they
// open; the hub's subscriptions end before the feeds go.
#ifndef WXGATE_SERVICE_EVENTS_REDIS_GROUP_FEEDS_H_
#define WXGATE_SERVICE_EVENTS_REDIS_GROUP_FEEDS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/events/event_hub.h"
#include "service/events/group_feeds.h"
#include "service/redis/redis_client.h"

namespace wxgate {

class RedisGroupFeeds final : public GroupFeeds {
 public:
  struct Options {
    std::string stream_key;
    std::string consumer;  // this replica
    absl::Duration claim_after = absl::Seconds(30);
    absl::Duration block = absl::Milliseconds(500);  // a read's, under command_timeout
    std::function<absl::Time()> now = absl::Now;
  };

  // `connection` configures each group's own connection, which its reads block.
  RedisGroupFeeds(RedisClient& redis, RedisOptions connection, Options options)
      : redis_(redis), connection_(std::move(connection)), options_(std::move(options)) {}

  std::unique_ptr<GroupFeed> Open(const std::string& group, const v1::SubscribeRequest& request,
                                  EventHub& hub) override;

 private:
  class Feed;

  RedisClient& redis_;
  const RedisOptions connection_;
  const Options options_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_REDIS_GROUP_FEEDS_H_
