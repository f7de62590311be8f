// What a failed libcurl transfer means to a gRPC caller: a status with a reason
// (UPSTREAM_UNREACHABLE, UPSTREAM_TLS, UPSTREAM_TIMEOUT, UPSTREAM_TRUNCATED,
// UPSTREAM_TOO_LARGE, UPSTREAM_TRANSPORT) and a message that says what to check.
#ifndef WXGATE_SERVICE_UPSTREAM_CURL_ERRORS_H_
#define WXGATE_SERVICE_UPSTREAM_CURL_ERRORS_H_

#include <curl/curl.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace wxgate {

// `detail` is curl's error buffer; `url_host` names the upstream without its query
// (which may hold a token); `timeout` is the limit that applied: the transfer's once
// `connected`, the connect timeout (TCP and TLS) before.
absl::Status CurlFailure(CURLcode code, absl::string_view detail, absl::string_view url_host,
                         absl::Duration timeout, bool connected);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_CURL_ERRORS_H_
