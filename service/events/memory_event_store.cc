#include "service/events/memory_event_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/events/stream_event_wire.h"

namespace wxgate {

MemoryEventStore::MemoryEventStore(Limits limits, uint64_t first_cursor)
    : limits_(limits), first_cursor_(first_cursor), oldest_(first_cursor), next_(first_cursor) {}

EventStore::EventPtr MemoryEventStore::Append(StreamEvent event, absl::Time now) {
  SetCursorOf(event, next_);
  EventPtr stored = ShareStreamEvent(std::move(event));
  Insert(stored, now);
  return stored;
}

bool MemoryEventStore::Insert(EventPtr event, absl::Time now) {
  if (CursorOf(*event) < next_) return false;
  next_ = CursorOf(*event) + 1;
  const size_t bytes = RetainedBytesOf(*event);
  bytes_ += bytes;
  entries_.push_back({now, std::move(event), bytes});
  while (entries_.size() > limits_.max_events) DropOldest();
  while (entries_.size() > 1 && bytes_ > limits_.max_bytes) DropOldest();
  Evict(now);
  return true;
}

void MemoryEventStore::Evict(absl::Time now) {
  while (!entries_.empty() && now - entries_.front().appended > limits_.max_age) DropOldest();
}

void MemoryEventStore::DropOldest() {
  oldest_ = CursorOf(*entries_.front().event) + 1;
  bytes_ -= entries_.front().bytes;
  entries_.pop_front();
}

std::deque<MemoryEventStore::Entry>::const_iterator MemoryEventStore::FirstFrom(
    uint64_t cursor) const {
  return std::lower_bound(
      entries_.begin(), entries_.end(), cursor,
      [](const Entry& entry, uint64_t value) { return CursorOf(*entry.event) < value; });
}

EventStore::EventPtr MemoryEventStore::AtOrAfter(uint64_t cursor) const {
  auto entry = FirstFrom(cursor);
  return entry == entries_.end() ? nullptr : entry->event;
}

size_t MemoryEventStore::CountFrom(uint64_t cursor) const {
  return static_cast<size_t>(entries_.end() - FirstFrom(cursor));
}

std::string MemoryEventStore::DescribeRetention() const {
  return absl::StrCat("the last ", limits_.max_events, " events for ",
                      absl::FormatDuration(limits_.max_age), ", from cursor ", first_cursor_,
                      " on");
}

}  // namespace wxgate
