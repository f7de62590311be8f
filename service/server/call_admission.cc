#include "service/server/call_admission.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"
#include "service/observe/log.h"

namespace wxgate {
namespace {

std::string AuthorizationOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  return it == metadata.end() ? "" : std::string(it->second.data(), it->second.size());
}

}  // namespace

void CallAdmission::ReplaceAuthorizer(std::shared_ptr<const CallerAuthorizer> authorizer) {
  absl::MutexLock lock(&mu_);
  authorizer_ = std::move(authorizer);
}

std::shared_ptr<const CallerAuthorizer> CallAdmission::Authorizer() const {
  absl::MutexLock lock(&mu_);
  return authorizer_;
}

absl::Status CallAdmission::AdmitFor(const grpc::ServerContextBase& context,
                                     absl::string_view method, absl::string_view appid) const {
  const std::shared_ptr<const CallerAuthorizer> authorizer = Authorizer();
  absl::StatusOr<std::string> caller = authorizer->Check(AuthorizationOf(context), method, appid);
  if (caller.ok()) {
    const absl::Duration wait = authorizer->Throttle(*caller);
    if (wait == absl::ZeroDuration()) return absl::OkStatus();
    return WithRetryDelay(
        GatewayError(absl::StatusCode::kResourceExhausted, "CALLER_RATE_LIMITED",
                     absl::StrCat("caller \"", *caller, "\" is over its rate limit; retry in ",
                                  absl::FormatDuration(wait))),
        wait);
  }
  const bool unauthenticated = caller.status().code() == absl::StatusCode::kUnauthenticated;
  Log(LogLevel::kWarning, "call_refused",
      {{"method", method}, {"appid", appid}, {"reason", caller.status().message()}});
  return GatewayError(caller.status().code(),
                      unauthenticated ? "CALLER_UNAUTHENTICATED" : "CALLER_NOT_ALLOWED",
                      caller.status().message());
}

absl::Status CallAdmission::Identify(const grpc::ServerContextBase& context) const {
  absl::StatusOr<std::string> caller = Authorizer()->Identify(AuthorizationOf(context));
  if (caller.ok()) return absl::OkStatus();
  return GatewayError(caller.status().code(), "CALLER_UNAUTHENTICATED", caller.status().message());
}

absl::StatusOr<const Account*> CallAdmission::Admit(const grpc::ServerContextBase& context,
                                                    absl::string_view method) const {
  absl::StatusOr<const Account*> account = accounts_.ForCall(context);
  if (!account.ok()) return account.status();
  if (absl::Status status = AdmitFor(context, method, (*account)->appid); !status.ok()) {
    return status;
  }
  return account;
}

std::string MethodName(const google::protobuf::MethodDescriptor& method) {
  return absl::StrCat(method.service()->full_name(), "/", method.name());
}

}  // namespace wxgate
