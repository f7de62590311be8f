#include "tests/fake_wechat/https_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <exception>
#include <fstream>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tests/fake_wechat/url_query.h"

namespace wxgate::fake {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

constexpr auto kHandshakeTimeout = std::chrono::seconds(30);
constexpr auto kIdleTimeout = std::chrono::minutes(5);  // between keep-alive requests
constexpr auto kIoTimeout = std::chrono::seconds(60);
constexpr auto kShutdownTimeout = std::chrono::seconds(5);
constexpr uint64_t kBodyLimit = 64 << 20;  // above WeChat's largest upload (video, 10 MB)
constexpr size_t kTruncatedBytes = 64;     // announced but never sent

absl::string_view View(beast::string_view text) { return {text.data(), text.size()}; }

HttpRequest ToHttpRequest(http::request<http::string_body>& message) {
  Target target = ParseTarget(View(message.target()));
  HttpRequest request;
  request.method = std::string(View(message.method_string()));
  request.path = std::move(target.path);
  request.query = std::move(target.query);
  for (const auto& field : message) {
    std::string& value = request.headers[absl::AsciiStrToLower(View(field.name_string()))];
    absl::StrAppend(&value, value.empty() ? "" : ", ", View(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

// One TLS connection; owned by the handlers of its pending operations.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ssl::context& tls, RequestHandler& handler)
      : stream_(std::move(socket), tls), timer_(stream_.get_executor()), handler_(handler) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->Lowest().expires_after(kHandshakeTimeout);
      self->stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (!ec) self->ReadHeader();
      });
    });
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    Lowest().expires_after(kIdleTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return Shutdown();
    if (ec) return;  // the peer left or sent garbage: drop the connection
    // curl waits up to 1 s for "100 Continue" before sending a large body.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      continue_.emplace(http::status::continue_, parser_->get().version());
      Lowest().expires_after(kIoTimeout);
      http::async_write(stream_, *continue_,
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (!ec) self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->OnRequest();
                     });
  }

  void OnRequest() {
    http::request<http::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    try {
      reply_ = handler_.Handle(ToHttpRequest(message));
    } catch (const std::exception& e) {  // a bug in the fake must not kill the test process
      reply_ = HttpReply();
      reply_.status = 500;
      reply_.content_type = "text/plain";
      reply_.body = absl::StrCat("fake_wechat: ", e.what(), "\n");
    }
    if (reply_.delay <= absl::ZeroDuration()) return Respond();
    Lowest().expires_never();
    timer_.expires_after(absl::ToChronoNanoseconds(reply_.delay));
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Respond(); });
  }

  void Respond() {
    switch (reply_.mode) {
      case ReplyMode::kClose:
        return Shutdown();
      case ReplyMode::kTruncate:
        raw_ = absl::StrCat("HTTP/1.1 ", reply_.status, " ",
                            View(http::obsolete_reason(http::int_to_status(reply_.status))),
                            "\r\nContent-Type: ", reply_.content_type,
                            "\r\nContent-Length: ", reply_.body.size() + kTruncatedBytes,
                            "\r\nConnection: close\r\n\r\n", reply_.body);
        Lowest().expires_after(kIoTimeout);
        net::async_write(
            stream_, net::buffer(raw_),
            [self = shared_from_this()](beast::error_code, size_t) { self->Shutdown(); });
        return;
      case ReplyMode::kAnswer:
        break;
    }
    response_.emplace();
    response_->version(version_);
    response_->result(reply_.status);
    response_->set(http::field::server, "fake_wechat");
    response_->set(http::field::content_type, reply_.content_type);
    response_->keep_alive(keep_alive_);
    response_->body() = std::move(reply_.body);
    response_->prepare_payload();
    Lowest().expires_after(kIoTimeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (self->keep_alive_) {
                          self->ReadHeader();
                        } else {
                          self->Shutdown();
                        }
                      });
  }

  // Sends close_notify so that the client sees a clean end of stream (a truncated
  // body is then CURLE_PARTIAL_FILE, no answer CURLE_GOT_NOTHING), then closes.
  void Shutdown() {
    Lowest().expires_after(kShutdownTimeout);
    stream_.async_shutdown(
        [self = shared_from_this()](beast::error_code) { self->Lowest().close(); });
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  net::steady_timer timer_;
  RequestHandler& handler_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  HttpReply reply_;
  std::string raw_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

}  // namespace

class HttpsServer::Impl {
 public:
  Impl(Options options, RequestHandler* handler)
      : options_(std::move(options)), handler_(*handler) {}
  ~Impl() { Stop(); }

  absl::Status Start() {
    if (started_) return absl::FailedPreconditionError("fake_wechat: Start() called twice");
    started_ = true;
    for (const std::string& file : {options_.cert_file, options_.key_file}) {
      if (!std::ifstream(file)) {  // OpenSSL's own message would only say "asio.ssl error"
        return absl::NotFoundError(absl::StrCat("fake_wechat: cannot read ", file));
      }
    }
    beast::error_code ec;
    tls_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    tls_.use_certificate_chain_file(options_.cert_file, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("fake_wechat: cannot load certificate ",
                                                     options_.cert_file, ": ", ec.message()));
    }
    tls_.use_private_key_file(options_.key_file, ssl::context::pem, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat("fake_wechat: cannot load private key ",
                                                     options_.key_file, ": ", ec.message()));
    }
    const net::ip::address address = net::ip::make_address(options_.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("fake_wechat: host must be an IP address, got ", options_.host));
    }

    const int threads = std::max(1, options_.threads);
    io_ = std::make_unique<net::io_context>(threads);
    acceptor_.emplace(*io_);
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("fake_wechat: cannot listen on ", options_.host,
                                                 ":", options_.port, ": ", ec.message()));
    }
    port_ = acceptor_->local_endpoint().port();
    Accept();
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_->run(); });
    return absl::OkStatus();
  }

  void Stop() {
    if (io_ == nullptr) return;
    io_->stop();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
    acceptor_.reset();
    io_.reset();  // destroys the pending handlers, hence every session and its socket
  }

  uint16_t port() const { return port_; }

 private:
  void Accept() {
    // A strand per connection: with several threads, one session's handlers never overlap.
    acceptor_->async_accept(
        net::make_strand(*io_), [this](beast::error_code ec, tcp::socket socket) {
          if (ec == net::error::operation_aborted) return;
          if (!ec) {
            handler_.OnConnection();
            std::make_shared<Session>(std::move(socket), tls_, handler_)->Start();
          }
          Accept();
        });
  }

  const Options options_;
  RequestHandler& handler_;
  ssl::context tls_{ssl::context::tls_server};  // outlives io_, whose sessions use it
  std::unique_ptr<net::io_context> io_;
  std::optional<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<uint16_t> port_{0};
  bool started_ = false;
};

HttpsServer::HttpsServer(Options options, RequestHandler* handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpsServer::~HttpsServer() = default;

absl::Status HttpsServer::Start() { return impl_->Start(); }

void HttpsServer::Stop() { impl_->Stop(); }

uint16_t HttpsServer::port() const { return impl_->port(); }

}  // namespace wxgate::fake
