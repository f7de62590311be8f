// Builds the HTTP request for one call: the request message placed in the query or
// JSON body as its EndpointBinding says, plus the credential.
//
//   BuildHttpRequest(get_user_info, {openid: "o1", lang: LANG_ZH_CN}, "https://api…",
//                    {.access_token = "T"}, 5s)
//   → GET https://api…/cgi-bin/user/info?access_token=T&openid=o1&lang=zh_CN
//
// A message field in the query travels as its JSON text (WeChat's marketing API
// takes date_range={"begin_date":…} that way); a repeated scalar repeats the key.
// So does a message form field of a multipart upload (material's "description").
#ifndef WXGATE_SERVICE_TRANSCODE_REQUEST_BUILDER_H_
#define WXGATE_SERVICE_TRANSCODE_REQUEST_BUILDER_H_

#include <google/protobuf/message.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/transcode/endpoint_binding.h"
#include "service/upstream/http_exchange.h"

namespace wxgate {

// What the gateway adds for the binding's credential kind.
struct CallCredential {
  std::string access_token;  // for token credentials
  std::string appid;         // the account's; fills appid_param
  std::string secret;        // for CREDENTIAL_APPID_SECRET
};

// RFC 3986 percent-encoding of one query component.
std::string EscapeQueryComponent(absl::string_view text);

absl::StatusOr<HttpRequest> BuildHttpRequest(const EndpointBinding& binding,
                                             const google::protobuf::Message& request,
                                             absl::string_view base_url,
                                             const CallCredential& credential,
                                             absl::Duration timeout);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_TRANSCODE_REQUEST_BUILDER_H_
