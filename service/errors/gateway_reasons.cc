#include "service/errors/gateway_reasons.h"

#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "service/errors/error_info.h"

namespace wxgate {
namespace {

using Code = absl::StatusCode;

constexpr GatewayReason kReasons[] = {
    {Reason::kUnknownAppid, "UNKNOWN_APPID", Code::kNotFound, "",
     "`x-wx-appid` names an account not configured"},
    {Reason::kNoDefaultAccount, "NO_DEFAULT_ACCOUNT", Code::kFailedPrecondition, "",
     "no `x-wx-appid` and no default account"},
    {Reason::kCallerUnauthenticated, "CALLER_UNAUTHENTICATED", Code::kUnauthenticated, "",
     "no credentials (and no `anonymous` policy that allows the call), a malformed "
     "`authorization`, or a key no caller has; answered before the request is read"},
    {Reason::kCallerNotAllowed, "CALLER_NOT_ALLOWED", Code::kPermissionDenied, "",
     "the caller's policy does not allow this method for this account, or its client "
     "certificate or identity header names no caller"},
    {Reason::kCallerRateLimited, "CALLER_RATE_LIMITED", Code::kResourceExhausted, "",
     "the caller is over its `rate_limit`; `RetryInfo` says when to retry"},
    {Reason::kMalformedRequest, "MALFORMED_REQUEST", Code::kInvalidArgument, "",
     "the request bytes do not parse as the method's input"},
    {Reason::kInvalidRawCall, "INVALID_RAW_CALL", Code::kInvalidArgument, "",
     "a `RawService/Call` request is malformed"},
    {Reason::kTokenEndpointRefused, "TOKEN_ENDPOINT_REFUSED", Code::kPermissionDenied, "",
     "`RawService/Call` on a token endpoint"},
    {Reason::kCredentialNotSupported, "CREDENTIAL_NOT_SUPPORTED", Code::kUnimplemented, "",
     "`RawService/Call` with a user's OAuth token"},
    {Reason::kUploadTooLarge, "UPLOAD_TOO_LARGE", Code::kResourceExhausted, "",
     "the upload's files exceed `upstream.max_upload_bytes`"},
    {Reason::kInvalidTokenKind, "INVALID_TOKEN_KIND", Code::kInvalidArgument, "",
     "`GetJsapiTicket` asked for an access token; use `GetAccessToken`"},
    {Reason::kMissingToken, "MISSING_TOKEN", Code::kInvalidArgument, "",
     "`InvalidateToken` without the token WeChat rejected"},
    {Reason::kInvalidUrl, "INVALID_URL", Code::kInvalidArgument, "",
     "`SignJsSdkConfig`'s `url`, or `CreateAuthorizationLinks`' `redirect_uri`, is not a full "
     "http(s) URL"},
    {Reason::kCredentialNotServed, "CREDENTIAL_NOT_SERVED", Code::kFailedPrecondition, "",
     "the method needs a credential the call's account cannot give (the message names it): "
     "an `authorizer_access_token` for an account of the gateway's own, or the AppSecret of "
     "an authorizer; no other credential is sent in its place"},
    {Reason::kComponentTicketMissing, "COMPONENT_TICKET_MISSING", Code::kFailedPrecondition, "",
     "no `component_verify_ticket` is known yet for the third-party platform: WeChat pushes "
     "one every 10 minutes to `/wechat/component/<component_appid>` once the platform's "
     "authorization-event URL points at the gateway; the gateway asked for one at start-up"},
    {Reason::kNoComponentChosen, "NO_COMPONENT_CHOSEN", Code::kFailedPrecondition, "",
     "a method needs a `component_access_token` but no component applies: name one with "
     "`x-wx-component-appid` metadata (several are configured), configure one under "
     "`components`, or let the caller's policy name its component_appid"},
    {Reason::kAuthorizerRevoked, "AUTHORIZER_REVOKED", Code::kFailedPrecondition, "",
     "the account revoked its authorization of the third-party platform (an `unauthorized` "
     "push); it must authorize again before calls on its behalf work"},
    {Reason::kAuthorizerLacksPermission, "AUTHORIZER_LACKS_PERMISSION", Code::kPermissionDenied, "",
     "the authorizer granted the third-party platform none of the permission sets the "
     "method's service needs (the message names each set's id and name; metadata "
     "`permission_sets`); WeChat was not called"},
    {Reason::kTooManyAuthorizers, "TOO_MANY_AUTHORIZERS", Code::kResourceExhausted, "",
     "the gateway already tracks `components[].max_authorizers` accounts for that "
     "third-party platform; raise the limit"},
    {Reason::kAuthorizationCodeSpent, "AUTHORIZATION_CODE_SPENT", Code::kFailedPrecondition, "",
     "`CompleteAuthorization`: WeChat calls the code used or expired (61009/61010), and this "
     "replica did not exchange it in the last hour. Another replica may have: the account's "
     "`authorized` push carries the same code and names the account on the event stream"},
    {Reason::kMissingAuthorizationCode, "MISSING_AUTHORIZATION_CODE", Code::kInvalidArgument, "",
     "`CompleteAuthorization` without the code WeChat appended to the redirect (`auth_code`)"},
    {Reason::kNotAnAuthorizer, "NOT_AN_AUTHORIZER", Code::kFailedPrecondition, "",
     "`GetAuthorizerGrant` for an account of the gateway's own (`accounts`), which authorized "
     "no third-party platform"},
    {Reason::kCredentialMismatch, "CREDENTIAL_MISMATCH", Code::kInternal, "",
     "a bug: the gateway was about to send a credential of another kind than the endpoint "
     "takes; nothing was sent"},
    {Reason::kForceRefreshBudgetSpent, "FORCE_REFRESH_BUDGET_SPENT", Code::kResourceExhausted, "",
     "WeChat rejects the token and today's 20 `force_refresh` are spent"},
    {Reason::kForceRefreshTooSoon, "FORCE_REFRESH_TOO_SOON", Code::kUnavailable, "",
     "WeChat rejects the token and the last `force_refresh` was less than 30 s ago"},
    {Reason::kDeadlineBeforeUpstream, "DEADLINE_BEFORE_UPSTREAM", Code::kDeadlineExceeded, "",
     "the deadline passed before the request went out"},
    {Reason::kUpstreamUnreachable, "UPSTREAM_UNREACHABLE", Code::kUnavailable, "",
     "connection refused or host not found"},
    {Reason::kUpstreamTls, "UPSTREAM_TLS", Code::kUnavailable, "",
     "TLS handshake or certificate verification failed"},
    {Reason::kUpstreamTimeout, "UPSTREAM_TIMEOUT", Code::kDeadlineExceeded, "",
     "no answer within the deadline / `upstream.timeout`"},
    {Reason::kUpstreamTruncated, "UPSTREAM_TRUNCATED", Code::kUnavailable, "",
     "the connection closed before a complete answer"},
    {Reason::kUpstreamTooLarge, "UPSTREAM_TOO_LARGE", Code::kResourceExhausted, "",
     "the answer exceeds `upstream.max_answer_bytes` (64 MiB)"},
    {Reason::kUpstreamTransport, "UPSTREAM_TRANSPORT", Code::kUnavailable, "",
     "any other transport failure"},
    {Reason::kUpstreamHttpStatus, "UPSTREAM_HTTP_STATUS", Code::kUnavailable, "INTERNAL",
     "WeChat answered an HTTP status other than 200 (UNAVAILABLE for 5xx and 429)"},
    {Reason::kUpstreamNotJson, "UPSTREAM_NOT_JSON", Code::kInternal, "",
     "the answer is not a JSON object"},
    {Reason::kUpstreamNotFile, "UPSTREAM_NOT_FILE", Code::kInternal, "",
     "a download answered a JSON object without an error instead of a file"},
    {Reason::kUpstreamSchema, "UPSTREAM_SCHEMA", Code::kInternal, "",
     "a field of the answer has the wrong type (the message names it)"},
    {Reason::kUpstreamQueueFull, "UPSTREAM_QUEUE_FULL", Code::kResourceExhausted, "",
     "every upstream connection is busy and `upstream.max_queued_calls` calls already wait for "
     "one; nothing was sent; `RetryInfo` says when to retry"},
    {Reason::kUnknownCursor, "UNKNOWN_CURSOR", Code::kInvalidArgument, "",
     "`Subscribe`'s `after_cursor` is beyond the newest event"},
    {Reason::kEventsNotRetained, "EVENTS_NOT_RETAINED", Code::kOutOfRange, "",
     "events after the cursor were dropped by retention (the message names them)"},
    {Reason::kSubscriberTooSlow, "SUBSCRIBER_TOO_SLOW", Code::kResourceExhausted, "",
     "the subscriber fell `events.max_lag` events behind; resume from its last cursor"},
    {Reason::kTooManySubscriptions, "TOO_MANY_SUBSCRIPTIONS", Code::kResourceExhausted, "",
     "the caller already holds `events.max_subscriptions_per_caller` live `Subscribe` "
     "streams; end one first"},
    {Reason::kInvalidReply, "INVALID_REPLY", Code::kInvalidArgument, "",
     "a `Reply` is empty or has more than one news article; the push still waits"},
    {Reason::kReplyWindowClosed, "REPLY_WINDOW_CLOSED", Code::kFailedPrecondition, "",
     "the push was answered already or its reply window passed"},
    {Reason::kGatewayDraining, "GATEWAY_DRAINING", Code::kUnavailable, "",
     "the replica is stopping (SIGTERM); resubscribe with the last cursor, on any replica"},
};

constexpr bool InReasonOrder() {
  for (size_t i = 0; i < std::size(kReasons); ++i) {
    if (static_cast<size_t>(kReasons[i].reason) != i) return false;
  }
  return true;
}
static_assert(InReasonOrder(), "kReasons must list every Reason once, in enum order");
static_assert(static_cast<size_t>(Reason::kGatewayDraining) + 1 == std::size(kReasons),
              "kReasons must end with the last Reason");

}  // namespace

std::span<const GatewayReason> GatewayReasons() { return kReasons; }

const GatewayReason& ReasonInfo(Reason reason) { return kReasons[static_cast<size_t>(reason)]; }

absl::Status GatewayError(Reason reason, absl::string_view message, const ErrorMetadata& metadata) {
  return GatewayError(reason, ReasonInfo(reason).code, message, metadata);
}

absl::Status GatewayError(Reason reason, absl::StatusCode code, absl::string_view message,
                          const ErrorMetadata& metadata) {
  return ErrorWithInfo(code, message, ReasonInfo(reason).name, kGatewayDomain, metadata);
}

std::string ReasonTableMarkdown() {
  std::string out = "| reason | gRPC code | when |\n|---|---|---|\n";
  for (const GatewayReason& reason : kReasons) {
    std::string code = absl::StatusCodeToString(reason.code);
    if (!reason.other_codes.empty()) absl::StrAppend(&code, " / ", reason.other_codes);
    absl::StrAppend(&out, "| `", reason.name, "` | ", code, " | ", reason.when, " |\n");
  }
  return out;
}

}  // namespace wxgate
