// HttpsServer is the fake's network side: HTTP/1.1 over TLS with keep-alive, fully
// asynchronous on Asio, so that it is never the bottleneck of a benchmark. Per
// connection: TLS handshake, then for each request
//
//   read (answering "Expect: 100-continue") -> handler->Handle -> wait reply.delay on
//   a steady_timer -> write the answer, or truncate, or close, as reply.mode says
//
// 200 connections each delayed 500 ms are all answered at ~500 ms by one thread.
// Beast and Asio stay inside https_server.cc (pimpl): they compile slowly.
#ifndef WXGATE_TESTS_FAKE_WECHAT_HTTPS_SERVER_H_
#define WXGATE_TESTS_FAKE_WECHAT_HTTPS_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "tests/fake_wechat/http_message.h"

namespace wxgate::fake {

class HttpsServer {
 public:
  struct Options {
    std::string cert_file;           // PEM chain
    std::string key_file;            // PEM private key
    std::string host = "127.0.0.1";  // an IP address
    uint16_t port = 0;               // 0 = a free port
    int threads = 1;
  };

  // Does not take ownership of `handler`; the caller keeps it alive until Stop().
  HttpsServer(Options options, RequestHandler* handler);
  ~HttpsServer();  // stops
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Loads the certificate, binds, listens and serves on its own threads. Once only.
  absl::Status Start();
  // Closes the listener and every connection, joins the threads. Idempotent.
  void Stop();
  // The bound port, 0 before Start().
  uint16_t port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wxgate::fake

#endif  // WXGATE_TESTS_FAKE_WECHAT_HTTPS_SERVER_H_
