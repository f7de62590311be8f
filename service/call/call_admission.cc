#include "service/call/call_admission.h"

#include <google/protobuf/descriptor.h>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/caller_identity.h"
#include "service/call/call_record.h"
#include "service/errors/error_info.h"
#include "service/errors/gateway_reasons.h"
#include "service/observe/log.h"
#include "service/observe/metrics.h"

namespace wxgate {
namespace {

// The last value of a metadata key ("" when absent): the one the nearest proxy set.
std::string MetadataValue(const grpc::ServerContextBase& context, absl::string_view key) {
  if (key.empty()) return "";
  const auto& metadata = context.client_metadata();
  auto [first, last] = metadata.equal_range(grpc::string_ref(key.data(), key.size()));
  std::string value;
  for (auto it = first; it != last; ++it) value.assign(it->second.data(), it->second.size());
  return value;
}

std::vector<std::string> PropertyValues(const grpc::AuthContext& auth, const char* name) {
  std::vector<std::string> values;
  for (const grpc::string_ref& value : auth.FindPropertyValues(name)) {
    values.emplace_back(value.data(), value.size());
  }
  return values;
}

// Which identities a refused call presented, for the operator's log (never to
// the caller).
std::string PresentedIdentities(const CallerCredentials& credentials) {
  if (!credentials.authorization.empty()) return "api key";
  if (credentials.has_certificate) {
    return absl::StrCat("certificate [", absl::StrJoin(credentials.certificate_identities, ", "),
                        "]");
  }
  if (!credentials.identity_header.empty()) {
    return absl::StrCat("identity header [",
                        absl::StrJoin(IdentitiesFromHeader(credentials.identity_header), ", "),
                        "]");
  }
  return "none";
}

// wxgate_caller_refusals_total: `caller` is a configured name or "unknown".
void CountRefusal(absl::string_view caller, absl::string_view reason) {
  GlobalMetrics().Count(Metric::kCallerRefusals, {std::string(caller), std::string(reason)});
}

// The refusal the caller sees, logged with what it presented (never to the caller).
// `context` is null for a request that is not a gRPC call (the status page's).
absl::Status Refused(const grpc::ServerContextBase* context, const CallerAuthorizer& authorizer,
                     const CallerCredentials& credentials, absl::string_view method,
                     absl::string_view appid, const absl::Status& why) {
  const bool unauthenticated = why.code() == absl::StatusCode::kUnauthenticated;
  // A known caller outside its policy is counted by name; anyone else as unknown.
  absl::StatusOr<std::string> caller =
      unauthenticated ? absl::StatusOr<std::string>(why) : authorizer.Identify(credentials);
  CountRefusal(caller.ok() ? *caller : "unknown",
               unauthenticated ? "unauthenticated" : "not_allowed");
  const std::shared_ptr<CallRecord> record = context ? CallRecordOf(*context) : nullptr;
  Log(LogLevel::kWarning, "call_refused",
      {{"request_id", record != nullptr ? record->request_id() : ""},
       {"trace_id", record != nullptr ? record->trace().trace_id : ""},
       {"method", method},
       {"appid", appid},
       {"presented", PresentedIdentities(credentials)},
       {"reason", why.message()}});
  return GatewayError(unauthenticated ? Reason::kCallerUnauthenticated : Reason::kCallerNotAllowed,
                      why.message());
}

// A known caller over its rate limit, told when to retry.
absl::Status RateLimited(absl::string_view caller, absl::Duration wait) {
  CountRefusal(caller, "rate_limited");
  return WithRetryDelay(
      GatewayError(Reason::kCallerRateLimited,
                   absl::StrCat("caller \"", caller, "\" is over its rate limit; retry in ",
                                absl::FormatDuration(wait))),
      wait);
}

}  // namespace

CallerCredentials CredentialsOf(const grpc::ServerContextBase& context,
                                absl::string_view identity_header) {
  CallerCredentials credentials;
  credentials.authorization = MetadataValue(context, "authorization");
  credentials.identity_header = MetadataValue(context, identity_header);
  // The handshake verified any certificate a client sent (the listener asks only
  // with a client CA, and refuses certificates that do not chain to it).
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && !auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME).empty()) {
    CertificateNames names;
    names.uris = PropertyValues(*auth, GRPC_PEER_URI_PROPERTY_NAME);
    names.dns_names = PropertyValues(*auth, GRPC_PEER_DNS_PROPERTY_NAME);
    names.has_subject_alt_names = !auth->FindPropertyValues(GRPC_X509_SAN_PROPERTY_NAME).empty();
    std::vector<std::string> cn = PropertyValues(*auth, GRPC_X509_CN_PROPERTY_NAME);
    if (!cn.empty()) names.common_name = cn.front();
    credentials.has_certificate = true;
    credentials.certificate_identities = CertificateIdentities(names);
  }
  return credentials;
}

