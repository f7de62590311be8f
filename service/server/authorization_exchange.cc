#include "service/server/authorization_exchange.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/errors/wechat_errors.h"

namespace wxgate {

bool IsSpentAuthorizationCode(const absl::Status& status) {
  // api_query_auth: 61009 "code is invalid", 61010 "code is expired" (or used).
  const std::optional<int> errcode = WeChatErrcodeOf(status);
  return errcode == 61009 || errcode == 61010;
}

void AuthorizationExchange::Exchange(const Account& component, std::string code,
                                     std::string expected_appid, Done done) {
  std::string key = absl::StrCat(component.appid, "/", code);
  auto answer = [expected_appid](absl::StatusOr<Authorized> authorized) {
    if (authorized.ok() && !expected_appid.empty() &&
        authorized->authorizer->appid != expected_appid) {
      return absl::StatusOr<Authorized>(
          GatewayError(Reason::kUpstreamSchema,
                       absl::StrCat("the authorization code is ", authorized->authorizer->appid,
                                    "'s, but the push named ", expected_appid)));
    }
    return authorized;
  };
  if (std::optional<Authorized> known = Recall(key)) return std::move(done)(answer(*known));
  tokens_.Authorize(
      component, std::move(code),
      [this, &component](absl::string_view appid) { return authorizers_.Find(component, appid); },
      [this, key = std::move(key), answer = std::move(answer),
       done = std::move(done)](absl::StatusOr<Authorized> authorized) mutable {
        if (authorized.ok()) Remember(std::move(key), *authorized);
        std::move(done)(answer(std::move(authorized)));
      });
}

std::optional<AuthorizationExchange::Authorized> AuthorizationExchange::Recall(
    const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = exchanged_.find(key);
  if (it == exchanged_.end() || now_() - it->second.at > kRememberFor) return std::nullopt;
  return it->second.authorized;
}

void AuthorizationExchange::Remember(std::string key, const Authorized& authorized) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = now_();
  while (!order_.empty()) {
    auto oldest = exchanged_.find(order_.front());
    if (order_.size() < kRemembered && now - oldest->second.at <= kRememberFor) break;
    exchanged_.erase(oldest);
    order_.pop_front();
  }
  auto [it, added] = exchanged_.insert_or_assign(key, Exchanged{authorized, now});
  if (added) order_.push_back(std::move(key));
}

}  // namespace wxgate
