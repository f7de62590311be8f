// TranscodeRawCall: a wxgate.v1.RawService/Call request as the UpstreamRequest it
// describes, checked first. The escape hatch for endpoints not modelled yet.
//
//   TranscodeRawCall({method "GET", path "/cgi-bin/user/info", query {openid: "o1"}})
//   → {GET /cgi-bin/user/info, query [openid=o1], credential kAccessToken}
//
// Refused: a method other than GET or POST, a path that is not a plain absolute
// path, a GET with a body, a body that is not a JSON object, query keys the gateway
// sets (access_token, secret, appsecret) — INVALID_ARGUMENT INVALID_RAW_CALL; the
// token endpoints, whose answers are secrets — PERMISSION_DENIED
// TOKEN_ENDPOINT_REFUSED; a user's OAuth token — UNIMPLEMENTED
// CREDENTIAL_NOT_SUPPORTED. With CREDENTIAL_APPID_SECRET the gateway's appid and
// secret replace any the body names.
#ifndef WXGATE_SERVICE_TRANSCODE_RAW_CALL_H_
#define WXGATE_SERVICE_TRANSCODE_RAW_CALL_H_

#include "absl/status/statusor.h"
#include "service/upstream/upstream_request.h"
#include "wxgate/v1/raw.pb.h"

namespace wxgate {

absl::StatusOr<UpstreamRequest> TranscodeRawCall(const v1::CallRequest& request);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_RAW_CALL_H_
