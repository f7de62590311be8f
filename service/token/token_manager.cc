#include "service/token/token_manager.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/observe/log.h"
#include "service/upstream/credential.h"

namespace wxgate {
namespace {

// WeChat's expires_in counts whole seconds, rounded down: a token handed back
// unchanged lives up to this much longer than its expires_in says. Refreshing it
// before then would bring it back once more, with expires_in 0.
constexpr absl::Duration kExpiresInRounding = absl::Seconds(1);

absl::Status ShuttingDown() { return absl::CancelledError("the gateway is shutting down"); }

// WeChat: a component_verify_ticket is valid for 12 hours; a new one comes every 10
// minutes.
constexpr absl::Duration kComponentTicketLifetime = absl::Hours(12);

absl::Status TicketMissing(absl::string_view component_appid) {
  return GatewayError(
      Reason::kComponentTicketMissing,
      absl::StrCat(
          "no component_verify_ticket is known for the third-party platform ", component_appid,
          " yet: WeChat pushes one every 10 minutes to /wechat/component/", component_appid,
          " on the callback listener once the platform's authorization-event URL "
          "points there; retry after it arrived"));
}

}  // namespace

TokenManager::TokenManager(TokenFetcher* fetcher, TokenStore* store, TokenManagerOptions options)
    : fetcher_(fetcher),
      store_(store),
      options_(std::move(options)),
      budget_(*store),
      random_(options_.jitter_seed),
      grants_(store, {.recheck = options_.grant_recheck, .now = options_.now}) {}

TokenManager::~TokenManager() {
  std::vector<HttpTransport::TransferId> running;
  std::vector<std::string> awaiting;  // fetches waiting for another replica's value
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (const auto& [handle, id] : transfers_) {
      if (id) running.push_back(*id);
    }
    for (auto& [key, slot] : slots_) {
      if (slot.awaiting_elsewhere) awaiting.push_back(key);
      slot.awaiting_elsewhere = false;
    }
  }
  // Unlocked: a transport may end a transfer, and so run our callback, inside Cancel.
  for (HttpTransport::TransferId id : running) fetcher_->Cancel(id);
  for (const std::string& key : awaiting) Finish(key, ShuttingDown(), false);
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* in_flight) { return *in_flight == 0; }, &in_flight_));
}

std::string TokenManager::KeyOf(const Account& account, TokenKind kind) {
  // An authorizer's keys sit under its component: the same appid may also be an
  // account of its own, or have authorized another platform.
  if (account.component != nullptr) {
    return absl::StrCat(account.component->appid, "/", account.appid, "/", TokenKindName(kind));
  }
  return absl::StrCat(account.appid, "/", TokenKindName(kind));
}

bool TokenManager::Usable(const TokenRecord& record) const {
  const absl::Duration margin =
      std::min(options_.expiry_margin, (record.expires_at - record.fetched_at) / 10);
  return !record.value.empty() && options_.now() < record.expires_at - margin;
}

bool TokenManager::HandsOut(const Slot& slot) const {
  return Usable(slot.record) || (slot.same_until_expiry && !slot.record.value.empty() &&
                                 options_.now() < slot.record.expires_at + kExpiresInRounding);
}

void TokenManager::Get(const Account& account, TokenKind kind, Done done) {
  if (account.component == nullptr) return GetChecked(account, kind, std::move(done));
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return std::move(done)(ShuttingDown());
    ++in_flight_;
  }
  grants_.Check(account, [this, &account, kind,
                          done = std::move(done)](absl::StatusOr<AuthorizerGrant> grant) mutable {
    if (grant.ok()) {
      GetChecked(account, kind, std::move(done));
    } else {
      std::move(done)(grant.status());
    }
    absl::MutexLock lock(&mu_);
    --in_flight_;  // last: the destructor may go on once this reaches 0
  });
}

