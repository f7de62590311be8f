// What CallbackServer hands each HTTP request to, and how the answer comes back:
//
//   handler.Handle({"POST", "/wechat/callback/wx1?signature=...", "<xml>...</xml>"},
//                  [](CallbackAnswer answer) { /* write it */ });
//     -> respond({200, "text/plain; charset=utf-8", "success"}), now or later
//
// The server owns the HTTP (parsing, limits, keep-alive, X-Request-Id); a handler
// sees only the method, the target, the whole body, the traceparent header and the
// request id (for its log lines). PushHandler is the gateway's;
// tests plug in their own.
//
// Handle is const and may be called from any thread, several at once: an
// implementation is thread-safe. The server keeps a reference to its handler and
// does not own it.
#ifndef WXGATE_SERVICE_CALLBACK_HTTP_HANDLER_H_
#define WXGATE_SERVICE_CALLBACK_HTTP_HANDLER_H_

#include <functional>
#include <string>

namespace wxgate {

struct CallbackRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::string body;
  std::string traceparent;  // the W3C header's value; "" when absent
  std::string request_id;   // the server's X-Request-Id for this request
};

struct CallbackAnswer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
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
