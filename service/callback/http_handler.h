// What CallbackServer hands each HTTP request to, and how the answer comes back:
//
//   handler.Handle({"POST", "/wechat/callback/wx1?signature=...", "<xml>...</xml>"},
//                  [](CallbackAnswer answer) { /* write it */ });
//     -> respond({200, "text/plain; charset=utf-8", "success"}), now or later
//
// The server owns the HTTP (parsing, limits, keep-alive, X-Request-Id); a handler
// sees the method, the target, the headers and the whole body, and the request id
// (for its log lines), and may add headers to its answer. PushHandler is the
// gateway's; tests plug in their own.
//
// Handle is const and may be called from any thread, several at once: an
// implementation is thread-safe. The server keeps a reference to its handler and
// does not own it.
#ifndef WXGATE_SERVICE_CALLBACK_HTTP_HANDLER_H_
#define WXGATE_SERVICE_CALLBACK_HTTP_HANDLER_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace wxgate {

struct CallbackRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string body;
  // Header names in lower case; a repeated header keeps its last value.
  absl::flat_hash_map<std::string, std::string> headers = {};

  // The header's value, "" when absent; `lowercase_name` as stored.
  absl::string_view Header(absl::string_view lowercase_name) const {
    auto found = headers.find(lowercase_name);
    return found == headers.end() ? absl::string_view() : absl::string_view(found->second);
  }
  std::string request_id;  // the server's X-Request-Id for this request
};

struct CallbackAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Headers to send besides Content-Type and X-Request-Id.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

class HttpHandler {
 public:
  using Respond = std::function<void(CallbackAnswer)>;

  virtual ~HttpHandler() = default;

  // Calls `respond` exactly once: before returning, or later from any thread.
  virtual void Handle(const CallbackRequest& request, Respond respond) const = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_HTTP_HANDLER_H_
