#include "service/token/token_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/wechat_errors.h"
#include "service/observe/log.h"

namespace wxgate {
namespace {

// How long a refresh lease lasts: longer than one fetch may take.
constexpr absl::Duration kLeaseTtl = absl::Seconds(30);

}  // namespace

TokenManager::TokenManager(TokenFetcher* fetcher, TokenStore* store, TokenManagerOptions options)
    : fetcher_(fetcher),
      store_(store),
      options_(std::move(options)),
      random_(options_.jitter_seed) {}

TokenManager::~TokenManager() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (const auto& [key, slot] : slots_) {
    if (slot.transfer) fetcher_->Cancel(*slot.transfer);
  }
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &fetches_in_flight_));
}

std::string TokenManager::KeyOf(const Account& account, TokenKind kind) {
  return absl::StrCat(account.appid, "/", TokenKindName(kind));
}

bool TokenManager::Usable(const TokenRecord& record) const {
  return !record.value.empty() && options_.now() < record.expires_at - options_.expiry_margin;
}

void TokenManager::Get(const Account& account, TokenKind kind, Done done) {
  const std::string key = KeyOf(account, kind);
  absl::StatusOr<std::string> answer;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_[key];
    slot.account = &account;
    slot.kind = kind;
    if (Usable(slot.record)) {
      answer = slot.record.value;
    } else if (!slot.last_error.ok() && options_.now() < slot.retry_at) {
      answer = slot.last_error;  // backing off: no new fetch yet
    } else {
      slot.waiters.push_back(std::move(done));
      if (slot.fetching) return;
      BeginFetchLocked(slot);
    }
  }
  if (done) return std::move(done)(std::move(answer));
  Fetch(key);
}

void TokenManager::BeginFetchLocked(Slot& slot) {
  slot.fetching = true;
  ++fetches_in_flight_;
}

void TokenManager::Fetch(const std::string& key) {
  const Account* account = nullptr;
  TokenKind kind = TokenKind::kAccessToken;
  std::string rejected;
  std::optional<int64_t> held_version;  // of the value this manager hands out, if any
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    const Slot& slot = slots_[key];
    account = slot.account;
    kind = slot.kind;
    rejected = slot.rejected;
    if (!slot.record.value.empty()) held_version = slot.record.version;
  }
  if (stopping) return Finish(key, absl::CancelledError("the gateway is shutting down"), false);
  // Another replica, or this process before a restart, may have stored a newer good
  // value; the one this manager already holds is what a refresh replaces.
  int64_t version = 0;
  absl::StatusOr<std::optional<TokenRecord>> stored = store_->Get(key);
  if (stored.ok() && stored->has_value()) {
    version = (*stored)->version;
    const bool newer = !held_version || (*stored)->version > *held_version;
    if (newer && Usable(**stored) && (*stored)->value != rejected) {
      return Finish(key, **stored, false);
    }
  }
  absl::StatusOr<bool> lease = store_->TryLease(key, options_.lease_owner, kLeaseTtl);
  if (lease.ok() && !*lease) {
    return Finish(key,
                  GatewayError(absl::StatusCode::kUnavailable, "TOKEN_REFRESH_ELSEWHERE",
                               "another gateway replica is fetching this token; retry shortly"),
                  false);
  }
  if (kind == TokenKind::kAccessToken) {
    FetchFromWeChat(key, *account, version, rejected);
  } else {
    FetchTicket(key, *account, kind, version, /*retried=*/false);
  }
}

void TokenManager::FetchFromWeChat(const std::string& key, const Account& account,
                                   int64_t stored_version, std::string rejected) {
  auto on_answer = [this, key, &account, stored_version,
                    rejected = std::move(rejected)](absl::StatusOr<FetchedToken> got) {
    // stable_token's normal mode handing back the token WeChat just rejected means
    // someone else invalidated it: only force_refresh gets a working one.
    if (got.ok() && !rejected.empty() && got->value == rejected &&
        account.token_api != config::v1::TOKEN_API_CLASSIC) {
      if (absl::Status spend = budget_.TrySpend(account.appid, options_.now()); !spend.ok()) {
        return Store(key, stored_version, spend);
      }
      Log(LogLevel::kWarning, "token_force_refresh", {{"appid", account.appid}});
      SetTransfer(key, fetcher_->FetchAccessToken(
                           account, /*force_refresh=*/true,
                           [this, key, stored_version](absl::StatusOr<FetchedToken> forced) {
                             Store(key, stored_version, std::move(forced));
                           }));
      return;
    }
    Store(key, stored_version, std::move(got));
  };
  SetTransfer(key,
              fetcher_->FetchAccessToken(account, /*force_refresh=*/false, std::move(on_answer)));
}

void TokenManager::FetchTicket(const std::string& key, const Account& account, TokenKind kind,
                               int64_t stored_version, bool retried) {
  Get(account, TokenKind::kAccessToken,
      [this, key, &account, kind, stored_version, retried](absl::StatusOr<std::string> token) {
        if (!token.ok()) return Store(key, stored_version, token.status());
        SetTransfer(key, fetcher_->FetchTicket(
                             *token, kind,
                             [this, key, &account, kind, stored_version, retried,
                              access = *token](absl::StatusOr<FetchedToken> got) {
                               if (!got.ok() && !retried && IsStaleTokenError(got.status())) {
                                 Invalidate(account, TokenKind::kAccessToken, access);
                                 return FetchTicket(key, account, kind, stored_version, true);
                               }
                               Store(key, stored_version, std::move(got));
                             }));
      });
}

