// MemoryTokenStore: the embedded default TokenStore, for one gateway process.
//
// With a state file, every write is persisted (JSON, written to a temporary file
// with mode 0600 and renamed over the old one, so a crash never leaves half a file)
// and the file is read back at start, so a restart reuses valid tokens instead of
// spending WeChat's daily quota. A file that cannot be parsed is moved aside to
// "<file>.corrupt" and the store starts empty: tokens can always be fetched again.
#ifndef WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_STORE_H_
#define WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_STORE_H_

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "service/token/token_store.h"

namespace wxgate {

class MemoryTokenStore : public TokenStore {
 public:
  // `state_file` empty: memory only. `now` is the clock leases are measured on.
  explicit MemoryTokenStore(std::string state_file = "",
                            std::function<absl::Time()> now = absl::Now);

  // What happened to the state file at start ("" when it loaded or did not exist).
  const std::string& load_warning() const { return load_warning_; }

  absl::StatusOr<std::optional<TokenRecord>> Get(absl::string_view key) override;
  absl::StatusOr<bool> CompareAndSet(absl::string_view key, int64_t expected_version,
                                     TokenRecord record) override;
  absl::StatusOr<bool> TryLease(absl::string_view key, absl::string_view owner,
                                absl::Duration ttl) override;
  void ReleaseLease(absl::string_view key, absl::string_view owner) override;

 private:
  struct Lease {
    std::string owner;
    absl::Time until;
  };
  void Load();
  absl::Status Persist() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string state_file_;
  const std::function<absl::Time()> now_;
  std::string load_warning_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, TokenRecord> records_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Lease> leases_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_MEMORY_TOKEN_STORE_H_
