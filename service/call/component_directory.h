// ComponentDirectory: which configured third-party platform (component) a call
// whose credential is a component_access_token acts as.
//
//   metadata x-wx-component-appid: wx…  → that component, or NOT_FOUND UNKNOWN_APPID
//   no x-wx-component-appid             → the only configured component, or
//                                         FAILED_PRECONDITION NO_COMPONENT_CHOSEN
//                                         (none configured, or several: name one)
//
// A component is held as an Account: appid = component_appid, secret = its
// AppSecret, which is what the token manager keys its credentials by.
// Immutable once built; safe to share between threads; the Accounts it hands out
// live as long as it does.
#ifndef WXGATE_SERVICE_CALL_COMPONENT_DIRECTORY_H_
#define WXGATE_SERVICE_CALL_COMPONENT_DIRECTORY_H_

#include <grpcpp/server_context.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/token/account.h"

namespace wxgate {

inline constexpr absl::string_view kComponentAppidMetadataKey = "x-wx-component-appid";

class ComponentDirectory {
 public:
  explicit ComponentDirectory(std::vector<Account> components);

  // `component_appid` empty: the only component.
  absl::StatusOr<const Account*> Find(absl::string_view component_appid) const;
  // The component the call's x-wx-component-appid metadata names, or the only one.
  absl::StatusOr<const Account*> ForCall(const grpc::ServerContextBase& context) const;
  // Every component, in no particular order.
  std::vector<const Account*> All() const;
  bool empty() const { return components_.empty(); }

 private:
  absl::flat_hash_map<std::string, Account> components_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_COMPONENT_DIRECTORY_H_