void TokenManager::GetChecked(const Account& account, TokenKind kind, Done done) {
  const std::string key = KeyOf(account, kind);
  absl::StatusOr<std::string> answer;
  bool queued = false;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_[key];
    slot.account = &account;
    slot.kind = kind;
    if (HandsOut(slot)) {
      answer = slot.record.value;
    } else if (!slot.last_error.ok() && options_.now() < slot.retry_at) {
      answer = slot.last_error;  // backing off: no new fetch yet
    } else {
      slot.waiters.push_back(std::move(done));
      queued = true;
      if (slot.fetching) return;
      BeginFetchLocked(slot);
    }
  }
  if (!queued) return std::move(done)(std::move(answer));
  Fetch(key);
}

void TokenManager::BeginFetchLocked(Slot& slot) {
  slot.fetching = true;
  ++slot.attempt;
  slot.lease_held = false;
  slot.renewing_lease = false;  // a renewal still running belongs to the last attempt
  ++in_flight_;
}

void TokenManager::Fetch(const std::string& key) {
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
  }
  if (stopping) return Finish(key, ShuttingDown(), false);
  // Another replica, or this process before a restart, may have stored a newer good
  // value: the store is asked before WeChat is.
  store_->Get(key, [this, key](absl::StatusOr<std::optional<TokenRecord>> stored) {
    OnStoreRead(key, std::move(stored));
  });
}

void TokenManager::OnStoreRead(const std::string& key,
                               absl::StatusOr<std::optional<TokenRecord>> stored) {
  std::string rejected;
  std::optional<int64_t> held_version;  // of the value this manager hands out, if any
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    const Slot& slot = slots_[key];
    rejected = slot.rejected;
    if (!slot.record.value.empty()) held_version = slot.record.version;
  }
  if (stopping) return Finish(key, ShuttingDown(), false);
  int64_t version = 0;
  if (!stored.ok()) {
    // Tokens keep coming from WeChat while the store is down; the write may then
    // lose its compare-and-set, which is safe.
    Log(LogLevel::kWarning, "token_store_failed",
        {{"key", key}, {"operation", "get"}, {"error", stored.status().message()}});
  } else if (stored->has_value()) {
    version = (*stored)->version;
    // The value this manager already holds is what a refresh replaces.
    const bool newer = !held_version || version > *held_version;
    if (newer && Usable(**stored) && (*stored)->value != rejected) {
      return Finish(key, **std::move(stored), false);
    }
  }
  store_->TryLease(key, options_.lease_owner, options_.lease_ttl,
                   [this, key, version](absl::StatusOr<bool> taken) {
                     OnLease(key, version, std::move(taken));
                   });
}

void TokenManager::OnLease(const std::string& key, int64_t stored_version,
                           absl::StatusOr<bool> taken) {
  {
    absl::MutexLock lock(&mu_);
    if (taken.ok() && *taken) {
      Slot& slot = slots_[key];
      slot.lease_held = true;
      slot.lease_renew_at = options_.now() + options_.lease_ttl / 2;
    } else if (taken.ok() && !stopping_) {
      // Another replica is fetching: its callers' and ours wait for its value, which
      // the next RefreshDue reads from the store (or takes the lease if it lapsed).
      slots_[key].awaiting_elsewhere = true;
      return;
    }
  }
  if (!taken.ok()) {
    Log(LogLevel::kWarning, "token_store_failed",
        {{"key", key}, {"operation", "lease"}, {"error", taken.status().message()}});
    return FetchFromUpstream(key, stored_version);
  }
  if (!*taken) return Finish(key, ShuttingDown(), false);
  // Read again under the lease: the last holder may have stored its value and let
  // the lease go between our read and our lease, and must not be fetched twice.
  store_->Get(key, [this, key, stored_version](absl::StatusOr<std::optional<TokenRecord>> again) {
    std::string rejected;
    {
      absl::MutexLock lock(&mu_);
      rejected = slots_[key].rejected;
    }
    if (again.ok() && again->has_value() && (*again)->version > stored_version && Usable(**again) &&
        (*again)->value != rejected) {
      ReleaseLease(key);
      return Finish(key, **std::move(again), false);
    }
    const bool newer = again.ok() && again->has_value() && (*again)->version > stored_version;
    FetchFromUpstream(key, newer ? (*again)->version : stored_version);
  });
}

