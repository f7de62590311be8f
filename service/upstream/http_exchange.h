// One HTTP request to WeChat and the answer it got, as plain values.
#ifndef WXGATE_SERVICE_UPSTREAM_HTTP_EXCHANGE_H_
#define WXGATE_SERVICE_UPSTREAM_HTTP_EXCHANGE_H_

#include <string>

#include "absl/time/time.h"

namespace wxgate {

struct HttpRequest {
  std::string method = "GET";  // "GET" or "POST"
  std::string url;             // absolute, query included
  std::string content_type;    // of body, for POST
  std::string body;
  absl::Duration timeout = absl::Seconds(5);  // the whole transfer
  // May be sent again, to another domain, after a failure that may have reached the
  // server (a read). False: only after one that certainly did not (request_not_sent.h).
  bool repeatable = false;
};

struct HttpResponse {
  long status = 0;  // NOLINT(runtime/int): curl's type
  std::string content_type;
  std::string content_disposition;  // names a downloaded file
  std::string body;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_HTTP_EXCHANGE_H_
