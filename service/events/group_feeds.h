// GroupFeeds: where an EventHub's subscriber groups get their events when a group
// spans several replicas (Redis consumer groups), instead of reading the hub's store.
//
//   hub: first member of "workers" here -> feed = feeds.Open("workers", request, hub)
//   feed -> hub.FeedGroup("workers", events)     // events for this replica's members
//   hub: a member wrote event 17        -> feed->Delivered(17)
//   hub: last member of "workers" left  -> feed destroyed (outside the hub's lock)
//
// An event fed but never reported delivered (its member's stream broke and no other
// member is left here, or the replica died) is the feeds' to hand to another replica.
#ifndef WXGATE_SERVICE_EVENTS_GROUP_FEEDS_H_
#define WXGATE_SERVICE_EVENTS_GROUP_FEEDS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "wxgate/v1/event.pb.h"

namespace wxgate {

class EventHub;

// One group's feed into one hub; destroying it stops the feeding.
class GroupFeed {
 public:
  virtual ~GroupFeed() = default;
  // A member wrote the event at `cursor` to its stream.
  virtual void Delivered(uint64_t cursor) = 0;
};

class GroupFeeds {
 public:
  virtual ~GroupFeeds() = default;
  // Starts feeding `group`, whose first member in `hub` subscribed with `request`
  // (its filter is the group's, and its after_cursor where a new group starts).
  // Called with the hub's lock held: it must not wait for the hub.
  virtual std::unique_ptr<GroupFeed> Open(const std::string& group,
                                          const v1::SubscribeRequest& request, EventHub& hub) = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_GROUP_FEEDS_H_