void TokenManager::FetchFromUpstream(const std::string& key, int64_t stored_version) {
  const Account* account = nullptr;
  TokenKind kind = TokenKind::kAccessToken;
  std::string rejected;
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    const Slot& slot = slots_[key];
    account = slot.account;
    kind = slot.kind;
    rejected = slot.rejected;
  }
  if (stopping) return Store(key, stored_version, ShuttingDown());
  switch (kind) {
    case TokenKind::kAccessToken:
      if (account->component != nullptr) {
        return FetchAuthorizerToken(key, *account, stored_version, /*retried=*/false);
      }
      return FetchFromWeChat(key, *account, stored_version, std::move(rejected));
    case TokenKind::kJsapiTicket:
    case TokenKind::kWxCardTicket:
      return FetchTicket(key, *account, kind, stored_version, /*retried=*/false);
    case TokenKind::kComponentVerifyTicket:
      // Never fetched: only WeChat's push brings one, and the store had none.
      return Store(key, stored_version, TicketMissing(account->appid));
    case TokenKind::kComponentAccessToken:
      return FetchComponentToken(key, *account, stored_version);
  }
}

void TokenManager::FetchComponentToken(const std::string& key, const Account& component,
                                       int64_t stored_version) {
  Get(component, TokenKind::kComponentVerifyTicket,
      [this, key, &component, stored_version](absl::StatusOr<std::string> ticket) {
        if (!ticket.ok()) return Store(key, stored_version, ticket.status());
        StartTransfer(
            [&](TokenFetcher::Done done) {
              return fetcher_->FetchComponentToken(component, *ticket, std::move(done));
            },
            [this, key, stored_version](absl::StatusOr<FetchedToken> got) {
              Store(key, stored_version, std::move(got));
            });
      });
}

void TokenManager::FetchAuthorizerToken(const std::string& key, const Account& authorizer,
                                        int64_t stored_version, bool retried) {
  grants_.Read(authorizer, [this, key, &authorizer, stored_version,
                            retried](absl::StatusOr<AuthorizerGrant> grant) {
    if (grant.ok() && grant->revoked)
      grant = AuthorizerGrants::Verdict(authorizer, *grant).status();
    if (!grant.ok()) return Store(key, stored_version, grant.status());
    Get(*authorizer.component, TokenKind::kComponentAccessToken,
        [this, key, &authorizer, stored_version, retried,
         refresh = grant->refresh_token](absl::StatusOr<std::string> component_token) {
          if (!component_token.ok()) return Store(key, stored_version, component_token.status());
          StartTransfer(
              [&](TokenFetcher::Done done) {
                return fetcher_->FetchAuthorizerToken(authorizer, *component_token, refresh,
                                                      std::move(done));
              },
              [this, key, &authorizer, stored_version, retried, refresh,
               component_token = *component_token](absl::StatusOr<FetchedToken> got) {
                if (!got.ok() && !retried &&
                    CredentialWasStale(got.status(), CredentialKind::kComponentAccessToken)) {
                  Invalidate(*authorizer.component, TokenKind::kComponentAccessToken,
                             component_token);
                  return FetchAuthorizerToken(key, authorizer, stored_version, true);
                }
                if (!got.ok() || got->grant.refresh_token == refresh) {
                  return Store(key, stored_version, std::move(got));
                }
                // WeChat rotated the refresh token: the old one may stop working, so the
                // new one is stored before the token is handed out.
                std::string rotated = got->grant.refresh_token;
                grants_.Update(
                    authorizer,
                    [refresh,
                     rotated = std::move(rotated)](const std::optional<AuthorizerGrant>& current)
                        -> std::optional<AuthorizerGrant> {
                      if (!current || current->revoked || current->refresh_token != refresh) {
                        return std::nullopt;  // revoked or re-authorized meanwhile
                      }
                      AuthorizerGrant next = *current;
                      next.refresh_token = rotated;
                      return next;
                    },
                    [this, key, stored_version, got = *std::move(got)](absl::Status stored) {
                      if (!stored.ok()) {
                        Log(LogLevel::kWarning, "token_store_failed",
                            {{"key", key},
                             {"operation", "rotate_refresh_token"},
                             {"error", stored.message()}});
                      }
                      Store(key, stored_version, got);
                    });
              });
        });
  });
}

