// AccountDirectory: which configured account a call is for.
//
//   metadata x-wx-appid: wx…  → that account, or NOT_FOUND naming the appid
//   no x-wx-appid             → the configured default, or FAILED_PRECONDITION
//
// Immutable once built; safe to share between threads.
#ifndef WXGATE_SERVICE_CALL_ACCOUNT_DIRECTORY_H_
#define WXGATE_SERVICE_CALL_ACCOUNT_DIRECTORY_H_

#include <grpcpp/server_context.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token/account.h"

namespace wxgate {

inline constexpr absl::string_view kAppidMetadataKey = "x-wx-appid";

class AccountDirectory {
 public:
  AccountDirectory(std::vector<Account> accounts, std::string default_appid);

  // `appid` empty: the default account.
  absl::StatusOr<const Account*> Find(absl::string_view appid) const;
  // The account named by the call's x-wx-appid metadata, or the default.
  absl::StatusOr<const Account*> ForCall(const grpc::ServerContextBase& context) const;

 private:
  absl::flat_hash_map<std::string, Account> accounts_;
  std::string default_appid_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_ACCOUNT_DIRECTORY_H_
