#include "tests/fake_wechat/token_authority.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace wxgate::fake {
namespace {

// 512 random bits in hex: opaque and longer than WeChat's, which callers must accept
// ("access_token 的存储至少要保留 512 个字符空间").
std::string NewTokenValue() {
  unsigned char bytes[64];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no entropy: nothing sane to do
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

int64_t BeijingDay(absl::Time now) {
  constexpr int64_t kUtcOffset = 8 * 3600;
  const int64_t seconds = absl::ToUnixSeconds(now) + kUtcOffset;
  return seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
}

TokenGrant Error(int errcode, std::string errmsg) {
  TokenGrant grant;
  grant.errcode = errcode;
  grant.errmsg = std::move(errmsg);
  return grant;
}

}  // namespace

TokenAuthority::TokenAuthority() : now_([] { return absl::Now(); }) {}

void TokenAuthority::SetClock(std::function<absl::Time()> now) {
  absl::MutexLock lock(&mu_);
  now_ = std::move(now);
}

void TokenAuthority::SetLifetime(absl::Duration lifetime) {
  absl::MutexLock lock(&mu_);
  lifetime_ = lifetime;
}

void TokenAuthority::AddAccount(std::string appid, std::string secret) {
  absl::MutexLock lock(&mu_);
  accounts_[std::move(appid)].secret = std::move(secret);
}

void TokenAuthority::SetRotateRefreshTokens(bool rotate) {
  absl::MutexLock lock(&mu_);
  rotate_refresh_tokens_ = rotate;
}

std::map<std::string, std::vector<std::string>> TokenAuthority::Issued() const {
  absl::MutexLock lock(&mu_);
  return issued_;
}

TokenAuthority::Account* TokenAuthority::Authenticate(absl::string_view appid,
                                                      absl::string_view secret, TokenGrant* error) {
  if (appid.empty()) {
    *error = Error(41002, "appid missing");
    return nullptr;
  }
  if (secret.empty()) {
    *error = Error(41004, "appsecret missing");
    return nullptr;
  }
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) {
    *error = Error(40013, "invalid appid");
    return nullptr;
  }
  if (it->second.secret != secret) {
    *error = Error(40125, "invalid appsecret");
    return nullptr;
  }
  return &it->second;
}

std::string TokenAuthority::IssueComponentTicket(absl::string_view component_appid) {
  absl::MutexLock lock(&mu_);
  Account& account = accounts_[component_appid];
  std::string ticket = absl::StrCat("ticket@@@", component_appid, "-", account.tickets.size() + 1);
  account.tickets.push_back(ticket);
  issued_["component_verify_ticket"].push_back(ticket);
  return ticket;
}

TokenGrant TokenAuthority::IssueComponentToken(absl::string_view component_appid,
                                               absl::string_view secret, absl::string_view ticket) {
  absl::MutexLock lock(&mu_);
  TokenGrant error;
  Account* account = Authenticate(component_appid, secret, &error);
  if (account == nullptr) return error;
  if (std::find(account->tickets.begin(), account->tickets.end(), ticket) ==
      account->tickets.end()) {
    return Error(61006, "component ticket is invalid");
  }
  return IssueLocked(*account, component_appid, kComponent, now_());
}

TokenGrant TokenAuthority::CheckSecret(absl::string_view appid, absl::string_view secret) {
  absl::MutexLock lock(&mu_);
  TokenGrant error;
  Authenticate(appid, secret, &error);
  return error;
}

TokenGrant TokenAuthority::IssueClassic(absl::string_view appid, absl::string_view secret) {
  absl::MutexLock lock(&mu_);
  TokenGrant error;
  Account* account = Authenticate(appid, secret, &error);
  if (account == nullptr) return error;
  return IssueLocked(*account, appid, kClassic, now_());
}