void TokenManager::Authorize(const Account& component, std::string authorization_code,
                             AuthorizerOf authorizer_of,
                             absl::AnyInvocable<void(absl::StatusOr<Authorized>) &&> done) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return std::move(done)(ShuttingDown());
    ++in_flight_;
  }
  QueryAuth(component, std::move(authorization_code), std::move(authorizer_of), /*retried=*/false,
            [this, done = std::move(done)](absl::StatusOr<Authorized> authorized) mutable {
              std::move(done)(std::move(authorized));
              absl::MutexLock lock(&mu_);
              --in_flight_;  // last: the destructor may go on once this reaches 0
            });
}

void TokenManager::QueryAuth(const Account& component, std::string code, AuthorizerOf authorizer_of,
                             bool retried,
                             absl::AnyInvocable<void(absl::StatusOr<Authorized>) &&> done) {
  Get(component, TokenKind::kComponentAccessToken,
      [this, &component, code = std::move(code), authorizer_of = std::move(authorizer_of), retried,
       done = std::move(done)](absl::StatusOr<std::string> component_token) mutable {
        if (!component_token.ok()) return std::move(done)(component_token.status());
        auto answered = [this, &component, code, authorizer_of = std::move(authorizer_of), retried,
                         done = std::move(done), component_token = *component_token](
                            absl::StatusOr<FetchedToken> got) mutable {
          if (!got.ok() && !retried &&
              CredentialWasStale(got.status(), CredentialKind::kComponentAccessToken)) {
            Invalidate(component, TokenKind::kComponentAccessToken, component_token);
            return QueryAuth(component, std::move(code), std::move(authorizer_of), true,
                             std::move(done));
          }
          if (!got.ok()) return std::move(done)(got.status());
          absl::StatusOr<const Account*> found = authorizer_of(got->authorizer_appid);
          if (!found.ok()) return std::move(done)(found.status());
          const Account& authorizer = **found;
          const absl::Time now = options_.now();
          TokenRecord token{
              .value = std::move(got->value), .fetched_at = now, .expires_at = now + got->lifetime};
          Authorized authorized{.authorizer = &authorizer,
                                .permission_sets = got->grant.permission_sets};
          grants_.Update(
              authorizer,
              [grant = got->grant](const std::optional<AuthorizerGrant>&) { return grant; },
              [this, &authorizer, token = std::move(token), authorized = std::move(authorized),
               done = std::move(done)](absl::Status granted) mutable {
                if (!granted.ok()) return std::move(done)(granted);
                Log(LogLevel::kInfo, "authorizer_authorized",
                    {{"component_appid", authorizer.component->appid},
                     {"appid", authorizer.appid}});
                Put(authorizer, TokenKind::kAccessToken, std::move(token),
                    [authorized = std::move(authorized),
                     done = std::move(done)](absl::Status) mutable {
                      // The token is handed out from memory either way; a store
                      // failure only costs other replicas a fetch.
                      std::move(done)(std::move(authorized));
                    });
              });
        };
        StartTransfer(
            [&](TokenFetcher::Done fetched) {
              return fetcher_->QueryAuth(component, *component_token, code, std::move(fetched));
            },
            std::move(answered));
      });
}