void CallAdmission::ReplaceAuthorizer(std::shared_ptr<const CallerAuthorizer> authorizer) {
  absl::MutexLock lock(&mu_);
  authorizer_ = std::move(authorizer);
}

std::shared_ptr<const CallerAuthorizer> CallAdmission::Authorizer() const {
  absl::MutexLock lock(&mu_);
  return authorizer_;
}

absl::StatusOr<std::string> CallAdmission::AdmitCallerFor(const grpc::ServerContextBase& context,
                                                          absl::string_view method,
                                                          absl::string_view appid,
                                                          absl::string_view component_appid) const {
  const std::shared_ptr<const CallerAuthorizer> authorizer = Authorizer();
  const CallerCredentials credentials = CredentialsOf(context, authorizer->identity_header());
  absl::StatusOr<std::string> caller = authorizer->Check(credentials, method, appid);
  if (!caller.ok() && !component_appid.empty()) {
    absl::StatusOr<std::string> by_component =
        authorizer->Check(credentials, method, component_appid);
    if (by_component.ok()) caller = std::move(by_component);
  }
  if (caller.ok()) {
    const absl::Duration wait = authorizer->Throttle(*caller);
    if (wait == absl::ZeroDuration()) return caller;
    return RateLimited(*caller, wait);
  }
  return Refused(&context, *authorizer, credentials, method, appid, caller.status());
}

absl::StatusOr<CallAdmission::AdmittedForSome> CallAdmission::AdmitForSome(
    const CallerCredentials& credentials, absl::string_view method,
    const std::vector<std::string>& appids, const grpc::ServerContextBase* context) const {
  const std::shared_ptr<const CallerAuthorizer> authorizer = Authorizer();
  absl::StatusOr<std::string> caller = authorizer->Identify(credentials);
  if (!caller.ok()) return Refused(context, *authorizer, credentials, method, "", caller.status());
  AdmittedForSome admitted{.caller = *caller};
  absl::Status refused = absl::PermissionDeniedError("the caller may not call this method");
  for (const std::string& appid : appids) {
    absl::StatusOr<std::string> allowed = authorizer->Check(credentials, method, appid);
    if (allowed.ok()) {
      admitted.appids.push_back(appid);
    } else {
      refused = allowed.status();
    }
  }
  if (admitted.appids.empty())
    return Refused(context, *authorizer, credentials, method, "", refused);
  if (const absl::Duration wait = authorizer->Throttle(admitted.caller);
      wait > absl::ZeroDuration()) {
    return RateLimited(admitted.caller, wait);
  }
  return admitted;
}

absl::StatusOr<std::string> CallAdmission::Identify(const grpc::ServerContextBase& context,
                                                    absl::string_view method) const {
  const std::shared_ptr<const CallerAuthorizer> authorizer = Authorizer();
  const CallerCredentials credentials = CredentialsOf(context, authorizer->identity_header());
  absl::StatusOr<std::string> caller = authorizer->Identify(credentials);
  if (caller.ok()) return caller;
  return Refused(&context, *authorizer, credentials, method, "", caller.status());
}

absl::Status CallAdmission::Authenticate(const grpc::ServerContextBase& context,
                                         absl::string_view method) const {
  const std::shared_ptr<const CallerAuthorizer> authorizer = Authorizer();
  const CallerCredentials credentials = CredentialsOf(context, authorizer->identity_header());
  absl::Status known = authorizer->Identify(credentials).status();
  // An identity no caller has is refused later, like a caller outside its policy,
  // so that the answer does not say which identities exist.
  if (known.code() != absl::StatusCode::kUnauthenticated) return absl::OkStatus();
  return Refused(&context, *authorizer, credentials, method, "", known);
}

