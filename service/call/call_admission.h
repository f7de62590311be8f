// CallAdmission: the first stage of every gRPC call (AdmittedService runs it, before
// the payload is read). It asks the access rules (CallerAuthorizer) who is calling,
// finds the account the call acts for (AccountDirectory) and whether the caller may
// call this method for it:
//
//   admission.Admit(context, "wechat.mp.v1.UserService/GetUserInfo")
//     -> {caller, account}; or UNAUTHENTICATED (no or unknown API key),
//        NOT_FOUND / FAILED_PRECONDITION (which account?), PERMISSION_DENIED (not
//        allowed, or a client certificate / identity header no caller has)
//
// A method whose request names its accounts (Subscribe's filter, Reply's event) is
// admitted in two steps: Authenticate before the payload is read, then AdmitCallerFor
// each appid the parsed request names (Identify when it names none). Either way a
// call without a valid key is UNAUTHENTICATED before anything else is looked at; a
// certificate or identity header no caller has is refused like a caller outside
// its policy, with the same message.
//
// The caller is named by the call's `authorization` metadata, the verified client
// certificate of its connection (SAN URIs and DNS names from grpc::AuthContext, or
// the subject CN without a SAN), or the header access.identity_header names; see
// CallerAuthorizer for the order.
//
// An x-wx-appid that names no configured account may name an authorizer: an account
// that authorized a configured third-party platform (x-wx-component-appid, else the
// only one, else the one this gateway saw it authorize). The caller's policy must
// name the appid or the component_appid (all its authorizers); the account is then
// the AuthorizerDirectory's entry, whose grant the token manager checks.
//
// A call that names no account where no default is configured is admitted for its
// component alone (the policy must name the component_appid): component-level
// methods (CreatePreAuthCode, GetAuthorizerList, …) need no account, so a gateway
// serving only third-party platforms needs none.
//
// For a call's component (Admitted::component): an x-wx-component-appid naming no
// configured component refuses the call (UNKNOWN_APPID); otherwise the component
// is resolved only for the calls that need it, and a caller's policy must name the
// component_appid (or "*") for its component_access_token, as it names accounts.
//
// Errors carry the reasons UNKNOWN_APPID, NO_DEFAULT_ACCOUNT, CALLER_UNAUTHENTICATED,
// CALLER_NOT_ALLOWED and CALLER_RATE_LIMITED. Thread-safe; does not own the
// directory.
#ifndef WXGATE_SERVICE_CALL_CALL_ADMISSION_H_
#define WXGATE_SERVICE_CALL_CALL_ADMISSION_H_

#include <grpcpp/server_context.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "auth/caller_authorizer.h"
#include "service/call/account_directory.h"
#include "service/call/authorizer_directory.h"
#include "service/call/component_directory.h"

namespace wxgate {

class CallAdmission {
 public:
  // `components` (optional, not owned): the third-party platforms a call's
  // component_access_token may come from.
  // `authorizers` (optional, not owned): where the accounts that authorized one of
  // `components` are found.
  CallAdmission(const AccountDirectory& accounts,
                std::shared_ptr<const CallerAuthorizer> authorizer,
                const ComponentDirectory* components = nullptr,
                AuthorizerDirectory* authorizers = nullptr)
      : accounts_(accounts),
        components_(components),
        authorizers_(authorizers),
        authorizer_(std::move(authorizer)) {}

  // Puts new access rules in force for the calls admitted from now on.
  void ReplaceAuthorizer(std::shared_ptr<const CallerAuthorizer> authorizer);

  struct Admitted {
    std::string caller;
    // Null for a call that names no account (no x-wx-appid, no default account) on
    // a gateway serving a component: only component_access_token calls can go on,
    // and `account_refused` says why the others cannot.
    const Account* account = nullptr;
    absl::Status account_refused;
    // The third-party platform whose component_access_token the call would carry
    // (x-wx-component-appid, else the only one), if the caller's policy names its
    // component_appid; else null and `component_refused` says why. Only a call
    // whose credential is a component_access_token fails for it.
    const Account* component = nullptr;
    absl::Status component_refused;
  };

  // UNAUTHENTICATED when the call presents no valid key (and anonymous calls are not
  // allowed); OK otherwise, even for an identity no caller has.
  absl::Status Authenticate(const grpc::ServerContextBase& context, absl::string_view method) const;
  // For methods that act for one account (x-wx-appid, or the default).
  absl::StatusOr<Admitted> Admit(const grpc::ServerContextBase& context,
                                 absl::string_view method) const;
  // For methods whose request names the account (kAllAppids: every account): the
  // caller's name ("anonymous" for a call that presents nothing). With
  // `component_appid`, a policy naming that component allows the call too.
  absl::StatusOr<std::string> AdmitCallerFor(const grpc::ServerContextBase& context,
                                             absl::string_view method, absl::string_view appid,
                                             absl::string_view component_appid = "") const;
  // Only that the caller is known (or anonymous calls are allowed at all): its name.
  absl::StatusOr<std::string> Identify(const grpc::ServerContextBase& context,
                                       absl::string_view method) const;

  // For a method that shows several accounts at once (AdminService/GetStatus), over
  // gRPC or HTTP: the caller and which of `appids` (kAllAppids among them, if given)
  // its policy allows `method` for. UNAUTHENTICATED as above; PERMISSION_DENIED
  // when it allows none; CALLER_RATE_LIMITED, counted once per call. `context`: the
  // gRPC call's, for the trace in a refusal's log line; null over HTTP.
  struct AdmittedForSome {
    std::string caller;
    std::vector<std::string> appids;
  };
  absl::StatusOr<AdmittedForSome> AdmitForSome(
      const CallerCredentials& credentials, absl::string_view method,
      const std::vector<std::string>& appids,
      const grpc::ServerContextBase* context = nullptr) const;
  // The header a trusted proxy names the caller in, under the rules in force now
  // (empty: none is read).
  std::string identity_header() const { return Authorizer()->identity_header(); }

  const AccountDirectory& accounts() const { return accounts_; }

 private:
  std::shared_ptr<const CallerAuthorizer> Authorizer() const;
  // Admit for an x-wx-appid that is no configured account: an authorizer, or
  // `not_an_account`.
  absl::StatusOr<Admitted> AdmitAuthorizer(const grpc::ServerContextBase& context,
                                           absl::string_view method,
                                           const absl::Status& not_an_account) const;
  // Admit for a call that names no account while no default is configured: for its
  // component alone, if one applies; else `no_account`.
  absl::StatusOr<Admitted> AdmitComponentOnly(const grpc::ServerContextBase& context,
                                              absl::string_view method,
                                              const absl::Status& no_account) const;
  // Sets the call's component, or why it has none, from `component`.
  void AttachComponent(const grpc::ServerContextBase& context, absl::string_view method,
                       const absl::StatusOr<const Account*>& component, Admitted& admitted) const;

  const AccountDirectory& accounts_;
  const ComponentDirectory* const components_;
  AuthorizerDirectory* const authorizers_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const CallerAuthorizer> authorizer_ ABSL_GUARDED_BY(mu_);
};

// What the call presents to say who is calling; `identity_header` is the metadata
// key of a trusted proxy's identity header (empty: none is read).
CallerCredentials CredentialsOf(const grpc::ServerContextBase& context,
                                absl::string_view identity_header);

// "package.Service/Method" of a method descriptor.
std::string MethodName(const google::protobuf::MethodDescriptor& method);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALL_CALL_ADMISSION_H_