void TokenManager::Revoke(const Account& authorizer,
                          absl::AnyInvocable<void(absl::Status) &&> done) {
  {
    absl::MutexLock lock(&mu_);
    // Nothing of it is handed out or refreshed ahead any more.
    for (TokenKind kind :
         {TokenKind::kAccessToken, TokenKind::kJsapiTicket, TokenKind::kWxCardTicket}) {
      auto slot = slots_.find(KeyOf(authorizer, kind));
      if (slot == slots_.end() || slot->second.fetching) continue;
      slot->second.record = TokenRecord{};
      slot->second.same_until_expiry = false;
    }
  }
  grants_.Update(
      authorizer,
      [](const std::optional<AuthorizerGrant>&) { return AuthorizerGrant{.revoked = true}; },
      [&authorizer, done = std::move(done)](absl::Status revoked) mutable {
        if (revoked.ok()) {
          Log(LogLevel::kInfo, "authorizer_revoked",
              {{"component_appid", authorizer.component->appid}, {"appid", authorizer.appid}});
        }
        std::move(done)(revoked);
      });
}

void TokenManager::SetComponentTicket(const Account& component, std::string ticket,
                                      absl::AnyInvocable<void(absl::Status) &&> done) {
  const absl::Time now = options_.now();
  {
    absl::MutexLock lock(&mu_);
    // A component_access_token that failed for want of a ticket is fetched at once.
    auto token = slots_.find(KeyOf(component, TokenKind::kComponentAccessToken));
    if (token != slots_.end() && !token->second.fetching) {
      token->second.retry_at = absl::InfinitePast();
      token->second.last_error = absl::OkStatus();
    }
  }
  Put(component, TokenKind::kComponentVerifyTicket,
      {.value = std::move(ticket), .fetched_at = now, .expires_at = now + kComponentTicketLifetime},
      [appid = component.appid, done = std::move(done)](absl::Status stored) mutable {
        if (stored.ok())
          Log(LogLevel::kInfo, "component_ticket_stored", {{"component_appid", appid}});
        std::move(done)(stored);
      });
}

void TokenManager::Put(const Account& account, TokenKind kind, TokenRecord record,
                       absl::AnyInvocable<void(absl::Status) &&> done) {
  const std::string key = KeyOf(account, kind);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return std::move(done)(ShuttingDown());
    Slot& slot = slots_[key];
    slot.account = &account;
    slot.kind = kind;
    record.version = slot.record.version;
    slot.record = record;
    slot.same_until_expiry = false;
    slot.rejected.clear();
    const absl::Duration lifetime = record.expires_at - record.fetched_at;
    slot.refresh_at = kind == TokenKind::kComponentVerifyTicket
                          ? absl::InfiniteFuture()
                          : record.fetched_at + lifetime * options_.refresh_fraction;
    slot.failures = 0;
    slot.retry_at = absl::InfinitePast();
    slot.last_error = absl::OkStatus();
    ++in_flight_;
  }
  WriteRecord(key, std::move(record), 3, std::move(done));
}

void TokenManager::WriteRecord(const std::string& key, TokenRecord record, int tries_left,
                               absl::AnyInvocable<void(absl::Status) &&> done) {
  auto finish = [this, key](absl::AnyInvocable<void(absl::Status) &&> done, absl::Status status) {
    if (!status.ok()) {
      Log(LogLevel::kWarning, "token_store_failed",
          {{"key", key}, {"operation", "compare_and_set"}, {"error", status.message()}});
    }
    if (done) std::move(done)(status);
    absl::MutexLock lock(&mu_);
    --in_flight_;  // last: the destructor may go on once this reaches 0
  };
  store_->Get(key, [this, key, record = std::move(record), tries_left, done = std::move(done),
                    finish](absl::StatusOr<std::optional<TokenRecord>> stored) mutable {
    if (!stored.ok()) return finish(std::move(done), stored.status());
    const int64_t version = stored->has_value() ? (*stored)->version : 0;
    store_->CompareAndSet(
        key, version, record,
        [this, key, record, tries_left, done = std::move(done),
         finish](absl::StatusOr<CasOutcome> outcome) mutable {
          if (!outcome.ok()) return finish(std::move(done), outcome.status());
          if (!outcome->stored && tries_left > 1) {
            return WriteRecord(key, std::move(record), tries_left - 1, std::move(done));
          }
          if (!outcome->stored) {
            return finish(std::move(done),
                          absl::AbortedError("other writers kept changing the ticket"));
          }
          {
            absl::MutexLock lock(&mu_);
            Slot& slot = slots_[key];
            if (slot.record.value == record.value && outcome->current.has_value()) {
              slot.record.version = outcome->current->version;
            }
          }
          finish(std::move(done), absl::OkStatus());
        });
  });
}

