// HttpTransport: how the gateway sends one HTTP request upstream, asynchronously.
//
//   TransferId id = transport.Send({.method = "GET", .url = "https://…"},
//                                  [](absl::StatusOr<HttpResponse> answer) { … });
//   transport.Cancel(id);   // optional: `done` then runs with CANCELLED
//
// Send never blocks on the network and calls `done` exactly once, on a thread of
// the transport's own (or inside Send), when the transfer ends: an answer, a
// transport error, a timeout or a cancel. `done` must not block. UpstreamClient
// (libcurl) is the real one; unit tests plug in fakes.
#ifndef WXGATE_SERVICE_UPSTREAM_HTTP_TRANSPORT_H_
#define WXGATE_SERVICE_UPSTREAM_HTTP_TRANSPORT_H_

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "service/upstream/http_exchange.h"

namespace wxgate {

class HttpTransport {
 public:
  using TransferId = uint64_t;
  using Done = absl::AnyInvocable<void(absl::StatusOr<HttpResponse>) &&>;

  virtual ~HttpTransport() = default;

  virtual TransferId Send(HttpRequest request, Done done) = 0;
  // Aborts a transfer; a no-op when it already ended.
  virtual void Cancel(TransferId id) = 0;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_HTTP_TRANSPORT_H_
