// AuthorizerDirectory: the accounts that authorized a configured third-party
// platform (authorizers), as the stable Accounts their tokens are keyed by.
//
//   directory.Find(component, "wxa")  → Account{appid "wxa", component}, made on first use
//   directory.ComponentsOf("wxa")     → the components that have an entry for wxa
//   directory.List("wxc", 100)        → the first 100 entries of wxc, in the order
//                                       they were made, and how many there are
//
// An entry is made for an appid a caller may call for; whether it authorized is
// the token manager's question (AuthorizerGrants), answered when a token is needed.
// Entries are never removed, as the token manager keeps pointers to them: at most
// `max_per_component` per component, then RESOURCE_EXHAUSTED TOO_MANY_AUTHORIZERS.
// Thread-safe.
#ifndef WXGATE_SERVICE_CALL_AUTHORIZER_DIRECTORY_H_
#define WXGATE_SERVICE_CALL_AUTHORIZER_DIRECTORY_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "service/token/account.h"

namespace wxgate {

class AuthorizerDirectory {
 public:
  struct Listing {
    std::vector<const Account*> first;  // in the order they were made
    size_t total = 0;
  };

  // `max_per_component`: by component_appid; a component not listed has `fallback`.
  AuthorizerDirectory(absl::flat_hash_map<std::string, size_t> max_per_component, size_t fallback);

  // `component` must outlive the directory.
  absl::StatusOr<const Account*> Find(const Account& component, absl::string_view appid);
  std::vector<const Account*> ComponentsOf(absl::string_view appid) const;
  // At most `max` of the component's entries (O(max): a component may have many).
  Listing List(absl::string_view component_appid, size_t max) const;

 private:
  const absl::flat_hash_map<std::string, size_t> max_per_component_;
  const size_t fallback_;
  mutable absl::Mutex mu_;
  // By component_appid, then authorizer appid; node maps keep each Account in place.
  absl::flat_hash_map<std::string, absl::node_hash_map<std::string, Account>> authorizers_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::vector<const Account*>> components_by_appid_
      ABSL_GUARDED_BY(mu_);
  // By component_appid, the entries in the order they were made: List is stable.
  absl::flat_hash_map<std::string, std::vector<const Account*>> made_in_order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_AUTHORIZER_DIRECTORY_H_
