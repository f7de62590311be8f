// TokenStore: where fetched credentials live, shared by everything that needs them.
//
//   std::optional<TokenRecord> r = store.Get("wx…/access_token");
//   store.CompareAndSet(key, r ? r->version : 0, fresh);   // false: someone else wrote first
//   store.TryLease(key, "replica-1", 30s);                  // one refresher at a time
//
// Versions only grow; 0 means "no record". The memory store (the embedded default)
// serves one process; a Redis store shares tokens and the refresh lease between
// replicas behind the same interface. Implementations are thread-safe.
#ifndef WXGATE_SERVICE_TOKEN_TOKEN_STORE_H_
#define WXGATE_SERVICE_TOKEN_TOKEN_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace wxgate {

struct TokenRecord {
  std::string value;
  absl::Time fetched_at;
  absl::Time expires_at;
  int64_t version = 0;
};

class TokenStore {
 public:
  virtual ~TokenStore() = default;

  virtual absl::StatusOr<std::optional<TokenRecord>> Get(absl::string_view key) = 0;
  // Stores `record` (its version is assigned) if the key's current version is
  // `expected_version`. Returns whether it was stored.
  virtual absl::StatusOr<bool> CompareAndSet(absl::string_view key, int64_t expected_version,
                                             TokenRecord record) = 0;
  // Takes or renews the refresh lease of `key` for `owner` until now + ttl. False
  // while another owner holds an unexpired lease.
  virtual absl::StatusOr<bool> TryLease(absl::string_view key, absl::string_view owner,
                                        absl::Duration ttl) = 0;
  virtual void ReleaseLease(absl::string_view key, absl::string_view owner) = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_TOKEN_STORE_H_