void TokenManager::RequestComponentTicket(const Account& component,
                                          absl::AnyInvocable<void(absl::StatusOr<bool>) &&> done) {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      if (done) std::move(done)(ShuttingDown());
      return;
    }
    ++in_flight_;
  }
  auto end = [this] {
    absl::MutexLock lock(&mu_);
    --in_flight_;  // last: the destructor may go on once this reaches 0
  };
  Get(component, TokenKind::kComponentVerifyTicket,
      [this, &component, done = std::move(done), end](absl::StatusOr<std::string> ticket) mutable {
        const std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(ticket.status());
        const bool missing = !ticket.ok() && info.has_value() &&
                             info->reason() == ReasonInfo(Reason::kComponentTicketMissing).name;
        if (!missing) {
          Log(LogLevel::kInfo, "component_ticket_known",
              {{"component_appid", component.appid},
               {"outcome", ticket.ok() ? "stored" : ticket.status().message()}});
          if (done) std::move(done)(false);
          return end();
        }
        StartTransfer(
            [&](TokenFetcher::Done fetched) {
              return fetcher_->StartPushTicket(
                  component, [fetched = std::move(fetched)](absl::Status sent) mutable {
                    if (sent.ok()) return std::move(fetched)(FetchedToken{});
                    std::move(fetched)(sent);
                  });
            },
            [&component, done = std::move(done), end](absl::StatusOr<FetchedToken> sent) mutable {
              if (sent.ok()) {
                Log(LogLevel::kInfo, "component_ticket_requested",
                    {{"component_appid", component.appid}});
              } else {
                Log(LogLevel::kWarning, "component_ticket_request_failed",
                    {{"component_appid", component.appid}, {"error", sent.status().message()}});
              }
              if (done) std::move(done)(sent.ok() ? absl::StatusOr<bool>(true) : sent.status());
              end();
            });
      });
}

void TokenManager::FetchFromWeChat(const std::string& key, const Account& account,
                                   int64_t stored_version, std::string rejected) {
  auto on_answer = [this, key, &account, stored_version,
                    rejected = std::move(rejected)](absl::StatusOr<FetchedToken> got) {
    // stable_token's normal mode handing back the token WeChat just rejected means
    // someone else invalidated it: only force_refresh gets a working one.
    if (got.ok() && !rejected.empty() && got->value == rejected &&
        account.token_api != config::v1::TOKEN_API_CLASSIC) {
      return budget_.TrySpend(
          account.appid, options_.now(), [this, key, &account, stored_version](absl::Status spend) {
            if (!spend.ok()) return Store(key, stored_version, spend);
            Log(LogLevel::kWarning, "token_force_refresh", {{"appid", account.appid}});
            StartTransfer(
                [&](TokenFetcher::Done done) {
                  return fetcher_->FetchAccessToken(account, /*force_refresh=*/true,
                                                    std::move(done));
                },
                [this, key, stored_version](absl::StatusOr<FetchedToken> forced) {
                  Store(key, stored_version, std::move(forced));
                });
          });
    }
    Store(key, stored_version, std::move(got));
  };
  StartTransfer(
      [&](TokenFetcher::Done done) {
        return fetcher_->FetchAccessToken(account, /*force_refresh=*/false, std::move(done));
      },
      std::move(on_answer));
}

