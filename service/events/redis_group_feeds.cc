#include "service/events/redis_group_feeds.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "service/events/event_filter.h"
#include "service/events/redis_event_log.h"
#include "service/redis/redis_poller.h"

namespace wxgate {
namespace {

// KEYS[1] stream; ARGV group, start ID. A group that exists already is left as is.
constexpr char kCreateGroup[] = R"lua(
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
return 1
)lua";

constexpr size_t kMaxInHand = 64;
constexpr int kBatch = 32;

std::string EntryId(uint64_t cursor) { return absl::StrCat(cursor, "-0"); }

}  // namespace

// One group's consumer on this replica: reads on a connection of its own, hands
// the events its filter matches to the hub, acknowledges what was delivered a
// moment later (`ack_delay_`): a write that completed may still sit in this
// process's buffers, and a replica that dies then must leave the event to others.
class RedisGroupFeeds::Feed final : public GroupFeed {
 public:
  Feed(RedisClient& redis, RedisOptions connection, const Options& options, std::string group,
       const v1::SubscribeRequest& request, EventHub& hub)
      : redis_(redis),
        options_(options),
        group_(std::move(group)),
        filter_(request.filter()),
        start_(!request.has_after_cursor()   ? "$"
               : request.after_cursor() == 0 ? "0"
                                             : EntryId(request.after_cursor())),
        hub_(hub),
        // Short enough that the hold on what this replica has is renewed well
        // within claim_after.
        block_(std::min(options.block, options.claim_after / 4)),
        ack_delay_(std::min(absl::Seconds(1), options.claim_after / 4)),
        poller_(
            std::move(connection), "group_feed", [this] { return NextCommand(); },
            [this](const RedisReply& answer) { return Take(answer); }) {}

  // What was written a moment ago stays pending: if its member's stream broke, it
  // never arrived, and another replica's member gets it (at least once).
  ~Feed() override { AckWritten(options_.now()); }

  void Delivered(uint64_t cursor) override {
    absl::MutexLock lock(&mu_);
    if (auto it = in_hand_.find(cursor); it != in_hand_.end()) it->second = options_.now();
  }

 private:
  enum class Step { kCreate, kRefresh, kClaim, kRead };

  std::optional<std::vector<std::string>> NextCommand() {
    if (step_ == Step::kCreate) {
      return std::vector<std::string>{"EVAL", kCreateGroup, "1", options_.stream_key,
                                      group_, start_};
    }
    const absl::Time now = options_.now();
    AckWritten(now);
    if (now >= next_claim_) {
      // Every claim_after / 3: first mark what this replica holds as still being
      // worked on (XCLAIM to itself resets its idle time), so that no other replica
      // claims it while its members are alive; then claim what went idle elsewhere.
      next_claim_ = now + options_.claim_after / 3;
      claim_due_ = true;
      std::vector<std::string> refresh = {"XCLAIM", options_.stream_key, group_, options_.consumer,
                                          "0"};
      {
        absl::MutexLock lock(&mu_);
        for (const auto& [cursor, at] : in_hand_) refresh.push_back(EntryId(cursor));
      }
      if (refresh.size() > 5) {  // it holds something
        refresh.push_back("JUSTID");
        step_ = Step::kRefresh;
        return refresh;
      }
    }
    if (claim_due_) {
      claim_due_ = false;
      step_ = Step::kClaim;
      return std::vector<std::string>{"XAUTOCLAIM",
                                      options_.stream_key,
                                      group_,
                                      options_.consumer,
                                      absl::StrCat(absl::ToInt64Milliseconds(options_.claim_after)),
                                      "0-0",
                                      "COUNT",
                                      "100"};
    }
    step_ = Step::kRead;
    if (InHand() >= kMaxInHand) return std::nullopt;  // the members are behind
    return std::vector<std::string>{"XREADGROUP", "GROUP",
                                    group_,       options_.consumer,
                                    "COUNT",      absl::StrCat(kBatch),
                                    "BLOCK",      absl::StrCat(absl::ToInt64Milliseconds(block_)),
                                    "STREAMS",    options_.stream_key,
                                    ">"};
  }

