// Errors as values: an absl::Status that carries a google.rpc.ErrorInfo.
//
// Every failure the gateway reports is built here, so that each has a reason a
// program can switch on and a message a person can act on:
//
//   absl::Status s = GatewayError(Reason::kUpstreamTls,        // gateway_reasons.h
//                                 "TLS handshake with the upstream failed: ...");
//   ErrorInfoOf(s)->reason() == "UPSTREAM_TLS";   // domain "wxgate"
//
// ToGrpcStatus (grpc_status.h) later moves the ErrorInfo into the gRPC status
// details, so callers in any language can read it.
#ifndef WXGATE_SERVICE_ERRORS_ERROR_INFO_H_
#define WXGATE_SERVICE_ERRORS_ERROR_INFO_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"

namespace wxgate {

// Domain of the gateway's own errors; WeChat's errors use "api.weixin.qq.com".
inline constexpr absl::string_view kGatewayDomain = "wxgate";
inline constexpr absl::string_view kWeChatDomain = "api.weixin.qq.com";

// A status with code, message and an ErrorInfo{reason, domain, metadata}.
absl::Status ErrorWithInfo(absl::StatusCode code, absl::string_view message,
                           absl::string_view reason, absl::string_view domain,
                           const absl::flat_hash_map<std::string, std::string>& metadata = {});

// The ErrorInfo a status carries, if any.
std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const absl::Status& status);

// `status` with a google.rpc.RetryInfo: when the caller may try again.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
// The RetryInfo a status carries, if any.
std::optional<google::rpc::RetryInfo> RetryInfoOf(const absl::Status& status);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_ERRORS_ERROR_INFO_H_
