#include "auth/caller_authorizer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "auth/caller_identity.h"

namespace wxgate {
namespace {

constexpr absl::string_view kNeedsKey =
    "this call needs an API key: send metadata \"authorization: Bearer <key>\" (or connect "
    "with a client certificate the gateway knows)";

// One message for a known caller outside its policy and for an identity no caller
// has, so that a refusal never tells which identities exist.
absl::Status NotAllowed(absl::string_view method, absl::string_view appid) {
  return absl::PermissionDeniedError(
      absl::StrCat("this caller may not call ", method,
                   appid == kAllAppids ? " for every account" : absl::StrCat(" for ", appid)));
}

std::string Sha256(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool MethodMatches(absl::string_view pattern, absl::string_view method) {
  if (pattern == "*") return true;
  if (absl::EndsWith(pattern, "/*") || absl::EndsWith(pattern, ".*")) {
    return absl::StartsWith(method, pattern.substr(0, pattern.size() - 1));
  }
  return pattern == method;
}

}  // namespace

bool IsMethodPattern(absl::string_view pattern) {
  if (pattern == "*") return true;
  absl::string_view body = pattern;
  if (absl::EndsWith(body, "/*") || absl::EndsWith(body, ".*")) body.remove_suffix(2);
  return !body.empty() && std::all_of(body.begin(), body.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '/';
  });
}

bool PolicyAllows(const config::v1::Policy& policy, absl::string_view method,
                  absl::string_view appid) {
  const bool appid_allowed = std::any_of(
      policy.appids().begin(), policy.appids().end(),
      [&](const std::string& allowed) { return allowed == kAllAppids || allowed == appid; });
  const bool method_allowed =
      std::any_of(policy.methods().begin(), policy.methods().end(),
                  [&](const std::string& pattern) { return MethodMatches(pattern, method); });
  return appid_allowed && method_allowed;
}

CallerAuthorizer::CallerAuthorizer(const config::v1::Access& access,
                                   std::function<absl::Time()> now) {
  for (const config::v1::Caller& caller : access.callers()) {
    Caller entry{caller.name(), {}, caller.policy(), nullptr};
    if (caller.rate_limit().per_second() > 0) {
      const double per_second = caller.rate_limit().per_second();
      const double burst =
          caller.rate_limit().burst() > 0 ? caller.rate_limit().burst() : std::max(1.0, per_second);
      entry.rate_limit = std::make_unique<TokenBucket>(per_second, burst, now);
    }
    for (const std::string& hex : caller.api_key_sha256()) {
      entry.key_digests.push_back(absl::HexStringToBytes(absl::AsciiStrToLower(hex)));
    }
    // The loader refuses an identity given to two callers; the first would win.
    for (const std::string& identity : caller.tls_identities()) {
      caller_of_identity_.emplace(identity, callers_.size());
    }
    callers_.push_back(std::move(entry));
  }
  if (access.has_anonymous()) anonymous_ = access.anonymous();
  identity_header_ = absl::AsciiStrToLower(access.identity_header());
}

const CallerAuthorizer::Caller* CallerAuthorizer::FindByIdentity(
    const std::vector<std::string>& identities) const {
  for (const std::string& identity : identities) {
    auto it = caller_of_identity_.find(identity);
    if (it != caller_of_identity_.end()) return &callers_[it->second];
  }
  return nullptr;
}

absl::StatusOr<CallerAuthorizer::Resolved> CallerAuthorizer::Resolve(
    const CallerCredentials& credentials) const {
  // A key, even a wrong one, decides: a bad key never falls back to anything else.
  if (!credentials.authorization.empty()) {
    absl::StatusOr<const Caller*> caller = CallerOf(credentials.authorization);
    if (!caller.ok()) return caller.status();
    return Resolved{.caller = *caller};
  }
  if (credentials.has_certificate) {
    return Resolved{.caller = FindByIdentity(credentials.certificate_identities)};
  }
  if (!identity_header_.empty() &&
      !absl::StripAsciiWhitespace(credentials.identity_header).empty()) {
    return Resolved{.caller = FindByIdentity(IdentitiesFromHeader(credentials.identity_header))};
  }
  if (anonymous_.has_value()) return Resolved{.anonymous = true};
  return absl::UnauthenticatedError(std::string(kNeedsKey));
}

const CallerAuthorizer::Caller* CallerAuthorizer::FindByKey(absl::string_view key) const {
  const std::string digest = Sha256(key);
  const Caller* found = nullptr;
  // Every digest is compared, whether or not one matched already.
  for (const Caller& caller : callers_) {
    for (const std::string& known : caller.key_digests) {
      if (known.size() == digest.size() &&
          CRYPTO_memcmp(known.data(), digest.data(), digest.size()) == 0) {
        found = &caller;
      }
    }
  }
  return found;
}

absl::StatusOr<const CallerAuthorizer::Caller*> CallerAuthorizer::CallerOf(
    absl::string_view authorization) const {
  absl::string_view key = authorization;
  if (!absl::ConsumePrefix(&key, "Bearer ") || key.empty()) {
    return absl::UnauthenticatedError("the authorization metadata is not \"Bearer <key>\"");
  }
  const Caller* caller = FindByKey(key);
  if (caller == nullptr) return absl::UnauthenticatedError("the API key is not valid");
  return caller;
}

absl::Duration CallerAuthorizer::Throttle(absl::string_view caller) const {
  for (const Caller& entry : callers_) {
    if (entry.name == caller && entry.rate_limit != nullptr) return entry.rate_limit->Take();
  }
  return absl::ZeroDuration();
}

absl::StatusOr<std::string> CallerAuthorizer::Identify(const CallerCredentials& credentials) const {
  absl::StatusOr<Resolved> who = Resolve(credentials);
  if (!who.ok()) return who.status();
  if (who->anonymous) return "anonymous";
  if (who->caller == nullptr) {
    return absl::PermissionDeniedError("this caller may not call the gateway");
  }
  return who->caller->name;
}

absl::StatusOr<std::string> CallerAuthorizer::Identify(absl::string_view authorization) const {
  return Identify(CallerCredentials{.authorization = std::string(authorization)});
}

absl::StatusOr<std::string> CallerAuthorizer::Check(const CallerCredentials& credentials,
                                                    absl::string_view method,
                                                    absl::string_view appid) const {
  absl::StatusOr<Resolved> who = Resolve(credentials);
  if (!who.ok()) return who.status();
  if (who->anonymous) {
    if (PolicyAllows(*anonymous_, method, appid)) return "anonymous";
    return absl::UnauthenticatedError(std::string(kNeedsKey));
  }
  if (who->caller == nullptr || !PolicyAllows(who->caller->policy, method, appid)) {
    return NotAllowed(method, appid);
  }
  return who->caller->name;
}

absl::StatusOr<std::string> CallerAuthorizer::Check(absl::string_view authorization,
                                                    absl::string_view method,
                                                    absl::string_view appid) const {
  return Check(CallerCredentials{.authorization = std::string(authorization)}, method, appid);
}

}  // namespace wxgate
