// Test helper: a TokenStore that answers when the test says so, or fails on demand.
//
//   FakeTokenStore store([&] { return clock.Now(); });
//   store.Hold(true);                    // operations wait for the test from now on
//   manager.Get(account, kind, done);    // returns at once: the store's Get is pending
//   store.pending();                     // 1
//   store.RunNext();                     // runs it, and its callback, on this thread
//   store.RunAll();                      // … and whatever those callbacks start
//   store.FailNext(FakeTokenStore::Op::kCompareAndSet, absl::UnavailableError("down"));
//   store.Put("wx1/access_token", record);        // as another replica would write it
//   store.LeaseTo("wx1/access_token", "replica-2", absl::Seconds(30));
//   store.calls(FakeTokenStore::Op::kGet);
//
// The data is a MemoryTokenStore's (leases on the injected clock), so it behaves as
// the embedded default does. An operation runs against the data when it completes,
// not when it is called, as a remote store's would. Without Hold it completes inline, inside the
// call, like the memory store. A failed operation leaves the data alone. Callbacks never run under
// the fake's lock.
#ifndef WXGATE_TESTS_TESTING_FAKE_TOKEN_STORE_H_
#define WXGATE_TESTS_TESTING_FAKE_TOKEN_STORE_H_

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/token/memory_token_store.h"

namespace wxgate::testing {

class FakeTokenStore : public TokenStore {
 public:
  enum class Op { kGet, kCompareAndSet, kTryLease, kReleaseLease, kTakeQuota };

  explicit FakeTokenStore(std::function<absl::Time()> now) : data_("", std::move(now)) {}
  // Operations still pending never complete: run them first (RunAll).
  ~FakeTokenStore() override = default;
  FakeTokenStore(const FakeTokenStore&) = delete;
  FakeTokenStore& operator=(const FakeTokenStore&) = delete;

  // true: operations called from now on wait for RunNext / RunAll.
  void Hold(bool hold) {
    absl::MutexLock lock(&mu_);
    hold_ = hold;
  }
  int pending() const {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(pending_.size());
  }
  // Completes the oldest pending operation; false if there is none.
  bool RunNext() {
    absl::AnyInvocable<void() &&> run;
    {
      absl::MutexLock lock(&mu_);
      if (pending_.empty()) return false;
      run = std::move(pending_.front());
      pending_.pop_front();
    }
    std::move(run)();
    return true;
  }
  // Completes pending operations until none is left; returns how many ran.
  int RunAll() {
    int ran = 0;
    while (RunNext()) ++ran;
    return ran;
  }

  // The next operation of kind `op` to complete fails with `status`.
  void FailNext(Op op, absl::Status status) {
    absl::MutexLock lock(&mu_);
    failures_[op].push_back(std::move(status));
  }
  // Every operation of kind `op` fails with `status` until ClearFailures.
  void FailAll(Op op, absl::Status status) {
    absl::MutexLock lock(&mu_);
    always_fail_[op] = std::move(status);
  }
  void ClearFailures() {
    absl::MutexLock lock(&mu_);
    failures_.clear();
    always_fail_.clear();
  }

  // Writes `record` as the key's next version, as another writer would.
  TokenRecord Put(const std::string& key, TokenRecord record) {
    const std::optional<TokenRecord> current = Peek(key);
    TokenRecord stored;
    data_.CompareAndSet(key, current ? current->version : 0, std::move(record),
                        [&](absl::StatusOr<CasOutcome> outcome) { stored = *outcome->current; });
    return stored;
  }
  std::optional<TokenRecord> Peek(const std::string& key) const {
    std::optional<TokenRecord> record;
    data_.Get(key, [&](absl::StatusOr<std::optional<TokenRecord>> got) { record = *got; });
    return record;
  }
  // Gives the lease to `owner`, as another replica taking it would.
  void LeaseTo(const std::string& key, std::string owner, absl::Duration ttl) {
    data_.ReleaseLease(key, data_.LeaseOwner(key), [](absl::Status) {});
    data_.TryLease(key, owner, ttl, [](absl::StatusOr<bool>) {});
  }
  // Who holds the key's lease now ("" when nobody does or it expired).
  std::string LeaseOwner(const std::string& key) const { return data_.LeaseOwner(key); }
  // How many operations of kind `op` were called (failed ones included).
  int calls(Op op) const {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(op);
    return it == calls_.end() ? 0 : it->second;
  }

