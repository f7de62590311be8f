// TokenStore: where fetched credentials live, shared by everything that needs them.
// Every operation is asynchronous and answers through a callback:
//
//   store.Get("wx1/access_token", [](absl::StatusOr<std::optional<TokenRecord>> r) {
//     // r: the record (version ≥ 1), nullopt when the key was never written, or an error
//   });
//   store.TryLease(key, "replica-1", absl::Seconds(30), [](absl::StatusOr<bool> taken) {
//     // true: this owner may refresh the key until now + 30 s; false: another owner holds it
//   });
//   store.CompareAndSet(key, /*expected_version=*/3, fresh, [](absl::StatusOr<CasOutcome> o) {
//     // o->stored: `fresh` is now the key's record, as version 4 (o->current);
//     // otherwise someone else wrote first and o->current is what the key holds
//   });
//   store.ReleaseLease(key, "replica-1", [](absl::Status) {});
//   store.TakeQuota("force_refresh/wx1", {.period = day, .limit = 20, .spacing = 30s, .now = now},
//                   [](absl::StatusOr<QuotaOutcome> o) { /* o->verdict: taken, spent, too soon */
//                   });
//
// Callbacks:
//   - run exactly once per call, successful or not (an error is a value, never silence);
//   - may run inline, inside the call (the memory store), or later on a thread of the
//     store's own (a Redis store); never while the store holds one of its own locks,
//     so a callback may start the next store operation;
//   - must not block: they run on gRPC threads, the upstream client's thread or the
//     store's I/O thread, which all serve other work.
// Nothing a store does makes the calling thread wait on disk or network I/O.
//
// Versions: 0 means "no record". The store assigns the version of every record it
// writes (the previous one + 1), so versions of a key only grow and a reader can
// tell a newer value from the one it holds.
//
// Compare-and-set writes only if the key's version is still `expected_version`: of
// two writers that read version 3, exactly one stores version 4 and the other learns
// it lost along with the winner's record (and can hand that out instead).
//
// The refresh lease makes one refresher across replicas: before asking WeChat for a
// key, a replica takes the key's lease for a TTL longer than a fetch; others see
// `false` and wait for the stored value. The holder renews the lease (TryLease again,
// same owner) while its fetch runs and releases it when the value is stored. A lease
// that expires (its holder died or hung) may be taken over by any owner. A lease is
// advice, not a lock: a late holder's write still goes through compare-and-set.
//
// A quota counts uses of something WeChat rations (stable_token's force_refresh: 20 a
// day per appid) where every user of the store sees them: replicas sharing a store
// share the allowance, and a persisted store keeps the count across restarts.
//
// The memory store (the embedded default) serves one process; a Redis store shares
// tokens and the refresh lease between replicas behind the same interface.
// Implementations are thread-safe and must outlive every caller's pending callbacks.
#ifndef WXGATE_SERVICE_TOKEN_TOKEN_STORE_H_
#define WXGATE_SERVICE_TOKEN_TOKEN_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
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

// What a compare-and-set found.
struct CasOutcome {
  bool stored = false;  // whether the record given was written
  // The key's record after the call: the one written (with its version) when
  // `stored`, else the other writer's (nullopt if the key has none).
  std::optional<TokenRecord> current;
};

// One use of a rationed allowance: at most `limit` uses per `period` (a number the
// caller derives from the time, e.g. the day), each at least `spacing` after the last.
struct QuotaUse {
  int64_t period = 0;
  int limit = 0;
  absl::Duration spacing;
  absl::Time now;
};

struct QuotaOutcome {
  enum class Verdict { kTaken, kSpent, kTooSoon };
  Verdict verdict = Verdict::kTaken;
  int used = 0;  // uses in `period`, this one included when taken
};

class TokenStore {
 public:
  using GetDone = absl::AnyInvocable<void(absl::StatusOr<std::optional<TokenRecord>>) &&>;
  using CasDone = absl::AnyInvocable<void(absl::StatusOr<CasOutcome>) &&>;
  using LeaseDone = absl::AnyInvocable<void(absl::StatusOr<bool>) &&>;
  using ReleaseDone = absl::AnyInvocable<void(absl::Status) &&>;
  using QuotaDone = absl::AnyInvocable<void(absl::StatusOr<QuotaOutcome>) &&>;

  virtual ~TokenStore() = default;

  virtual void Get(absl::string_view key, GetDone done) = 0;
  // Stores `record` (its version is ignored and assigned) if the key's current
  // version is `expected_version`.
  virtual void CompareAndSet(absl::string_view key, int64_t expected_version, TokenRecord record,
                             CasDone done) = 0;
  // Takes or renews the refresh lease of `key` for `owner` until now + ttl: true.
  // False while another owner holds an unexpired lease.
  virtual void TryLease(absl::string_view key, absl::string_view owner, absl::Duration ttl,
                        LeaseDone done) = 0;
  // Drops `owner`'s lease of `key`; a no-op (OK) if `owner` does not hold it.
  virtual void ReleaseLease(absl::string_view key, absl::string_view owner, ReleaseDone done) = 0;
  // Takes one use of the quota `key` if `use` allows it; a use refused is not counted.
  virtual void TakeQuota(absl::string_view key, QuotaUse use, QuotaDone done) = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TOKEN_TOKEN_STORE_H_
