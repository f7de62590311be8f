#include "service/upstream/transfer_queue.h"

namespace wxgate {

void TransferQueue::Add(Id id, absl::Time deadline) {
  entries_.emplace(id, Entry{.state = State::kWaiting, .deadline = deadline});
  arrivals_.push_back(id);
  deadlines_.emplace(deadline, id);
}

std::vector<TransferQueue::Id> TransferQueue::TakeStartable() {
  std::vector<Id> startable;
  while (running_ < limits_.max_running && connecting_ < limits_.max_connecting &&
         !arrivals_.empty()) {
    const Id id = arrivals_.front();
    arrivals_.pop_front();
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.state != State::kWaiting) continue;  // gone
    deadlines_.erase({it->second.deadline, id});
    it->second.state = State::kConnecting;
    ++running_;
    ++connecting_;
    startable.push_back(id);
  }
  return startable;
}

void TransferQueue::Connected(Id id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.state != State::kConnecting) return;
  it->second.state = State::kConnected;
  --connecting_;
}

void TransferQueue::Ended(Id id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  switch (it->second.state) {
    case State::kWaiting:
      deadlines_.erase({it->second.deadline, id});
      break;
    case State::kConnecting:
      --connecting_;
      --running_;
      break;
    case State::kConnected:
      --running_;
      break;
  }
  entries_.erase(it);
}

std::vector<TransferQueue::Id> TransferQueue::TakeExpired(absl::Time now) {
  std::vector<Id> expired;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const Id id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    entries_.erase(id);
    expired.push_back(id);
  }
  return expired;
}

std::optional<absl::Time> TransferQueue::NextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

}  // namespace wxgate