void TokenManager::FetchTicket(const std::string& key, const Account& account, TokenKind kind,
                               int64_t stored_version, bool retried) {
  Get(account, TokenKind::kAccessToken,
      [this, key, &account, kind, stored_version, retried](absl::StatusOr<std::string> token) {
        if (!token.ok()) return Store(key, stored_version, token.status());
        StartTransfer(
            [&](TokenFetcher::Done done) {
              return fetcher_->FetchTicket(*token, kind, std::move(done));
            },
            [this, key, &account, kind, stored_version, retried,
             access = *token](absl::StatusOr<FetchedToken> got) {
              if (!got.ok() && !retried &&
                  CredentialWasStale(got.status(), CredentialKind::kAccessToken)) {
                Invalidate(account, TokenKind::kAccessToken, access);
                return FetchTicket(key, account, kind, stored_version, true);
              }
              Store(key, stored_version, std::move(got));
            });
      });
}

void TokenManager::Store(const std::string& key, int64_t stored_version,
                         absl::StatusOr<FetchedToken> got) {
  if (!got.ok()) {
    ReleaseLease(key);
    return Finish(key, got.status(), true);
  }
  const absl::Time now = options_.now();
  TokenRecord record{.value = std::move(got->value),
                     .fetched_at = now,
                     .expires_at = now + got->lifetime,
                     .version = stored_version + 1};
  // Written before the lease goes, so the next holder of the lease reads this value.
  store_->CompareAndSet(
      key, stored_version, record, [this, key, record](absl::StatusOr<CasOutcome> outcome) mutable {
        if (!outcome.ok()) {
          Log(LogLevel::kWarning, "token_store_failed",
              {{"key", key},
               {"operation", "compare_and_set"},
               {"error", outcome.status().message()}});
        } else if (outcome->stored && outcome->current.has_value()) {
          record.version = outcome->current->version;
        } else if (!outcome->stored && outcome->current.has_value() && Usable(*outcome->current)) {
          record = *outcome->current;  // another writer was first: converge on its value
        }
        ReleaseLease(key);
        Finish(key, std::move(record), true);
      });
}

void TokenManager::StartTransfer(
    absl::FunctionRef<HttpTransport::TransferId(TokenFetcher::Done)> send,
    TokenFetcher::Done on_answer) {
  uint64_t handle = 0;  // none: stopping
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      handle = ++last_transfer_;
      transfers_.emplace(handle, std::nullopt);
    }
  }
  if (handle == 0) return std::move(on_answer)(ShuttingDown());
  const HttpTransport::TransferId id = send(
      [this, handle, on_answer = std::move(on_answer)](absl::StatusOr<FetchedToken> got) mutable {
        {
          absl::MutexLock lock(&mu_);
          transfers_.erase(handle);
        }
        std::move(on_answer)(std::move(got));
      });
  bool cancel = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = transfers_.find(handle);
    if (it == transfers_.end()) return;  // it ended inside Send
    it->second = id;
    cancel = stopping_;  // the destructor began while Send ran, and did not see the id
  }
  if (cancel) fetcher_->Cancel(id);
}

void TokenManager::ReleaseLease(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    slots_[key].lease_held = false;
    ++in_flight_;
  }
  store_->ReleaseLease(key, options_.lease_owner, [this, key](absl::Status released) {
    if (!released.ok()) {
      Log(LogLevel::kWarning, "token_store_failed",
          {{"key", key}, {"operation", "release_lease"}, {"error", released.message()}});
    }
    absl::MutexLock lock(&mu_);
    --in_flight_;  // last: the destructor may go on once this reaches 0
  });
}

