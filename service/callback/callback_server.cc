#include "service/callback/callback_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/observe/log.h"
#include "service/observe/request_id.h"

namespace wxgate {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kWriteTimeout = std::chrono::seconds(10);

class Session;

}  // namespace

// Shared by the server, its sessions' pending answers and the I/O thread: an answer
// that comes after the server is gone posts into a stopped io_context, harmlessly.
class CallbackServer::Impl {
 public:
  Impl(const Options& options, const HttpHandler& handler)
      : options_(options), handler_(handler), acceptor_(io_) {}

  absl::Status Listen();
  void Accept();                                         // I/O thread
  void Closed(const std::shared_ptr<Session>& session);  // I/O thread
  void StopAccepting();                                  // I/O thread
  void Stop();

  // Declared first, destroyed last: every socket below belongs to it.
  net::io_context io_;
  // Keeps io_.run() going while no operation is pending: draining closes the
  // listener, and answers still to come are posted later.
  net::executor_work_guard<net::io_context::executor_type> keep_running_ =
      net::make_work_guard(io_);
  const Options options_;
  const HttpHandler& handler_;
  tcp::acceptor acceptor_;
  // Sessions keep themselves here until they close, I/O thread only.
  std::set<std::shared_ptr<Session>> sessions_;
  absl::Mutex count_mu_;  // for AwaitClosed
  size_t connection_count_ ABSL_GUARDED_BY(count_mu_) = 0;
  bool paused_ = false;    // accepting waits for a session to close
  bool draining_ = false;  // StopAccepting: no new connection, no next request
  std::weak_ptr<Impl> self_;
  uint16_t port_ = 0;
  std::thread thread_;
};

namespace {

// One connection: read a request, hand it to the HttpHandler, write its answer
// when it comes, repeat while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  friend class CallbackServer::Impl;
  // The server outlives its sessions' work: Stop() closes them all before it goes.
  Session(tcp::socket socket, CallbackServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}

  void ReadRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options_.max_header_bytes));
    parser_->body_limit(server_.options_.max_body_bytes);
    stream_.expires_after(absl::ToChronoNanoseconds(server_.options_.read_timeout));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    request_id_ = NewRequestId();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return Refuse(http::status::payload_too_large,
                    absl::StrCat("the body is over ", server_.options_.max_body_bytes, " bytes"));
    }
    if (ec == http::error::header_limit) {
      return Refuse(http::status::request_header_fields_too_large, "the headers are too large");
    }
    if (ec) return Refuse(http::status::bad_request, absl::StrCat("bad HTTP: ", ec.message()));

    http::request<http::string_body> request = parser_->release();
    keep_alive_ = request.keep_alive();
    CallbackRequest callback{std::string(request.method_string()), std::string(request.target()),
                             std::move(request.body())};
    for (const auto& field : request) {
      callback.headers[absl::AsciiStrToLower(absl::string_view(
          field.name_string().data(), field.name_string().size()))] = std::string(field.value());
    }
    callback.request_id = request_id_;
    // No read while the answer is pending: one request at a time per connection.
    stream_.expires_never();
    answering_ = true;
    // The session stays in the server's set while its answer is pending.
    std::weak_ptr<Session> weak = shared_from_this();
    server_.handler_.Handle(callback, [weak, server = server_.self_.lock()](CallbackAnswer answer) {
      net::post(server->io_, [weak, answer = std::move(answer)]() mutable {
        if (auto self = weak.lock()) self->Write(std::move(answer));
      });
    });
  }

  void Refuse(http::status status, std::string why) {
    keep_alive_ = false;  // the rest of the stream cannot be trusted
    Log(LogLevel::kWarning, "callback_http_refused",
        {{"request_id", request_id_},
         {"status", absl::StrCat(static_cast<int>(status))},
         {"reason", why}});
    Write({static_cast<int>(status), "text/plain; charset=utf-8", std::move(why)});
  }

  void Write(CallbackAnswer answer) {
    response_.emplace(static_cast<http::status>(answer.status), 11);
    response_->set(http::field::content_type, answer.content_type);
    response_->set("X-Request-Id", request_id_);
    for (auto& [name, value] : answer.headers) response_->set(name, value);
    response_->body() = std::move(answer.body);
    keep_alive_ = keep_alive_ && !server_.draining_;
    response_->keep_alive(keep_alive_);
    response_->prepare_payload();
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->answering_ = false;
                        if (ec || !self->keep_alive_ || self->server_.draining_) {
                          return self->Close();
                        }
                        self->ReadRequest();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
    server_.Closed(shared_from_this());
  }

  beast::tcp_stream stream_;
  CallbackServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::string request_id_;
  bool keep_alive_ = false;
  bool answering_ = false;  // a request was read and its answer is not written yet
};

}  // namespace

