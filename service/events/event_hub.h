// Fans published events out to subscribers without ever blocking the publisher.
//
// Events are stored once, in an EventStore; a subscriber is a position in that log
// plus a filter, and pulls the next matching event when it is ready to send one:
//
//   EventHub hub(std::make_unique<MemoryEventStore>(limits, first_cursor), options);
//   auto subscription = hub.Subscribe(request, /*wake=*/[&] { writer.Pump(); });
//   hub.Publish(event);                    // calls wake() of subscribers waiting for data
//   (*subscription)->Next();               // -> the event, then nullptr (wake comes later)
//   (*subscription)->NextBatch(64);        // -> up to 64 events in one go, or none
//
// A broadcast subscriber has its own position; it is ended with RESOURCE_EXHAUSTED
// when it falls more than `max_lag` events behind the live events (a replay from a
// cursor does not count).
//
// With several replicas, each hub mirrors the log they share: Ingest() takes the
// events, with their cursors, that every replica appended. Groups then span the
// replicas: with Options::group_feeds a group's events come from its feed
// (FeedGroup) rather than from the store, and each one written is reported
// delivered (Subscription::Delivered). The members of a group
// share one position, so each event goes to one member; an event a member took but
// could not deliver goes back to the group (GiveBack). A position older than the
// store's retention ends the subscriber with OUT_OF_RANGE naming the lost cursors.
//
// With Options::wake_thread, Publish and Ingest only note that there is news: the
// hub's own thread finds the waiting subscribers and calls their wake(), so the
// publishing thread does no work per subscriber (it checks only the subscribers
// that answer pushes, to say whether a push awaits a reply).
//
// For people and gauges, it lists its subscribers with their lag and keeps the
// newest events it stored (published here or ingested):
//
//   hub.Subscribers()  -> [{caller "shop", group "", lag 3, since ...}, ...]
//   hub.Latest(10)     -> the 10 newest events, newest first
//
// Thread-safe. The hub owns its store and must outlive its subscriptions.
#ifndef WXGATE_SERVICE_EVENTS_EVENT_HUB_H_
#define WXGATE_SERVICE_EVENTS_EVENT_HUB_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/events/event_store.h"
#include "service/events/group_feeds.h"
#include "wechat/mp/v1/events.pb.h"
#include "wxgate/v1/event.pb.h"

namespace wxgate {

class EventHub {
 public:
  using EventPtr = EventStore::EventPtr;

  struct Options {
    // How many events a broadcast subscriber may fall behind before it is ended.
    size_t max_lag = 5000;  // config::kDefaultMaxLag
    // The store mirrors a shared log whose cursors are Unix times in µs (Ingest):
    // an after_cursor up to the present is accepted though not read here yet.
    bool mirror = false;
    // Where groups get their events, when they span replicas; null: from the store.
    // Must outlive the hub's subscriptions.
    GroupFeeds* group_feeds = nullptr;
    // How many of the newest events Latest() can list.
    size_t keep_latest = 50;
    // Call wake() on a thread of the hub's own rather than the publishing thread
    // (Publish, Ingest, Close return before any subscriber is woken).
    bool wake_thread = false;
    std::function<absl::Time()> now = absl::Now;
  };

  // One live subscription, as Subscribers() lists it.
  struct SubscriberInfo {
    std::string caller;  // as given to Subscribe
    wxgate::v1::EventFilter filter;
    std::string group;  // empty: a broadcast subscriber
    bool replies = false;
    absl::Time since;
    // Events stored after its position that it has not taken yet (its filter may skip
    // some); for a group member, the group's. Events a group's feed (another replica)
    // has not brought yet are not counted.
    size_t lag = 0;
  };

  struct Published {
    EventPtr event;  // with its cursor
    // A live subscriber that answers pushes (SubscribeRequest.replies) matches it.
    bool awaits_reply = false;
  };

  class Subscription;

  EventHub(std::unique_ptr<EventStore> store, Options options);
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;
  ~EventHub();

  Published Publish(StreamEvent event);
  // Stores events that have their cursors (a mirror of a shared log; those stored
  // before are skipped) and wakes the subscribers.
  void Ingest(const std::vector<EventPtr>& events);

  // Hands a group's feed's events to its members here (Options::group_feeds);
  // false when the group has no member here any more.
  bool FeedGroup(const std::string& group, const std::vector<EventPtr>& events);

  // Whether a live subscriber that answers pushes matches `event`.
  bool AwaitsReply(const StreamEvent& event) const;
  // Whether any live subscriber answers pushes.
  bool has_repliers() const;

  // INVALID_ARGUMENT for an after_cursor beyond the newest event, UNAVAILABLE after
  // Close(). `wake` is called,
  // from a publishing thread (or the hub's, Options::wake_thread) and without the hub's lock, when
  // Next() returned nullptr and an event may now be ready; it must not destroy the subscription.
  // `caller` names the subscriber in Subscribers().
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      const wxgate::v1::SubscribeRequest& request, std::function<void()> wake,
      std::string caller = "");

