// CallbackServer is the HTTP/1.1 listener WeChat pushes to (behind the TLS
// terminator WeChat's https URL points at). Per connection, for each request:
//
//   read headers (<= 8 KiB, else 431) and body (<= max_body_bytes, else 413) within
//   read_timeout (else the connection is closed) -> HttpHandler::Handle -> write its
//   answer, whenever it comes, with an X-Request-Id header -> next request (keep-alive)
//
//   auto server = CallbackServer::Start({.listen = "0.0.0.0:8081"}, push_handler);
//   (*server)->port();   // 8081
//
// Malformed HTTP gets 400. StopAccepting() + AwaitClosed() drain it. At max_connections the
// listener stops accepting until a connection closes. I/O runs on `threads` Asio threads, each
// with its own event loop; a connection stays on the one it was given (round robin), which is
// the thread Handle is called on for its requests. An answer may come from any thread. Beast
// stays inside the .cc.
#ifndef WXGATE_SERVICE_CALLBACK_CALLBACK_SERVER_H_
#define WXGATE_SERVICE_CALLBACK_CALLBACK_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/callback/http_handler.h"

namespace wxgate {

class CallbackServer {
 public:
  struct Options {
    std::string listen = "127.0.0.1:0";  // host:port; port 0 picks a free one
    size_t max_body_bytes = 1 << 20;
    size_t max_header_bytes = 8 << 10;
    absl::Duration read_timeout = absl::Seconds(10);
    size_t max_connections = 1024;
    // I/O threads (server.callback_threads); 0: one per core.
    size_t threads = 1;
  };

  // Binds and serves. The caller keeps `handler` alive until the server is
  // destroyed. UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<CallbackServer>> Start(const Options& options,
                                                               const HttpHandler& handler);

  ~CallbackServer();  // closes the listener and every connection, joins the thread
  CallbackServer(const CallbackServer&) = delete;
  CallbackServer& operator=(const CallbackServer&) = delete;

  // Draining, for a gateway that stops: closes the listener and the idle
  // connections; a request in progress is answered, then its connection closed.
  void StopAccepting();
  // After StopAccepting(): waits until every connection is closed; false if some
  // are still open at `deadline`.
  bool AwaitClosed(absl::Time deadline);

  uint16_t port() const;
  // The I/O threads serving connections.
  size_t thread_count() const;
  // Open connections, for tests and the status page.
  size_t connection_count() const;

  class Impl;  // in the .cc, with Beast

 private:
  explicit CallbackServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_CALLBACK_CALLBACK_SERVER_H_