TokenGrant TokenAuthority::IssueStable(absl::string_view appid, absl::string_view secret,
                                       bool force_refresh) {
  absl::MutexLock lock(&mu_);
  TokenGrant error;
  Account* account = Authenticate(appid, secret, &error);
  if (account == nullptr) return error;
  const absl::Time now = now_();

  if (!force_refresh) {
    const std::string& current = account->current[kStable];
    if (!current.empty() && CheckLocked(current, now).errcode == 0) {
      TokenGrant grant;
      grant.access_token = current;
      grant.expires_in = absl::ToInt64Seconds(tokens_.at(current).expires_at - now);
      return grant;
    }
    return IssueLocked(*account, appid, kStable, now);
  }

  const int64_t today = BeijingDay(now);
  if (account->forced_day != today) {
    account->forced_day = today;
    account->forced_today = 0;
  }
  if (account->forced_today >= kForcedRefreshesPerDay) {
    return Error(45009, "reach max api daily quota limit");
  }
  if (now - account->last_forced < kForcedRefreshSpacing) {
    return Error(45011, "api minute-quota reach limit  mustslower  retry next minute");
  }
  ++account->forced_today;
  account->last_forced = now;
  return IssueLocked(*account, appid, kStable, now);
}

TokenGrant TokenAuthority::IssueLocked(Account& account, absl::string_view appid, Lineage lineage,
                                       absl::Time now) {
  ForgetRetired(now);
  std::string& current = account.current[lineage];
  if (auto it = tokens_.find(current); it != tokens_.end()) {
    it->second.retired_at = std::min(it->second.retired_at, now + kOverlap);
    retired_.emplace_back(it->second.retired_at, current);
  }
  current = NewTokenValue();
  account.latest = current;
  tokens_[current] = Token{std::string(appid), now + lifetime_};
  static constexpr const char* kIssuedAs[kLineageCount] = {
      "access_token", "access_token", "component_access_token", "authorizer_access_token"};
  issued_[kIssuedAs[lineage]].push_back(current);
  TokenGrant grant;
  grant.access_token = current;
  grant.expires_in = absl::ToInt64Seconds(lifetime_);
  return grant;
}

TokenOwner TokenAuthority::Check(absl::string_view token) const {
  absl::MutexLock lock(&mu_);
  return CheckLocked(token, now_());
}

TokenOwner TokenAuthority::CheckLocked(absl::string_view token, absl::Time now) const {
  TokenOwner owner;
  auto it = tokens_.find(token);
  // A retired token answers 40001 even past its expiry, so forgetting it changes nothing.
  if (it == tokens_.end() || now >= it->second.retired_at) {
    owner.errcode = 40001;
    owner.errmsg = "invalid credential, access_token is invalid or not latest";
  } else if (now >= it->second.expires_at) {
    owner.errcode = 42001;
    owner.errmsg = "access_token expired";
  } else {
    owner.appid = it->second.appid;
  }
  return owner;
}

std::string TokenAuthority::Current(absl::string_view appid) const {
  absl::MutexLock lock(&mu_);
  auto it = accounts_.find(appid);
  if (it == accounts_.end() || it->second.latest.empty()) return "";
  if (CheckLocked(it->second.latest, now_()).errcode != 0) return "";
  return it->second.latest;
}

std::string TokenAuthority::IssueAuthorizationCode(absl::string_view component_appid,
                                                   absl::string_view authorizer_appid,
                                                   std::vector<int> permission_sets) {
  absl::MutexLock lock(&mu_);
  std::string code = absl::StrCat("queryauthcode@@@", component_appid, "-", ++issued_codes_);
  codes_[code] = {std::string(component_appid), std::string(authorizer_appid),
                  now_() + absl::Hours(1), std::move(permission_sets)};
  issued_["authorization_code"].push_back(code);
  return code;
}

bool TokenAuthority::CheckComponentToken(absl::string_view token, absl::string_view component_appid,
                                         absl::Time now, AuthorizerGrant* error) const {
  const TokenOwner owner = CheckLocked(token, now);
  if (owner.errcode == 0 && owner.appid == component_appid) return true;
  error->errcode = owner.errcode != 0 ? owner.errcode : 40001;
  error->errmsg = owner.errcode != 0 ? owner.errmsg : "invalid credential, not this component's";
  return false;
}

