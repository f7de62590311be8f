#include "service/token/authorizer_grants.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/observe/log.h"

namespace wxgate {

AuthorizerGrants::AuthorizerGrants(TokenStore* store, AuthorizerGrantsOptions options)
    : store_(store), options_(std::move(options)) {}

AuthorizerGrants::~AuthorizerGrants() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
}

void AuthorizerGrants::Begin() {
  absl::MutexLock lock(&mu_);
  ++in_flight_;
}

void AuthorizerGrants::End() {
  absl::MutexLock lock(&mu_);
  --in_flight_;  // last: the destructor may go on once this reaches 0
}

absl::StatusOr<AuthorizerGrant> AuthorizerGrants::Verdict(
    const Account& authorizer, const std::optional<AuthorizerGrant>& grant) {
  if (!grant.has_value()) {
    return GatewayError(
        Reason::kUnknownAppid,
        absl::StrCat(authorizer.appid,
                     " is neither a configured account nor an account that "
                     "authorized the third-party platform ",
                     authorizer.component->appid, " (the gateway has seen no authorization of it)"),
        {{"appid", authorizer.appid}});
  }
  if (grant->revoked) {
    return GatewayError(
        Reason::kAuthorizerRevoked,
        absl::StrCat(authorizer.appid, " revoked its authorization of the third-party platform ",
                     authorizer.component->appid,
                     "; it must authorize again before calls on its behalf work"),
        {{"appid", authorizer.appid}});
  }
  return *grant;
}

void AuthorizerGrants::ReadStored(const Account& authorizer,
                                  absl::AnyInvocable<void(Stored grant, int64_t version) &&> done) {
  Begin();
  store_->Get(
      AuthorizerGrantKey(authorizer),
      [this, done = std::move(done)](absl::StatusOr<std::optional<TokenRecord>> record) mutable {
        if (!record.ok()) {
          std::move(done)(record.status(), 0);
        } else if (!record->has_value()) {
          std::move(done)(std::optional<AuthorizerGrant>(), 0);
        } else {
          absl::StatusOr<AuthorizerGrant> grant = DecodeAuthorizerGrant((*record)->value);
          if (grant.ok()) {
            std::move(done)(std::optional<AuthorizerGrant>(*std::move(grant)), (*record)->version);
          } else {
            std::move(done)(grant.status(), (*record)->version);
          }
        }
        End();
      });
}

void AuthorizerGrants::Remember(const Account& authorizer,
                                const std::optional<AuthorizerGrant>& grant) {
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[AuthorizerGrantKey(authorizer)];
  entry.grant = grant;
  entry.known = true;
  entry.read_at = options_.now();
}

SeenGrant AuthorizerGrants::LastSeen(const Account& authorizer) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(AuthorizerGrantKey(authorizer));
  if (it == entries_.end() || !it->second.known) return {};
  SeenGrant seen{.seen = true, .grant = it->second.grant};
  if (seen.grant.has_value()) seen.grant->refresh_token.clear();
  return seen;
}

void AuthorizerGrants::Check(const Account& authorizer, Done done) {
  std::optional<absl::StatusOr<AuthorizerGrant>> recent;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[AuthorizerGrantKey(authorizer)];
    if (entry.known && options_.now() < entry.read_at + options_.recheck) {
      recent = Verdict(authorizer, entry.grant);
    } else {
      entry.waiters.push_back(std::move(done));
      if (entry.reading) return;
      entry.reading = true;
    }
  }
  if (recent.has_value()) return std::move(done)(*std::move(recent));
  ReadStored(authorizer, [this, &authorizer](Stored grant, int64_t) {
    OnChecked(authorizer, std::move(grant));
  });
}

void AuthorizerGrants::OnChecked(const Account& authorizer, Stored stored) {
  std::vector<Done> waiters;
  absl::StatusOr<AuthorizerGrant> verdict;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = entries_[AuthorizerGrantKey(authorizer)];
    entry.reading = false;
    waiters.swap(entry.waiters);
    if (stored.ok()) {
      entry.grant = *stored;
      entry.known = true;
      entry.read_at = options_.now();
      verdict = Verdict(authorizer, entry.grant);
    } else if (entry.known) {
      verdict = Verdict(authorizer, entry.grant);  // the last one read, until the store is back
    } else {
      verdict = stored.status();
    }
  }
  if (!stored.ok()) {
    Log(LogLevel::kWarning, "token_store_failed",
        {{"key", AuthorizerGrantKey(authorizer)},
         {"operation", "get"},
         {"error", stored.status().message()}});
  }
  for (Done& waiter : waiters) std::move(waiter)(verdict);
}

void AuthorizerGrants::Read(const Account& authorizer, Done done) {
  ReadStored(authorizer,
             [this, &authorizer, done = std::move(done)](Stored grant, int64_t) mutable {
               if (!grant.ok()) return std::move(done)(grant.status());
               Remember(authorizer, *grant);
               if (!grant->has_value())
                 return std::move(done)(Verdict(authorizer, std::nullopt).status());
               std::move(done)(**std::move(grant));
             });
}

void AuthorizerGrants::Update(const Account& authorizer, Change change,
                              absl::AnyInvocable<void(absl::Status) &&> done) {
  TryUpdate(authorizer, std::move(change), 3, std::move(done));
}

void AuthorizerGrants::TryUpdate(const Account& authorizer, Change change, int tries_left,
                                 absl::AnyInvocable<void(absl::Status) &&> done) {
  ReadStored(authorizer, [this, &authorizer, change = std::move(change), tries_left,
                          done = std::move(done)](Stored current, int64_t version) mutable {
    if (!current.ok() && current.status().code() != absl::StatusCode::kDataLoss) {
      return std::move(done)(current.status());
    }
    // A record that does not decode is overwritten: the change says what it should be.
    std::optional<AuthorizerGrant> wanted =
        change(current.ok() ? *current : std::optional<AuthorizerGrant>());
    if (!wanted.has_value()) return std::move(done)(absl::OkStatus());
    const absl::Time now = options_.now();
    TokenRecord record{.value = EncodeAuthorizerGrant(*wanted),
                       .fetched_at = now,
                       .expires_at = now + absl::Hours(24 * 365 * 10)};  // until revoked
    Begin();
    store_->CompareAndSet(
        AuthorizerGrantKey(authorizer), version, std::move(record),
        [this, &authorizer, change = std::move(change), tries_left, done = std::move(done),
         wanted = *std::move(wanted)](absl::StatusOr<CasOutcome> outcome) mutable {
          if (!outcome.ok()) {
            std::move(done)(outcome.status());
          } else if (outcome->stored) {
            Remember(authorizer, wanted);
            std::move(done)(absl::OkStatus());
          } else if (tries_left > 1) {
            TryUpdate(authorizer, std::move(change), tries_left - 1, std::move(done));
          } else {
            std::move(done)(absl::AbortedError(
                absl::StrCat("other writers kept changing the grant of ", authorizer.appid)));
          }
          End();
        });
  });
}

}  // namespace wxgate