absl::StatusOr<CallAdmission::Admitted> CallAdmission::Admit(const grpc::ServerContextBase& context,
                                                             absl::string_view method) const {
  // Who calls comes first: a caller without a valid key learns nothing about accounts.
  if (absl::Status known = Authenticate(context, method); !known.ok()) return known;
  absl::StatusOr<const Account*> account = accounts_.ForCall(context);
  if (!account.ok() && context.client_metadata().count(std::string(kAppidMetadataKey)) == 0) {
    return AdmitComponentOnly(context, method, account.status());
  }
  if (!account.ok()) return AdmitAuthorizer(context, method, account.status());
  absl::StatusOr<std::string> caller = AdmitCallerFor(context, method, (*account)->appid);
  if (!caller.ok()) return caller.status();
  Admitted admitted{.caller = *std::move(caller), .account = *account};
  if (components_ == nullptr) {
    admitted.component_refused = ComponentDirectory(std::vector<Account>{}).Find("").status();
    return admitted;
  }
  absl::StatusOr<const Account*> component = components_->ForCall(context);
  if (!component.ok() &&
      context.client_metadata().count(std::string(kComponentAppidMetadataKey)) > 0) {
    return component.status();  // named, but not configured
  }
  AttachComponent(context, method, component, admitted);
  return admitted;
}

absl::StatusOr<CallAdmission::Admitted> CallAdmission::AdmitAuthorizer(
    const grpc::ServerContextBase& context, absl::string_view method,
    const absl::Status& not_an_account) const {
  const std::string appid(MetadataValue(context, kAppidMetadataKey));
  const std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(not_an_account);
  if (authorizers_ == nullptr || components_ == nullptr || components_->empty() || appid.empty() ||
      !info.has_value() || info->reason() != ReasonInfo(Reason::kUnknownAppid).name) {
    return not_an_account;
  }
  absl::StatusOr<const Account*> component = components_->ForCall(context);
  if (!component.ok() &&
      context.client_metadata().count(std::string(kComponentAppidMetadataKey)) == 0) {
    // Several platforms and none named: the one this gateway saw the account authorize.
    std::vector<const Account*> known = authorizers_->ComponentsOf(appid);
    if (known.size() == 1) component = known.front();
  }
  if (!component.ok()) return component.status();
  // A policy may name the account itself, or its platform for all its authorizers.
  absl::StatusOr<std::string> caller = AdmitCallerFor(context, method, appid, (*component)->appid);
  if (!caller.ok()) return caller.status();
  absl::StatusOr<const Account*> authorizer = authorizers_->Find(**component, appid);
  if (!authorizer.ok()) return authorizer.status();
  Admitted admitted{.caller = *std::move(caller), .account = *authorizer};
  AttachComponent(context, method, component, admitted);
  return admitted;
}

absl::StatusOr<CallAdmission::Admitted> CallAdmission::AdmitComponentOnly(
    const grpc::ServerContextBase& context, absl::string_view method,
    const absl::Status& no_account) const {
  if (components_ == nullptr) return no_account;
  absl::StatusOr<const Account*> component = components_->ForCall(context);
  if (!component.ok()) {
    const bool named = context.client_metadata().count(std::string(kComponentAppidMetadataKey)) > 0;
    return named ? component.status() : no_account;
  }
  absl::StatusOr<std::string> caller = AdmitCallerFor(context, method, (*component)->appid);
  if (!caller.ok()) return caller.status();
  return Admitted{
      .caller = *std::move(caller), .account_refused = no_account, .component = *component};
}

void CallAdmission::AttachComponent(const grpc::ServerContextBase& context,
                                    absl::string_view method,
                                    const absl::StatusOr<const Account*>& component,
                                    Admitted& admitted) const {
  if (!component.ok()) {
    admitted.component_refused = component.status();
    return;
  }
  // Counted against the rate limit once, by the account's check.
  const std::shared_ptr<const CallerAuthorizer> authorizer = Authorizer();
  absl::StatusOr<std::string> allowed = authorizer->Check(
      CredentialsOf(context, authorizer->identity_header()), method, (*component)->appid);
  if (allowed.ok()) {
    admitted.component = *component;
  } else {
    admitted.component_refused = GatewayError(
        Reason::kCallerNotAllowed,
        absl::StrCat("the caller may not use the component_access_token of ", (*component)->appid,
                     ": its policy's appids must name that component_appid (or \"*\")"));
  }
}

std::string MethodName(const google::protobuf::MethodDescriptor& method) {
  return absl::StrCat(method.service()->full_name(), "/", method.name());
}

}  // namespace wxgate
