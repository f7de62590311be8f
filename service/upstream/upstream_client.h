// UpstreamClient: asynchronous HTTPS to WeChat on one libcurl multi event loop.
//
//   UpstreamClient client({.ca_file = "ca.pem"});
//   TransferId id = client.Send({.method = "GET", .url = "https://…/cgi-bin/getcallbackip?…"},
//                               [](absl::StatusOr<HttpResponse> answer) { … });
//   client.Cancel(id);   // optional: `done` then runs with CANCELLED
//
// The HttpTransport of production: Send() never blocks on the network, the transfer
// runs on the client's own thread, which calls `done` exactly once when the transfer
// ends (answer, transport error, timeout or cancel); a refusal because the queue is
// full runs `done` inside Send. Connections are kept alive and reused (HTTP/2
// multiplexing where the server offers it). At most max_connections_per_host
// transfers are in libcurl; later ones wait in the client's own queue (see
// transfer_queue.h for why).
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
  // Also the transfers handed to libcurl at once: the rest wait in the client.
  int max_connections_per_host = 256;
  // Transfers that wait for a connection, first come first served; Send refuses more
  // at once (RESOURCE_EXHAUSTED UPSTREAM_QUEUE_FULL with RetryInfo). A waiting
  // transfer whose timeout passes ends DEADLINE_EXCEEDED DEADLINE_BEFORE_UPSTREAM,
  // never sent.
  int max_queued = 1024;
  // Transfers that may be opening a connection (TCP and TLS) at once: the pool grows
  // by that many handshakes at a time instead of all at once.
  int max_connecting = 32;
  absl::Duration connect_timeout = absl::Seconds(3);
  size_t max_answer_bytes = 64 << 20;
  // The RetryInfo of a refusal because the queue is full.
  absl::Duration queue_full_retry_delay = absl::Seconds(1);
};

class UpstreamClient : public HttpTransport {
 public:
  explicit UpstreamClient(UpstreamOptions options);
  ~UpstreamClient() override;
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  TransferId Send(HttpRequest request, Done done) override;
  void Cancel(TransferId id) override;
  // Transfers sent (waiting or running) and not yet ended.
  int64_t active_transfers() const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace wxgate

#endif  // WXGATE_SERVICE_UPSTREAM_UPSTREAM_CLIENT_H_