  absl::Status Take(const RedisReply& answer) {
    switch (step_) {
      case Step::kCreate:
        step_ = Step::kRead;
        return absl::OkStatus();
      case Step::kRefresh:
        return absl::OkStatus();
      case Step::kClaim:  // [next start, entries, deleted IDs]
        if (answer.elements.size() < 2) return absl::InternalError("unexpected XAUTOCLAIM answer");
        return Hand(answer.elements[1]);
      case Step::kRead:  // nil, or [[stream, entries]]
        if (answer.is_nil()) return absl::OkStatus();
        if (answer.elements.size() != 1 || answer.elements[0].elements.size() != 2) {
          return absl::InternalError("unexpected XREADGROUP answer");
        }
        return Hand(answer.elements[0].elements[1]);
    }
    return absl::OkStatus();
  }

  // Hands the entries the group's filter matches to the members here; acknowledges
  // the others.
  absl::Status Hand(const RedisReply& entries) {
    absl::StatusOr<std::vector<EventHub::EventPtr>> events = RedisEventLog::EventsOf(entries);
    if (!events.ok()) return events.status();
    std::vector<EventHub::EventPtr> fresh;
    {
      absl::MutexLock lock(&mu_);
      for (EventHub::EventPtr& event : *events) {
        if (!EventMatches(filter_, *event)) {
          Ack({EntryId(CursorOf(*event))});
        } else if (in_hand_.try_emplace(CursorOf(*event)).second) {  // not reclaimed from ourselves
          fresh.push_back(std::move(event));
        }
      }
    }
    if (!fresh.empty() && !hub_.FeedGroup(group_, fresh)) {
      // Its members left: the events stay pending for another replica to claim.
      absl::MutexLock lock(&mu_);
      for (const EventHub::EventPtr& event : fresh) in_hand_.erase(CursorOf(*event));
    }
    return absl::OkStatus();
  }

  // How many events wait for a member here.
  size_t InHand() {
    absl::MutexLock lock(&mu_);
    size_t waiting = 0;
    for (const auto& [cursor, at] : in_hand_) waiting += at.has_value() ? 0 : 1;
    return waiting;
  }

  // Acknowledges the events written at least ack_delay_ ago.
  void AckWritten(absl::Time now) {
    std::vector<std::string> ids;
    absl::MutexLock lock(&mu_);
    for (auto it = in_hand_.begin(); it != in_hand_.end();) {
      if (it->second.has_value() && now - *it->second >= ack_delay_) {
        ids.push_back(EntryId(it->first));
        in_hand_.erase(it++);
      } else {
        ++it;
      }
    }
    Ack(ids);
  }

  void Ack(const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    std::vector<std::string> command = {"XACK", options_.stream_key, group_};
    command.insert(command.end(), ids.begin(), ids.end());
    // Fails only with Redis down: then it is claimed again, and comes twice.
    redis_.Command(std::move(command), [](absl::StatusOr<RedisReply>) {});
  }

  RedisClient& redis_;
  const Options& options_;
  const std::string group_;
  const v1::EventFilter filter_;
  const std::string start_;
  EventHub& hub_;
  const absl::Duration block_;
  const absl::Duration ack_delay_;
  // Touched only on the poller's thread.
  Step step_ = Step::kCreate;
  absl::Time next_claim_ = absl::InfinitePast();
  bool claim_due_ = false;  // the refresh went out: the claim comes next
  absl::Mutex mu_;
  // Fed and not acknowledged yet: by cursor, when a member wrote it (none: not yet).
  absl::flat_hash_map<uint64_t, std::optional<absl::Time>> in_hand_ ABSL_GUARDED_BY(mu_);
  RedisPoller poller_;  // last: stopped first
};

std::unique_ptr<GroupFeed> RedisGroupFeeds::Open(const std::string& group,
                                                 const v1::SubscribeRequest& request,
                                                 EventHub& hub) {
  return std::make_unique<Feed>(redis_, connection_, options_, group, request, hub);
}

}  // namespace wxgate