  size_t subscriber_count() const;
  // Every live subscription, oldest first.
  std::vector<SubscriberInfo> Subscribers() const;
  // The newest events stored, newest first: at most `max`, and at most
  // Options::keep_latest.
  std::vector<EventPtr> Latest(size_t max) const;

  // Ends every subscription: Next() answers UNAVAILABLE from now on, and so does
  // Subscribe. For a replica that is stopping.
  void Close();

 private:
  // A position in the log and the filter applied from it: one per broadcast
  // subscriber, one per group.
  struct Reader {
    wxgate::v1::EventFilter filter;
    uint64_t next_cursor = 0;
    // The store's next cursor at subscription: what came before is a replay, which
    // does not count as falling behind.
    uint64_t live_from = 0;
    bool is_group = false;
    std::string name;  // groups only
    int members = 0;   // groups only
    // Groups with Options::group_feeds: where their events come from, not the store.
    std::unique_ptr<GroupFeed> feed;
    // Groups only: taken but not delivered, and what a feed brought.
    std::deque<EventPtr> given_back;
  };

  bool AwaitsReplyLocked(const StreamEvent& event) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool MayComeLater(uint64_t cursor) const;
  absl::StatusOr<std::vector<EventPtr>> NextFor(Subscription& subscription, size_t max_events);
  void GiveBack(Subscription& subscription, std::vector<EventPtr> events);
  void Delivered(Subscription& subscription, const EventPtr& event);
  void Remove(Subscription& subscription);
  // Marks the waiting subscriptions that `should_wake` selects and returns them;
  // Wake() then calls them outside the lock.
  std::vector<Subscription*> TakeWaiting(
      const std::function<bool(const Subscription&)>& should_wake)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake(const std::vector<Subscription*>& subscriptions);
  // TakeWaiting of every subscriber; with Options::wake_thread, notes the news for
  // that thread instead and returns none.
  std::vector<Subscription*> TakeAllWaiting() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets the subscription's waiting_, counted in waiting_count_.
  void MarkWaiting(Subscription& subscription) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunWakeThread();
  bool HasWakeNews() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_all_ || stopping_; }
  void KeepLatest(EventPtr event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  size_t LagOf(const Reader& reader) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  const std::unique_ptr<EventStore> store_ ABSL_PT_GUARDED_BY(mu_);
  std::set<Subscription*> subscriptions_ ABSL_GUARDED_BY(mu_);
  // Those of subscriptions_ that answer pushes: all Publish has to look at.
  std::set<const Subscription*> repliers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Reader>> groups_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<EventPtr> latest_ ABSL_GUARDED_BY(mu_);  // oldest first
  // Options::wake_thread: there is news for the waiting subscribers.
  bool wake_all_ ABSL_GUARDED_BY(mu_) = false;
  // How many subscriptions wait for news (their waiting_ is set).
  size_t waiting_count_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread wake_thread_;  // started last, joined first
};

class EventHub::Subscription {
 public:
  ~Subscription();  // Unsubscribes; waits for a wake() in progress to return.

  // The next matching event; nullptr when none is ready (wake() follows when one
  // may be); OUT_OF_RANGE, RESOURCE_EXHAUSTED or UNAVAILABLE (Close) when this
  // subscriber must end.
  absl::StatusOr<EventPtr> Next();
  // Up to `max_events` (at least 1) matching events, in cursor order, under one
  // lock: as many as are ready. Empty like Next()'s nullptr; the same errors.
  absl::StatusOr<std::vector<EventPtr>> NextBatch(size_t max_events) {
    return hub_.NextFor(*this, max_events);
  }
  // For a group member: `event` came from Next() but was not delivered.
  void GiveBack(EventPtr event) { hub_.GiveBack(*this, {std::move(event)}); }
  // For a group member: `events`, in the order Next() gave them, were not delivered.
  void GiveBack(std::vector<EventPtr> events) { hub_.GiveBack(*this, std::move(events)); }
  // `event` came from Next() and was written to the subscriber.
  void Delivered(const EventPtr& event) { hub_.Delivered(*this, event); }

 private:
  friend class EventHub;
  Subscription(EventHub& hub, Reader* reader, std::unique_ptr<Reader> own_reader,
               std::function<void()> wake, bool replies, std::string caller, absl::Time since)
      : hub_(hub),
        reader_(reader),
        own_reader_(std::move(own_reader)),
        wake_(std::move(wake)),
        replies_(replies),
        caller_(std::move(caller)),
        since_(since) {}

  EventHub& hub_;
  Reader* reader_;                      // own_reader_, or the group's
  std::unique_ptr<Reader> own_reader_;  // broadcast subscribers only
  const std::function<void()> wake_;
  const bool replies_;
  const std::string caller_;
  const absl::Time since_;
  // Guarded by hub_.mu_.
  bool waiting_ = false;
  int wakes_in_progress_ = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_EVENT_HUB_H_
