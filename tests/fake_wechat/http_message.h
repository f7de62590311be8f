// Plain values exchanged between the HTTPS server, which owns sockets and TLS, and
// the fake's WeChat logic, which owns semantics. They keep Beast out of every file
// but https_server.cc:
//
//   server reads a request  -> HttpRequest -> RequestHandler::Handle -> HttpReply
//   server waits reply.delay on a timer, then answers, truncates or closes per reply.mode
#ifndef WXGATE_TESTS_FAKE_WECHAT_HTTP_MESSAGE_H_
#define WXGATE_TESTS_FAKE_WECHAT_HTTP_MESSAGE_H_

#include <map>
#include <string>

#include "absl/time/time.h"

namespace wxgate::fake {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // the target up to '?', as sent
  std::map<std::string, std::string> query;    // percent-decoded; the last repeat wins
  std::string body;                            // raw bytes
  std::map<std::string, std::string> headers;  // names lower-cased; repeats joined by ", "
};

// How the server ends one exchange; all but kAnswer simulate a broken upstream.
enum class ReplyMode {
  kAnswer,    // a complete response; the connection stays open if the client asked so
  kTruncate,  // status line, headers announcing more than `body`, `body`, then close
  kClose,     // no response at all, close
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  ReplyMode mode = ReplyMode::kAnswer;
  absl::Duration delay = absl::ZeroDuration();  // waited on a timer, never by a thread
};

// What the server calls; implementations must be thread-safe (one server thread per
// connection at a time, several connections at once).
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual HttpReply Handle(const HttpRequest& request) = 0;
  // A TCP connection was accepted (before its TLS handshake).
  virtual void OnConnection() = 0;
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_HTTP_MESSAGE_H_
