#include "service/events/event_hub.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/events/event_filter.h"

namespace wxgate {
namespace {

// After Close(): `resume` says where this subscriber goes on.
absl::Status Closing(absl::string_view resume) {
  return absl::UnavailableError(absl::StrCat("this gateway replica is stopping; subscribe again",
                                             resume, ", on another replica or after it restarts"));
}

}  // namespace

EventHub::EventHub(std::unique_ptr<EventStore> store, Options options)
    : options_(std::move(options)), store_(std::move(store)) {
  if (options_.wake_thread) wake_thread_ = std::thread([this] { RunWakeThread(); });
}

EventHub::~EventHub() {
  if (!wake_thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  wake_thread_.join();
}

std::vector<EventHub::Subscription*> EventHub::TakeAllWaiting() {
  if (options_.wake_thread) {
    // The wake thread takes it from here; with nobody waiting there is no one to wake.
    if (waiting_count_ > 0) wake_all_ = true;
    return {};
  }
  return TakeWaiting([](const Subscription&) { return true; });
}

void EventHub::RunWakeThread() {
  while (true) {
    std::vector<Subscription*> to_wake;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &EventHub::HasWakeNews));
      if (stopping_) return;
      wake_all_ = false;
      to_wake = TakeWaiting([](const Subscription&) { return true; });
    }
    Wake(to_wake);
  }
}

EventHub::Published EventHub::Publish(StreamEvent event) {
  Published published;
  std::vector<Subscription*> to_wake;
  {
    absl::MutexLock lock(&mu_);
    published.event = store_->Append(std::move(event), options_.now());
    KeepLatest(published.event);
    published.awaits_reply = AwaitsReplyLocked(*published.event);
    to_wake = TakeAllWaiting();
  }
  Wake(to_wake);
  return published;
}

void EventHub::Ingest(const std::vector<EventPtr>& events) {
  std::vector<Subscription*> to_wake;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = options_.now();
    for (const EventPtr& event : events) {
      if (store_->Insert(event, now)) KeepLatest(event);
    }
    to_wake = TakeAllWaiting();
  }
  Wake(to_wake);
}

bool EventHub::AwaitsReply(const StreamEvent& event) const {
  absl::MutexLock lock(&mu_);
  return AwaitsReplyLocked(event);
}

bool EventHub::AwaitsReplyLocked(const StreamEvent& event) const {
  if (!event.has_event()) return false;  // component pushes take no reply
  for (const Subscription* subscription : repliers_) {
    if (EventMatches(subscription->reader_->filter, event)) return true;
  }
  return false;
}

bool EventHub::has_repliers() const {
  absl::MutexLock lock(&mu_);
  return !repliers_.empty();
}

absl::StatusOr<std::unique_ptr<EventHub::Subscription>> EventHub::Subscribe(
    const wxgate::v1::SubscribeRequest& request, std::function<void()> wake, std::string caller) {
  std::unique_ptr<Subscription> subscription;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return Closing("");
    store_->Evict(options_.now());
    uint64_t start = store_->next_cursor();  // live only
    uint64_t live_from = start;
    if (request.has_after_cursor()) {
      if (request.after_cursor() >= store_->next_cursor() &&
          !MayComeLater(request.after_cursor())) {
        return absl::InvalidArgumentError(
            absl::StrCat("after_cursor ", request.after_cursor(), " is beyond the newest event (",
                         store_->next_cursor() - 1, "); it does not come from this gateway"));
      }
      start = request.after_cursor() == 0 ? store_->oldest_cursor() : request.after_cursor() + 1;
      if (request.after_cursor() >= store_->next_cursor()) live_from = start;
    }
    std::unique_ptr<Reader> own_reader;
    Reader* reader = nullptr;
    if (request.group().empty()) {
      own_reader = std::make_unique<Reader>();
      own_reader->filter = request.filter();
      own_reader->next_cursor = start;
      own_reader->live_from = live_from;
      reader = own_reader.get();
    } else {
      auto& group = groups_[request.group()];
      if (group == nullptr) {
        group = std::make_unique<Reader>();
        group->is_group = true;
        group->name = request.group();
        group->filter = request.filter();
        group->next_cursor = start;
        if (options_.group_feeds != nullptr) {
          group->feed = options_.group_feeds->Open(request.group(), request, *this);
        }
      }
      ++group->members;
      reader = group.get();
    }
    subscription.reset(new Subscription(*this, reader, std::move(own_reader), std::move(wake),
                                        request.replies(), std::move(caller), options_.now()));
    subscriptions_.insert(subscription.get());
    if (subscription->replies_) repliers_.insert(subscription.get());
  }
  return subscription;
}

