#include "service/call/authorizer_directory.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/token/appid.h"

namespace wxgate {

AuthorizerDirectory::AuthorizerDirectory(absl::flat_hash_map<std::string, size_t> max_per_component,
                                         size_t fallback)
    : max_per_component_(std::move(max_per_component)), fallback_(fallback) {}

absl::StatusOr<const Account*> AuthorizerDirectory::Find(const Account& component,
                                                         absl::string_view appid) {
  const std::string key = absl::AsciiStrToLower(appid);
  if (!IsAppid(key)) {
    return GatewayError(Reason::kUnknownAppid,
                        absl::StrCat("x-wx-appid ", appid,
                                     " is not a WeChat AppID (\"wx\" and 16 hexadecimal digits)"),
                        {{"appid", std::string(appid)}});
  }
  absl::MutexLock lock(&mu_);
  absl::node_hash_map<std::string, Account>& authorizers = authorizers_[component.appid];
  if (auto it = authorizers.find(key); it != authorizers.end()) return &it->second;
  auto limit = max_per_component_.find(component.appid);
  const size_t max = limit == max_per_component_.end() ? fallback_ : limit->second;
  if (authorizers.size() >= max) {
    return GatewayError(
        Reason::kTooManyAuthorizers,
        absl::StrCat("the gateway already tracks ", max, " accounts for the third-party platform ",
                     component.appid, " (components[].max_authorizers)"),
        {{"appid", key}});
  }
  Account& authorizer = authorizers[key];
  authorizer.appid = key;
  authorizer.component = &component;
  components_by_appid_[key].push_back(&component);
  made_in_order_[component.appid].push_back(&authorizer);
  return &authorizer;
}

AuthorizerDirectory::Listing AuthorizerDirectory::List(absl::string_view component_appid,
                                                       size_t max) const {
  absl::MutexLock lock(&mu_);
  auto it = made_in_order_.find(component_appid);
  if (it == made_in_order_.end()) return {};
  const std::vector<const Account*>& all = it->second;
  return {.first = {all.begin(), all.begin() + std::min(max, all.size())}, .total = all.size()};
}

std::vector<const Account*> AuthorizerDirectory::ComponentsOf(absl::string_view appid) const {
  absl::MutexLock lock(&mu_);
  auto it = components_by_appid_.find(absl::AsciiStrToLower(appid));
  return it == components_by_appid_.end() ? std::vector<const Account*>{} : it->second;
}

}  // namespace wxgate
