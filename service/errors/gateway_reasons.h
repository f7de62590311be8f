// Every reason the gateway's own errors carry (ErrorInfo domain "wxgate"), in one
// list. An error is made from an entry, so a reason cannot be spelled twice or
// left out of the README, whose table is printed from this list
// (`wxgate --print_error_table`; a test compares it with the README):
//
//   return GatewayError(Reason::kMalformedRequest, "the request is not a valid …");
//   → INVALID_ARGUMENT, ErrorInfo{reason: "MALFORMED_REQUEST", domain: "wxgate"}
//
// A reason that is sent with more than one code names the others in `other_codes`
// and is made with the code explicitly: GatewayError(reason, code, message).
#ifndef WXGATE_SERVICE_ERRORS_GATEWAY_REASONS_H_
#define WXGATE_SERVICE_ERRORS_GATEWAY_REASONS_H_

#include <span>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wxgate {

enum class Reason {
  // Which account, and who calls.
  kUnknownAppid,
  kNoDefaultAccount,
  kCallerUnauthenticated,
  kCallerNotAllowed,
  kCallerRateLimited,
  // The request.
  kMalformedRequest,
  kInvalidRawCall,
  kTokenEndpointRefused,
  kCredentialNotSupported,
  kUploadTooLarge,
  kInvalidTokenKind,
  kMissingToken,
  kInvalidUrl,
  // Credentials.
  kCredentialNotServed,
  kComponentTicketMissing,
  kNoComponentChosen,
  kAuthorizerRevoked,
  kAuthorizerLacksPermission,
  kTooManyAuthorizers,
  kAuthorizationCodeSpent,
  kMissingAuthorizationCode,
  kNotAnAuthorizer,
  kCredentialMismatch,
  kForceRefreshBudgetSpent,
  kForceRefreshTooSoon,
  // Upstream.
  kDeadlineBeforeUpstream,
  kUpstreamUnreachable,
  kUpstreamTls,
  kUpstreamTimeout,
  kUpstreamTruncated,
  kUpstreamTooLarge,
  kUpstreamTransport,
  kUpstreamHttpStatus,
  kUpstreamNotJson,
  kUpstreamNotFile,
  kUpstreamSchema,
  kUpstreamQueueFull,
  // Events and replies.
  kUnknownCursor,
  kEventsNotRetained,
  kSubscriberTooSlow,
  kTooManySubscriptions,
  kInvalidReply,
  kReplyWindowClosed,
  kGatewayDraining,
};

struct GatewayReason {
  Reason reason;
  absl::string_view name;         // the ErrorInfo reason
  absl::StatusCode code;          // the code it is sent with
  absl::string_view other_codes;  // when some cases use another code
  absl::string_view when;         // for the README: when a caller sees it
};

// The list, in the order of Reason.
std::span<const GatewayReason> GatewayReasons();
const GatewayReason& ReasonInfo(Reason reason);

// A gateway error: ErrorInfo{reason, domain "wxgate", metadata}, with the reason's
// code or, for a reason with other codes, the one given.
using ErrorMetadata = absl::flat_hash_map<std::string, std::string>;
absl::Status GatewayError(Reason reason, absl::string_view message,
                          const ErrorMetadata& metadata = {});
absl::Status GatewayError(Reason reason, absl::StatusCode code, absl::string_view message,
                          const ErrorMetadata& metadata = {});

// The README's table of the reasons (Markdown).
std::string ReasonTableMarkdown();

}  // namespace wxgate

#endif  // WXGATE_SERVICE_ERRORS_GATEWAY_REASONS_H_
