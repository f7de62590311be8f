#include "service/call/component_directory.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"

namespace wxgate {

ComponentDirectory::ComponentDirectory(std::vector<Account> components) {
  for (Account& component : components) {
    std::string appid = component.appid;
    components_.emplace(std::move(appid), std::move(component));
  }
}

absl::StatusOr<const Account*> ComponentDirectory::Find(absl::string_view component_appid) const {
  if (component_appid.empty()) {
    if (components_.size() == 1) return &components_.begin()->second;
    return GatewayError(
        Reason::kNoComponentChosen,
        components_.empty()
            ? "this method needs a component_access_token, but no third-party platform is "
              "configured: add it under components"
            : absl::StrCat("this method needs a component_access_token and ", components_.size(),
                           " third-party platforms are configured: name one with "
                           "x-wx-component-appid metadata"));
  }
  auto it = components_.find(absl::AsciiStrToLower(component_appid));
  if (it == components_.end()) {
    return GatewayError(Reason::kUnknownAppid,
                        absl::StrCat("component_appid ", component_appid,
                                     " (x-wx-component-appid) is not configured in this gateway"),
                        {{"appid", std::string(component_appid)}});
  }
  return &it->second;
}

absl::StatusOr<const Account*> ComponentDirectory::ForCall(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(std::string(kComponentAppidMetadataKey));
  if (it == metadata.end()) return Find("");
  return Find(absl::string_view(it->second.data(), it->second.size()));
}

std::vector<const Account*> ComponentDirectory::All() const {
  std::vector<const Account*> all;
  for (const auto& [appid, component] : components_) all.push_back(&component);
  return all;
}

}  // namespace wxgate
