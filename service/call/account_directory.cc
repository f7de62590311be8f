#include "service/call/account_directory.h"

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"

namespace wxgate {

AccountDirectory::AccountDirectory(std::vector<Account> accounts, std::string default_appid)
    : default_appid_(std::move(default_appid)) {
  for (Account& account : accounts) {
    std::string appid = account.appid;
    accounts_.emplace(std::move(appid), std::move(account));
  }
}

absl::StatusOr<const Account*> AccountDirectory::Find(absl::string_view appid) const {
  if (appid.empty()) {
    if (default_appid_.empty()) {
      return GatewayError(Reason::kNoDefaultAccount,
                          "the call names no account: send x-wx-appid metadata, or configure "
                          "default_appid");
    }
    appid = default_appid_;
  }
  auto it = accounts_.find(appid);
  if (it == accounts_.end()) {
    return GatewayError(Reason::kUnknownAppid,
                        absl::StrCat("appid ", appid, " is not configured in this gateway"),
                        {{"appid", std::string(appid)}});
  }
  return &it->second;
}

absl::StatusOr<const Account*> AccountDirectory::ForCall(
    const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(std::string(kAppidMetadataKey));
  if (it == metadata.end()) return Find("");
  return Find(absl::string_view(it->second.data(), it->second.size()));
}

}  // namespace wxgate
