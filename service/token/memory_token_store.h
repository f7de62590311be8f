// MemoryTokenStore: the embedded default TokenStore, for one gateway process.
//
//   MemoryTokenStore store("/var/lib/wxgate/tokens.json");  // reads the file back
//   if (!store.load_warning().empty()) Log(…);              // it was moved aside
//   store.CompareAndSet(key, 0, record, done);  // `done` runs before CompareAndSet returns;
//                                               // the file is written later, on the writer thread
//   store.Flush();                              // shutdown, tests: wait until it is on disk
//
// Operations run inline on the calling thread under a mutex that guards memory only;
// callbacks run after it is released. With a state file, writes are persisted off the
// caller's thread: the store's writer thread writes the newest state as JSON to a
// temporary file with mode 0600 and renames it over the old one, so a crash never
// leaves half a file; writes that arrive while it is busy are coalesced into its next
// one. The destructor writes what is still pending, so a clean shutdown loses nothing.
//
// The file is read at construction, so a restart reuses valid tokens instead of
// spending WeChat's daily quota. A file that cannot be parsed is moved aside to
// "<file>.corrupt" and the store starts empty: tokens can always be fetched again.
// Quotas are persisted with the tokens (a restart must not hand out 20 more
// force_refresh calls); leases are not: they cover fetches in flight, which a
// restart ends.
#ifndef WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_STORE_H_
#define WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/token/token_store.h"

namespace wxgate {

class MemoryTokenStore : public TokenStore {
 public:
  // `state_file` empty: memory only, no writer thread. `now` is the clock leases
  // are measured on.
  explicit MemoryTokenStore(std::string state_file = "",
                            std::function<absl::Time()> now = absl::Now);
  // Writes what is pending, then stops the writer thread.
  ~MemoryTokenStore() override;
  MemoryTokenStore(const MemoryTokenStore&) = delete;
  MemoryTokenStore& operator=(const MemoryTokenStore&) = delete;

  // What happened to the state file at start ("" when it loaded or did not exist).
  const std::string& load_warning() const { return load_warning_; }

  // Blocks until every write made so far is in the state file, and returns how the
  // last attempt went. Not for serving threads: for shutdown and tests.
  absl::Status Flush();

  void Get(absl::string_view key, GetDone done) override;
  void CompareAndSet(absl::string_view key, int64_t expected_version, TokenRecord record,
                     CasDone done) override;
  void TryLease(absl::string_view key, absl::string_view owner, absl::Duration ttl,
                LeaseDone done) override;
  void ReleaseLease(absl::string_view key, absl::string_view owner, ReleaseDone done) override;
  void TakeQuota(absl::string_view key, QuotaUse use, QuotaDone done) override;

  // Who holds the key's refresh lease now ("" when nobody does or it lapsed).
  std::string LeaseOwner(absl::string_view key) const;

  // What the state file holds.
  struct Quota {
    int64_t period = 0;
    int used = 0;
    absl::Time last = absl::InfinitePast();
  };
  struct State {
    absl::flat_hash_map<std::string, TokenRecord> records;
    absl::flat_hash_map<std::string, Quota> quotas;
  };

  // The state file's text as read at construction, or nullopt when it is not a token
  // state file (not JSON, a value of the wrong type or out of range). Pure; also for
  // the fuzzer.
  static std::optional<State> ParseState(absl::string_view text);
  // The text the writer thread puts in the file; ParseState reads it back.
  static std::string SerializeState(const State& state);

 private:
  struct Lease {
    std::string owner;
    absl::Time until;
  };
  void Load();
  void WriteLoop();
  bool WriteDueLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool FlushedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string state_file_;
  const std::function<absl::Time()> now_;
  std::string load_warning_;

  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Lease> leases_ ABSL_GUARDED_BY(mu_);
  // Writes to state_ so far, and how many of them the file holds (or the writer
  // tried to put there: `last_write_` says how that went).
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_write_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;  // only with a state file
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_STORE_H_