absl::Status CallbackServer::Impl::Listen() {
  const std::string& listen = options_.listen;
  const size_t colon = listen.rfind(':');
  uint32_t port = 0;
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("callback listen address \"", listen, "\" is not host:port"));
  }
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("callback listen host \"", host, "\" is not an IP address"));
  }
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for callbacks on ", listen, ": ", ec.message()));
  }
  return absl::OkStatus();
}

void CallbackServer::Impl::Accept() {
  if (sessions_.size() >= options_.max_connections) {
    paused_ = true;
    return;
  }
  acceptor_.async_accept(io_, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      sessions_.insert(session);
      absl::MutexLock lock(&count_mu_);
      connection_count_ = sessions_.size();
      session->ReadRequest();
    }
    Accept();
  });
}

void CallbackServer::Impl::Closed(const std::shared_ptr<Session>& session) {
  sessions_.erase(session);
  {
    absl::MutexLock lock(&count_mu_);
    connection_count_ = sessions_.size();
  }
  if (paused_ && acceptor_.is_open()) {
    paused_ = false;
    Accept();
  }
}

void CallbackServer::Impl::StopAccepting() {
  draining_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  // An idle connection's pending read ends (operation_aborted) and closes it.
  for (const auto& session : sessions_) {
    if (!session->answering_) session->stream_.socket().close(ignored);
  }
}

void CallbackServer::Impl::Stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
  // The I/O thread is gone: close everything from here.
  beast::error_code ignored;
  acceptor_.close(ignored);
  for (const auto& session : sessions_) session->stream_.socket().close(ignored);
  sessions_.clear();
}

absl::StatusOr<std::unique_ptr<CallbackServer>> CallbackServer::Start(const Options& options,
                                                                      const HttpHandler& handler) {
  auto impl = std::make_shared<Impl>(options, handler);
  impl->self_ = impl;
  if (absl::Status status = impl->Listen(); !status.ok()) return status;
  impl->port_ = impl->acceptor_.local_endpoint().port();
  impl->Accept();
  impl->thread_ = std::thread([impl = impl.get()] { impl->io_.run(); });
  return std::unique_ptr<CallbackServer>(new CallbackServer(std::move(impl)));
}

CallbackServer::CallbackServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
CallbackServer::~CallbackServer() { impl_->Stop(); }

uint16_t CallbackServer::port() const { return impl_->port_; }

void CallbackServer::StopAccepting() {
  net::post(impl_->io_, [impl = impl_] { impl->StopAccepting(); });
}

bool CallbackServer::AwaitClosed(absl::Time deadline) {
  absl::MutexLock lock(&impl_->count_mu_);
  return impl_->count_mu_.AwaitWithDeadline(
      absl::Condition(
          +[](size_t* count) { return *count == 0; }, &impl_->connection_count_),
      deadline);
}

size_t CallbackServer::connection_count() const {
  absl::MutexLock lock(&impl_->count_mu_);
  return impl_->connection_count_;
}

}  // namespace wxgate