bool EventHub::FeedGroup(const std::string& group, const std::vector<EventPtr>& events) {
  std::vector<Subscription*> to_wake;
  {
    absl::MutexLock lock(&mu_);
    auto it = groups_.find(group);
    if (it == groups_.end()) return false;  // its last member left meanwhile
    Reader* reader = it->second.get();
    reader->given_back.insert(reader->given_back.end(), events.begin(), events.end());
    to_wake = TakeWaiting([reader](const Subscription& s) { return s.reader_ == reader; });
  }
  Wake(to_wake);
  return true;
}

void EventHub::Delivered(Subscription& subscription, const EventPtr& event) {
  // A reader lives as long as its subscriptions; a feed as long as its reader.
  if (subscription.reader_->feed) subscription.reader_->feed->Delivered(CursorOf(*event));
}

absl::StatusOr<std::vector<EventHub::EventPtr>> EventHub::NextFor(Subscription& subscription,
                                                                  size_t max_events) {
  max_events = std::max<size_t>(max_events, 1);
  std::vector<EventPtr> taken;
  absl::MutexLock lock(&mu_);
  Reader& reader = *subscription.reader_;
  if (closed_) {
    return Closing(reader.is_group ? ""
                                   : absl::StrCat(" with after_cursor ", reader.next_cursor - 1));
  }
  store_->Evict(options_.now());
  while (!reader.given_back.empty() && taken.size() < max_events) {
    taken.push_back(std::move(reader.given_back.front()));
    reader.given_back.pop_front();
  }
  if (!taken.empty()) return taken;
  if (reader.feed) {  // the group's feed brings its events
    MarkWaiting(subscription);
    return taken;
  }
  if (reader.next_cursor < store_->oldest_cursor()) {
    const uint64_t first_lost = reader.next_cursor;
    reader.next_cursor = store_->oldest_cursor();
    return absl::OutOfRangeError(
        absl::StrCat("events with cursors ", first_lost, " to ", store_->oldest_cursor() - 1,
                     " are no longer retained (this gateway keeps ", store_->DescribeRetention(),
                     "); subscribe again with after_cursor ", store_->oldest_cursor() - 1,
                     " to go on from the oldest retained event"));
  }
  // Checked once per batch: taking events only lowers the lag.
  const size_t behind = store_->CountFrom(std::max(reader.next_cursor, reader.live_from));
  if (!reader.is_group && behind > options_.max_lag) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "this subscriber fell ", behind, " events behind (limit ", options_.max_lag,
        "); subscribe again with after_cursor ", reader.next_cursor - 1, " to resume"));
  }
  while (reader.next_cursor < store_->next_cursor() && taken.size() < max_events) {
    EventPtr event = store_->AtOrAfter(reader.next_cursor);
    if (event == nullptr) {
      reader.next_cursor = store_->next_cursor();
      break;
    }
    reader.next_cursor = CursorOf(*event) + 1;
    if (EventMatches(reader.filter, *event)) taken.push_back(std::move(event));
  }
  if (taken.empty()) MarkWaiting(subscription);
  return taken;
}

void EventHub::GiveBack(Subscription& subscription, std::vector<EventPtr> events) {
  std::vector<Subscription*> to_wake;
  {
    absl::MutexLock lock(&mu_);
    Reader* reader = subscription.reader_;
    if (!reader->is_group || events.empty()) return;  // a broadcast subscriber resumes by cursor
    reader->given_back.insert(reader->given_back.begin(), std::make_move_iterator(events.begin()),
                              std::make_move_iterator(events.end()));
    to_wake = TakeWaiting([&](const Subscription& other) {
      return other.reader_ == reader && &other != &subscription;
    });
  }
  Wake(to_wake);
}