  void Get(absl::string_view key, GetDone done) override {
    Start(Op::kGet, [this, key = std::string(key),
                     done = std::move(done)](std::optional<absl::Status> failure) mutable {
      if (failure) return std::move(done)(*failure);
      data_.Get(key, std::move(done));
    });
  }

  void CompareAndSet(absl::string_view key, int64_t expected_version, TokenRecord record,
                     CasDone done) override {
    Start(Op::kCompareAndSet,
          [this, key = std::string(key), expected_version, record = std::move(record),
           done = std::move(done)](std::optional<absl::Status> failure) mutable {
            if (failure) return std::move(done)(*failure);
            data_.CompareAndSet(key, expected_version, std::move(record), std::move(done));
          });
  }

  void TryLease(absl::string_view key, absl::string_view owner, absl::Duration ttl,
                LeaseDone done) override {
    Start(Op::kTryLease, [this, key = std::string(key), owner = std::string(owner), ttl,
                          done = std::move(done)](std::optional<absl::Status> failure) mutable {
      if (failure) return std::move(done)(*failure);
      data_.TryLease(key, owner, ttl, std::move(done));
    });
  }

  void ReleaseLease(absl::string_view key, absl::string_view owner, ReleaseDone done) override {
    Start(Op::kReleaseLease, [this, key = std::string(key), owner = std::string(owner),
                              done = std::move(done)](std::optional<absl::Status> failure) mutable {
      if (failure) return std::move(done)(*failure);
      data_.ReleaseLease(key, owner, std::move(done));
    });
  }

  void TakeQuota(absl::string_view key, QuotaUse use, QuotaDone done) override {
    Start(Op::kTakeQuota, [this, key = std::string(key), use,
                           done = std::move(done)](std::optional<absl::Status> failure) mutable {
      if (failure) return std::move(done)(*failure);
      data_.TakeQuota(key, use, std::move(done));
    });
  }

 private:
  // `run` gets the failure the operation was scripted to have, if any.
  using Run = absl::AnyInvocable<void(std::optional<absl::Status>) &&>;

  void Start(Op op, Run run) {
    bool hold;
    {
      absl::MutexLock lock(&mu_);
      ++calls_[op];
      hold = hold_;
      if (hold) {
        pending_.push_back(
            [this, op, run = std::move(run)]() mutable { std::move(run)(TakeFailure(op)); });
      }
    }
    if (!hold) std::move(run)(TakeFailure(op));
  }
  std::optional<absl::Status> TakeFailure(Op op) {
    absl::MutexLock lock(&mu_);
    if (auto it = failures_.find(op); it != failures_.end() && !it->second.empty()) {
      absl::Status status = std::move(it->second.front());
      it->second.pop_front();
      return status;
    }
    if (auto it = always_fail_.find(op); it != always_fail_.end()) return it->second;
    return std::nullopt;
  }

  mutable MemoryTokenStore data_;  // answers inline
  mutable absl::Mutex mu_;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<absl::AnyInvocable<void() &&>> pending_ ABSL_GUARDED_BY(mu_);
  std::map<Op, std::deque<absl::Status>> failures_ ABSL_GUARDED_BY(mu_);
  std::map<Op, absl::Status> always_fail_ ABSL_GUARDED_BY(mu_);
  std::map<Op, int> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_TESTING_FAKE_TOKEN_STORE_H_
