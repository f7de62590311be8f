#include "service/events/memory_event_store.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace wxgate {

MemoryEventStore::MemoryEventStore(Limits limits, uint64_t first_cursor)
    : limits_(limits), first_cursor_(first_cursor), oldest_(first_cursor) {}

EventStore::EventPtr MemoryEventStore::Append(wechat::mp::v1::Event event, absl::Time now) {
  event.set_cursor(next_cursor());
  auto stored = std::make_shared<const wechat::mp::v1::Event>(std::move(event));
  entries_.push_back({now, stored});
  while (entries_.size() > limits_.max_events) {
    entries_.pop_front();
    ++oldest_;
  }
  Evict(now);
  return stored;
}

void MemoryEventStore::Evict(absl::Time now) {
  while (!entries_.empty() && now - entries_.front().appended > limits_.max_age) {
    entries_.pop_front();
    ++oldest_;
  }
}

EventStore::EventPtr MemoryEventStore::AtOrAfter(uint64_t cursor) const {
  if (cursor < oldest_) cursor = oldest_;
  if (cursor >= next_cursor()) return nullptr;
  return entries_[cursor - oldest_].event;
}

std::string MemoryEventStore::DescribeRetention() const {
  return absl::StrCat("the last ", limits_.max_events, " events for ",
                      absl::FormatDuration(limits_.max_age), ", from cursor ", first_cursor_,
                      " on");
}

}  // namespace wxgate