void EventHub::Close() {
  std::vector<Subscription*> to_wake;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    to_wake = TakeAllWaiting();
  }
  Wake(to_wake);
}

void EventHub::MarkWaiting(Subscription& subscription) {
  if (!subscription.waiting_) ++waiting_count_;
  subscription.waiting_ = true;
}

std::vector<EventHub::Subscription*> EventHub::TakeWaiting(
    const std::function<bool(const Subscription&)>& should_wake) {
  std::vector<Subscription*> to_wake;
  for (Subscription* subscription : subscriptions_) {
    if (subscription->waiting_ && should_wake(*subscription)) {
      subscription->waiting_ = false;
      --waiting_count_;
      ++subscription->wakes_in_progress_;
      to_wake.push_back(subscription);
    }
  }
  return to_wake;
}

void EventHub::Wake(const std::vector<Subscription*>& subscriptions) {
  if (subscriptions.empty()) return;
  for (Subscription* subscription : subscriptions) subscription->wake_();
  absl::MutexLock lock(&mu_);  // once for all: a hundred subscribers, one lock
  for (Subscription* subscription : subscriptions) --subscription->wakes_in_progress_;
}

void EventHub::Remove(Subscription& subscription) {
  std::unique_ptr<GroupFeed> closed;
  {
    absl::MutexLock lock(&mu_);
    subscriptions_.erase(&subscription);
    repliers_.erase(&subscription);
    if (subscription.waiting_) --waiting_count_;
    mu_.Await(absl::Condition(
        +[](Subscription* s) { return s->wakes_in_progress_ == 0; }, &subscription));
    Reader* reader = subscription.reader_;
    if (reader->is_group && --reader->members == 0 && reader->feed) {
      // What it holds is the feeds' to hand on; a new member starts a new feed.
      closed = std::move(reader->feed);
      groups_.erase(reader->name);
    }
  }
  closed.reset();  // outside the lock: a feed stopping may wait for FeedGroup
}

bool EventHub::MayComeLater(uint64_t cursor) const {
  // A mirror's cursors are times in µs: a cursor up to a second ahead of the clock
  // may be an event another replica stored and this one has not read yet.
  return options_.mirror &&
         cursor <= static_cast<uint64_t>(absl::ToUnixMicros(options_.now() + absl::Seconds(1)));
}

size_t EventHub::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return subscriptions_.size();
}

std::vector<EventHub::SubscriberInfo> EventHub::Subscribers() const {
  std::vector<SubscriberInfo> subscribers;
  {
    absl::MutexLock lock(&mu_);
    for (const Subscription* subscription : subscriptions_) {
      const Reader& reader = *subscription->reader_;
      subscribers.push_back({.caller = subscription->caller_,
                             .filter = reader.filter,
                             .group = reader.name,
                             .replies = subscription->replies_,
                             .since = subscription->since_,
                             .lag = LagOf(reader)});
    }
  }
  std::stable_sort(
      subscribers.begin(), subscribers.end(),
      [](const SubscriberInfo& a, const SubscriberInfo& b) { return a.since < b.since; });
  return subscribers;
}

size_t EventHub::LagOf(const Reader& reader) const {
  // A group with a feed learns of its events from the feed, not from the store.
  const size_t stored = reader.feed ? 0 : store_->CountFrom(reader.next_cursor);
  return stored + reader.given_back.size();
}

std::vector<EventHub::EventPtr> EventHub::Latest(size_t max) const {
  absl::MutexLock lock(&mu_);
  std::vector<EventPtr> newest;
  for (auto it = latest_.rbegin(); it != latest_.rend() && newest.size() < max; ++it) {
    newest.push_back(*it);
  }
  return newest;
}

void EventHub::KeepLatest(EventPtr event) {
  if (options_.keep_latest == 0) return;
  if (latest_.size() == options_.keep_latest) latest_.pop_front();
  latest_.push_back(std::move(event));
}

absl::StatusOr<EventHub::EventPtr> EventHub::Subscription::Next() {
  absl::StatusOr<std::vector<EventPtr>> next = hub_.NextFor(*this, 1);
  if (!next.ok()) return next.status();
  return next->empty() ? EventPtr() : std::move(next->front());
}

EventHub::Subscription::~Subscription() { hub_.Remove(*this); }

}  // namespace wxgate
