// TransferQueue: which upstream transfers libcurl gets now and which wait their turn,
// first come first served. It holds ids and deadlines only; the caller owns the
// transfers and does what the answers say.
//
//   TransferQueue queue({.max_running = 2, .max_connecting = 1});
//   queue.Add(1, t + 5s);  queue.Add(2, t + 5s);  queue.Add(3, t + 1s);
//   queue.TakeStartable();       // {1}: one transfer may be getting a connection
//   queue.Connected(1);          // it has one (new or reused)
//   queue.TakeStartable();       // {2}
//   queue.Connected(2);
//   queue.TakeStartable();       // {}: two running
//   queue.TakeExpired(t + 2s);   // {3}: it waited past its deadline, never started
//   queue.Ended(1);              // an answer, a failure or a cancel
//
// Why not leave waiting to libcurl: its queue of transfers over the connection limit
// is rescanned on every completion and is not first come first served. Why limit
// transfers still connecting: thousands of TLS handshakes started at once all miss
// their connect timeout; a few at a time ramp the pool up. A transfer counts as
// connecting from TakeStartable until Connected (or Ended), so one that will reuse an
// idle connection holds a connecting slot only until libcurl hands it that connection.
//
// Not thread-safe: one thread (the transport's loop) calls it.
#ifndef WXGATE_SERVICE_UPSTREAM_TRANSFER_QUEUE_H_
#define WXGATE_SERVICE_UPSTREAM_TRANSFER_QUEUE_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace wxgate {

class TransferQueue {
 public:
  using Id = uint64_t;
  struct Limits {
    int max_running = 256;    // transfers handed to libcurl at once
    int max_connecting = 32;  // of those, how many may still wait for a connection
  };

  explicit TransferQueue(Limits limits) : limits_(limits) {}
  TransferQueue(const TransferQueue&) = delete;
  TransferQueue& operator=(const TransferQueue&) = delete;

  // A new transfer waits behind those added before it. Ids are unique.
  void Add(Id id, absl::Time deadline);
  // The waiting transfers that may start now, oldest first; they are running (and
  // connecting) from now on.
  std::vector<Id> TakeStartable();
  // A running transfer has its connection. Unknown ids are ignored.
  void Connected(Id id);
  // A transfer is gone, running or waiting. Unknown ids are ignored.
  void Ended(Id id);
  // The waiting transfers whose deadline is at or before `now`, removed.
  std::vector<Id> TakeExpired(absl::Time now);
  // The earliest deadline of a waiting transfer.
  std::optional<absl::Time> NextDeadline() const;

  int waiting() const { return static_cast<int>(deadlines_.size()); }
  int running() const { return running_; }
  int connecting() const { return connecting_; }

 private:
  enum class State { kWaiting, kConnecting, kConnected };
  struct Entry {
    State state;
    absl::Time deadline;
  };

  const Limits limits_;
  absl::flat_hash_map<Id, Entry> entries_;
  // Arrival order; an id that no longer waits is skipped when it comes up, so that
  // ending a waiting transfer costs no search.
  std::deque<Id> arrivals_;
  std::set<std::pair<absl::Time, Id>> deadlines_;  // of waiting transfers only
  int running_ = 0;
  int connecting_ = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_TRANSFER_QUEUE_H_
