// UpstreamClient: asynchronous HTTPS to WeChat on one libcurl multi event loop.
//
//   UpstreamClient client({.ca_file = "ca.pem"});
//   TransferId id = client.Send({.method = "GET", .url = "https://…/cgi-bin/getcallbackip?…"},
//                               [](absl::StatusOr<HttpResponse> answer) { … });
//   client.Cancel(id);   // optional: `done` then runs with CANCELLED
//
// The HttpTransport of production: Send() never blocks on the network, the transfer
// runs on the client's own thread, which calls `done` exactly once when the transfer
// ends (answer, transport error, timeout or cancel). Connections
// are kept alive and reused (HTTP/2 multiplexing where the server offers it).
// TLS peers are always verified. The destructor cancels what is still running.
#ifndef WXGATE_SERVICE_UPSTREAM_UPSTREAM_CLIENT_H_
#define WXGATE_SERVICE_UPSTREAM_UPSTREAM_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/upstream/http_exchange.h"
#include "service/upstream/http_transport.h"

namespace wxgate {

struct UpstreamOptions {
  std::string ca_file;  // PEM bundle; empty: the system trust store
  int max_connections_per_host = 256;
  absl::Duration connect_timeout = absl::Seconds(3);
  size_t max_answer_bytes = 64 << 20;
};

class UpstreamClient : public HttpTransport {
 public:
  explicit UpstreamClient(UpstreamOptions options);
  ~UpstreamClient() override;
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  TransferId Send(HttpRequest request, Done done) override;
  void Cancel(TransferId id) override;
  // Transfers started and not yet ended.
  int64_t active_transfers() const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_UPSTREAM_CLIENT_H_