AuthorizerGrant TokenAuthority::IssueAuthorizerLocked(absl::string_view authorizer_appid,
                                                      absl::Time now) {
  Account& authorizer = accounts_[authorizer_appid];
  const TokenGrant token = IssueLocked(authorizer, authorizer_appid, kAuthorizer, now);
  AuthorizerGrant grant;
  grant.authorizer_appid = std::string(authorizer_appid);
  grant.authorizer_access_token = token.access_token;
  grant.expires_in = token.expires_in;
  grant.authorizer_refresh_token = authorizer.refresh_token;
  return grant;
}

AuthorizerGrant TokenAuthority::QueryAuth(absl::string_view component_access_token,
                                          absl::string_view component_appid,
                                          absl::string_view code) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = now_();
  AuthorizerGrant error;
  if (!CheckComponentToken(component_access_token, component_appid, now, &error)) return error;
  auto it = codes_.find(code);
  if (it == codes_.end() || it->second.component_appid != component_appid ||
      now >= it->second.expires_at) {
    error.errcode = 61010;
    error.errmsg = "code is expired";
    return error;
  }
  const std::string authorizer_appid = it->second.authorizer_appid;
  std::vector<int> permission_sets = std::move(it->second.permission_sets);
  codes_.erase(it);  // once
  Account& authorizer = accounts_[authorizer_appid];
  authorizer.authorized_component = std::string(component_appid);
  authorizer.refresh_token = absl::StrCat("refreshtoken@@@", NewTokenValue());
  issued_["authorizer_refresh_token"].push_back(authorizer.refresh_token);
  AuthorizerGrant grant = IssueAuthorizerLocked(authorizer_appid, now);
  grant.permission_sets = std::move(permission_sets);
  return grant;
}

AuthorizerGrant TokenAuthority::IssueAuthorizerToken(absl::string_view component_access_token,
                                                     absl::string_view component_appid,
                                                     absl::string_view authorizer_appid,
                                                     absl::string_view refresh_token) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = now_();
  AuthorizerGrant error;
  if (!CheckComponentToken(component_access_token, component_appid, now, &error)) return error;
  auto it = accounts_.find(authorizer_appid);
  if (it == accounts_.end() || it->second.authorized_component != component_appid ||
      it->second.refresh_token.empty() || it->second.refresh_token != refresh_token) {
    error.errcode = 61023;
    error.errmsg = "refresh_token is invalid";
    return error;
  }
  if (rotate_refresh_tokens_) {
    it->second.refresh_token = absl::StrCat("refreshtoken@@@", NewTokenValue());
    issued_["authorizer_refresh_token"].push_back(it->second.refresh_token);
  }
  return IssueAuthorizerLocked(authorizer_appid, now);
}

void TokenAuthority::Unauthorize(absl::string_view component_appid,
                                 absl::string_view authorizer_appid) {
  {
    absl::MutexLock lock(&mu_);
    auto it = accounts_.find(authorizer_appid);
    if (it == accounts_.end() || it->second.authorized_component != component_appid) return;
    it->second.authorized_component.clear();
    it->second.refresh_token.clear();
  }
  Revoke(authorizer_appid);
}

void TokenAuthority::Revoke(absl::string_view appid) {
  absl::MutexLock lock(&mu_);
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    if (it->second.appid == appid) {
      tokens_.erase(it++);
    } else {
      ++it;
    }
  }
  if (auto it = accounts_.find(appid); it != accounts_.end()) {
    for (std::string& current : it->second.current) current.clear();
    it->second.latest.clear();
  }
}

void TokenAuthority::ForgetRetired(absl::Time now) {
  while (!retired_.empty() && now >= retired_.front().first) {
    tokens_.erase(retired_.front().second);
    retired_.pop_front();
  }
}

}  // namespace wxgate::fake
