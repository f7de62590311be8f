#include "service/events/event_log.h"

#include <utility>

namespace wxgate {

EventLog::EventLog(Limits limits, uint64_t first_cursor) : limits_(limits), oldest_(first_cursor) {}

std::shared_ptr<const wechat::mp::v1::Event> EventLog::Append(wechat::mp::v1::Event event,
                                                              absl::Time now) {
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

void EventLog::Evict(absl::Time now) {
  while (!entries_.empty() && now - entries_.front().appended > limits_.max_age) {
    entries_.pop_front();
    ++oldest_;
  }
}

std::shared_ptr<const wechat::mp::v1::Event> EventLog::At(uint64_t cursor) const {
  if (cursor < oldest_ || cursor >= next_cursor()) return nullptr;
  return entries_[cursor - oldest_].event;
}

}  // namespace wxgate