void TokenManager::Store(const std::string& key, int64_t stored_version,
                         absl::StatusOr<FetchedToken> got) {
  store_->ReleaseLease(key, options_.lease_owner);
  if (!got.ok()) return Finish(key, got.status(), true);
  const absl::Time now = options_.now();
  TokenRecord record{.value = std::move(got->value),
                     .fetched_at = now,
                     .expires_at = now + got->lifetime,
                     .version = stored_version + 1};
  absl::StatusOr<bool> stored = store_->CompareAndSet(key, stored_version, record);
  if (!stored.ok()) {
    Log(LogLevel::kWarning, "token_store_failed",
        {{"key", key}, {"error", stored.status().message()}});
  } else if (!*stored) {
    // Another writer was first; converge on its value when it is good.
    absl::StatusOr<std::optional<TokenRecord>> theirs = store_->Get(key);
    if (theirs.ok() && theirs->has_value() && Usable(**theirs)) record = **theirs;
  }
  Finish(key, std::move(record), true);
}

void TokenManager::SetTransfer(const std::string& key, HttpTransport::TransferId id) {
  absl::MutexLock lock(&mu_);
  Slot& slot = slots_[key];
  if (!slot.fetching) return;  // that transfer already ended
  slot.transfer = id;
  if (stopping_) fetcher_->Cancel(id);
}

void TokenManager::Finish(const std::string& key, FetchOutcome outcome, bool from_wechat) {
  std::vector<Done> waiters;
  std::string appid;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_[key];
    slot.fetching = false;
    slot.transfer.reset();
    appid = slot.account ? slot.account->appid : "";
    const absl::Time now = options_.now();
    if (outcome.ok()) {
      slot.record = *outcome;
      const absl::Duration lifetime = slot.record.expires_at - slot.record.fetched_at;
      std::uniform_real_distribution<double> jitter(-options_.refresh_jitter,
                                                    options_.refresh_jitter);
      slot.refresh_at =
          slot.record.fetched_at + lifetime * (options_.refresh_fraction + jitter(random_));
      if (slot.record.value != slot.rejected) slot.rejected.clear();
      slot.failures = 0;
      slot.retry_at = absl::InfinitePast();
      slot.last_error = absl::OkStatus();
      if (from_wechat) ++slot.fetches;
    } else {
      ++slot.failures;
      if (from_wechat) ++slot.failed_fetches;
      slot.retry_at =
          now + std::min(options_.max_backoff,
                         options_.min_backoff * (int64_t{1} << std::min(slot.failures - 1, 20)));
      slot.last_error = outcome.status();
    }
    waiters.swap(slot.waiters);
  }
  if (outcome.ok()) {
    Log(LogLevel::kInfo, from_wechat ? "token_fetched" : "token_loaded",
        {{"key", key},
         {"expires_in_s",
          absl::StrCat(absl::ToInt64Seconds(outcome->expires_at - options_.now()))}});
  } else {
    Log(LogLevel::kWarning, "token_fetch_failed",
        {{"key", key}, {"error", outcome.status().message()}});
  }
  for (Done& done : waiters) {
    if (outcome.ok()) {
      std::move(done)(outcome->value);
    } else {
      std::move(done)(outcome.status());
    }
  }
  absl::MutexLock lock(&mu_);
  --fetches_in_flight_;  // last: the destructor may go on once this reaches 0
}

bool TokenManager::Invalidate(const Account& account, TokenKind kind, absl::string_view value) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(KeyOf(account, kind));
  if (it == slots_.end() || value.empty() || it->second.record.value != value) return false;
  Slot& slot = it->second;
  slot.rejected = std::string(value);
  slot.record.value.clear();
  slot.record.expires_at = absl::InfinitePast();
  slot.retry_at = absl::InfinitePast();  // a stale token is replaced at once
  slot.last_error = absl::OkStatus();
  return true;
}

int TokenManager::RefreshDue() {
  std::vector<std::string> due;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return 0;
    const absl::Time now = options_.now();
    for (auto& [key, slot] : slots_) {
      if (slot.fetching || slot.account == nullptr || now < slot.retry_at) continue;
      const bool ahead = !slot.record.value.empty() && now >= slot.refresh_at;
      if (ahead || !slot.waiters.empty()) {
        BeginFetchLocked(slot);
        due.push_back(key);
      }
    }
  }
  for (const std::string& key : due) Fetch(key);
  return static_cast<int>(due.size());
}

TokenState TokenManager::Status(const Account& account, TokenKind kind) const {
  TokenState state;
  state.force_refresh_left = budget_.Left(account.appid, options_.now());
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(KeyOf(account, kind));
  if (it == slots_.end()) return state;
  const Slot& slot = it->second;
  state.valid = Usable(slot.record);
  state.fetched_at = slot.record.fetched_at;
  state.expires_at = slot.record.expires_at;
  state.refresh_at = slot.refresh_at;
  state.fetches = slot.fetches;
  state.failed_fetches = slot.failed_fetches;
  if (!slot.last_error.ok()) state.last_error = std::string(slot.last_error.message());
  return state;
}

}  // namespace wxgate
