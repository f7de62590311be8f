// TranscodeRequest: a typed request message as the UpstreamRequest its
// EndpointBinding describes, placed in the query or body and with no credential
// yet (BuildHttpRequest in upstream_request.h adds it). A pure function of the
// message.
//
//   TranscodeRequest(get_user_info, {openid: "o1", lang: LANG_ZH_CN})
//   → {GET /cgi-bin/user/info, query [openid=o1, lang=zh_CN], credential kAccessToken}
//
// A message field in the query travels as its JSON text (WeChat's marketing API
// takes date_range={"begin_date":…} that way); a repeated scalar repeats the key.
// So does a message form field of a multipart upload (material's "description").
#ifndef WXGATE_SERVICE_TRANSCODE_REQUEST_TRANSCODER_H_
#define WXGATE_SERVICE_TRANSCODE_REQUEST_TRANSCODER_H_

#include <google/protobuf/message.h>

#include "absl/status/statusor.h"
#include "service/transcode/endpoint_binding.h"
#include "service/upstream/upstream_request.h"

namespace wxgate {

// Fails only on a multipart part that cannot be encoded (INVALID_ARGUMENT).
absl::StatusOr<UpstreamRequest> TranscodeRequest(const EndpointBinding& binding,
                                                 const google::protobuf::Message& request);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_REQUEST_TRANSCODER_H_