void TokenManager::RenewLease(const std::string& key, uint64_t attempt) {
  store_->TryLease(
      key, options_.lease_owner, options_.lease_ttl,
      [this, key, attempt](absl::StatusOr<bool> renewed) {
        bool lost = false;
        {
          absl::MutexLock lock(&mu_);
          Slot& slot = slots_[key];
          if (slot.attempt == attempt) slot.renewing_lease = false;
          if (slot.attempt == attempt && slot.lease_held) {
            if (renewed.ok() && *renewed) {
              slot.lease_renew_at = options_.now() + options_.lease_ttl / 2;
            } else if (renewed.ok()) {
              slot.lease_held = false;  // it lapsed and another owner took it over
              lost = true;
            }  // a store error: tried again by the next RefreshDue
          }
        }
        if (!renewed.ok()) {
          Log(LogLevel::kWarning, "token_store_failed",
              {{"key", key}, {"operation", "renew_lease"}, {"error", renewed.status().message()}});
        } else if (lost) {
          // Harmless for the value (the write is a compare-and-set), but another
          // replica may be asking WeChat at the same time.
          Log(LogLevel::kWarning, "token_lease_lost", {{"key", key}});
        }
        absl::MutexLock lock(&mu_);
        --in_flight_;  // last: the destructor may go on once this reaches 0
      });
}

void TokenManager::Finish(const std::string& key, FetchOutcome outcome, bool from_wechat) {
  std::vector<Done> waiters;
  std::string appid;
  {
    absl::MutexLock lock(&mu_);
    Slot& slot = slots_[key];
    slot.fetching = false;
    appid = slot.account ? slot.account->appid : "";
    const absl::Time now = options_.now();
    if (outcome.ok()) {
      if (!slot.record.value.empty() && outcome->value == slot.record.value) {
        slot.same_until_expiry = true;
      }
      slot.record = *outcome;
      const absl::Duration lifetime = slot.record.expires_at - slot.record.fetched_at;
      std::uniform_real_distribution<double> jitter(-options_.refresh_jitter,
                                                    options_.refresh_jitter);
      slot.refresh_at =
          slot.kind == TokenKind::kComponentVerifyTicket ? absl::InfiniteFuture()
          : slot.same_until_expiry
              ? slot.record.expires_at + kExpiresInRounding
              : slot.record.fetched_at + lifetime * (options_.refresh_fraction + jitter(random_));
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
  --in_flight_;  // last: the destructor may go on once this reaches 0
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
  std::vector<std::pair<std::string, uint64_t>> renew;  // key, attempt
  std::vector<std::string> reread;  // waiting for another replica: read the store again
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return 0;
    const absl::Time now = options_.now();
    for (auto& [key, slot] : slots_) {
      if (slot.fetching) {
        if (slot.awaiting_elsewhere) {
          slot.awaiting_elsewhere = false;
          reread.push_back(key);
        }
        if (slot.lease_held && !slot.renewing_lease && now >= slot.lease_renew_at) {
          slot.renewing_lease = true;
          ++in_flight_;
          renew.emplace_back(key, slot.attempt);
        }
        continue;
      }
      if (slot.account == nullptr || now < slot.retry_at) continue;
      const bool ahead = !slot.record.value.empty() && now >= slot.refresh_at;
      if (ahead || !slot.waiters.empty()) {
        BeginFetchLocked(slot);
        due.push_back(key);
      }
    }
  }
  for (const auto& [key, attempt] : renew) RenewLease(key, attempt);
  for (const std::string& key : reread) Fetch(key);
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
  state.valid = HandsOut(slot);
  state.fetched_at = slot.record.fetched_at;
  state.expires_at = slot.record.expires_at;
  state.refresh_at = slot.refresh_at;
  state.fetches = slot.fetches;
  state.failed_fetches = slot.failed_fetches;
  if (!slot.last_error.ok()) state.last_error = std::string(slot.last_error.message());
  return state;
}

}  // namespace wxgate
