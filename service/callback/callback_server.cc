#include "service/callback/callback_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

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
// Room for a whole push in one read: WeChat's pushes are mostly 0.5-2 KiB.
constexpr size_t kReadBufferBytes = 4096;

class Session;

// One I/O thread and its event loop. A loop is run by its thread alone, so a
// session's state needs no lock: it lives on one loop.
struct IoLoop {
  net::io_context io{1};  // concurrency hint: one thread
  // Keeps io.run() going while no operation is pending: draining closes the
  // listener, and answers still to come are posted later.
  net::executor_work_guard<net::io_context::executor_type> keep_running = net::make_work_guard(io);
  std::thread thread;
};

std::vector<std::unique_ptr<IoLoop>> MakeLoops(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<IoLoop>> loops;
  for (size_t i = 0; i < threads; ++i) loops.push_back(std::make_unique<IoLoop>());
  return loops;
}

}  // namespace

// Shared by the server, its sessions' pending answers and the I/O threads: an answer
// that comes after the server is gone posts into a stopped io_context, harmlessly.
// The listener lives on the first loop ("the listener's thread").
class CallbackServer::Impl {
 public:
  Impl(const Options& options, const HttpHandler& handler)
      : loops_(MakeLoops(options.threads)),
        options_(options),
        handler_(handler),
        acceptor_(loops_.front()->io) {}

  absl::Status Listen();
  void Accept();                                         // the listener's thread
  void Closed(const std::shared_ptr<Session>& session);  // the session's thread
  void StopAccepting();                                  // the listener's thread
  void Stop();

  // Declared first, destroyed last: every socket below belongs to one of them.
  std::vector<std::unique_ptr<IoLoop>> loops_;
  const Options options_;
  const HttpHandler& handler_;
  tcp::acceptor acceptor_;
  size_t next_loop_ = 0;  // round robin of new connections; the listener's thread
  // Sessions keep themselves here until they close.
  absl::Mutex mu_;
  std::set<std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  bool paused_ ABSL_GUARDED_BY(mu_) = false;  // accepting waits for a session to close
  // StopAccepting: no new connection, no next request. Read by every I/O thread.
  std::atomic<bool> draining_{false};
  std::weak_ptr<Impl> self_;
  uint16_t port_ = 0;
};

namespace {

// One connection: read a request, hand it to the HttpHandler, write its answer
// when it comes, repeat while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  friend class CallbackServer::Impl;
  // The server outlives its sessions' work: Stop() closes them all before it goes.
  Session(tcp::socket socket, CallbackServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {
    // Beast reads at most the buffer's free capacity (512 bytes while it is empty),
    // so an unreserved buffer took two reads for every safe-mode push.
    buffer_.reserve(kReadBufferBytes);
  }

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
    // The session stays in the server's set while its answer is pending. An answer
    // given on this session's thread (at once, as for an acked push) is written
    // there and then; one from another thread is queued to this one.
    std::weak_ptr<Session> weak = shared_from_this();
    server_.handler_.Handle(callback, [weak, executor = stream_.get_executor(),
                                       server = server_.self_.lock()](CallbackAnswer answer) {
      net::dispatch(executor, [weak, answer = std::move(answer)]() mutable {
        if (auto self = weak.lock()) self->Write(std::move(answer));
      });
    });
  }

  // StopAccepting: an idle connection's pending read ends (operation_aborted) and
  // closes it; a busy one closes after its answer. The session's thread.
  void CloseIfIdle() {
    beast::error_code ignored;
    if (!answering_) stream_.socket().close(ignored);
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
  {
    absl::MutexLock lock(&mu_);
    if (sessions_.size() >= options_.max_connections) {
      paused_ = true;
      return;
    }
  }
  // The next connection belongs to the next loop, for all its life.
  IoLoop& loop = *loops_[next_loop_++ % loops_.size()];
  acceptor_.async_accept(loop.io, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      {
        absl::MutexLock lock(&mu_);
        sessions_.insert(session);
      }
      net::post(session->stream_.get_executor(), [session] { session->ReadRequest(); });
    }
    Accept();
  });
}

void CallbackServer::Impl::Closed(const std::shared_ptr<Session>& session) {
  bool resume = false;
  {
    absl::MutexLock lock(&mu_);
    sessions_.erase(session);
    resume = paused_;
    paused_ = false;
  }
  if (resume) {
    net::post(acceptor_.get_executor(), [this] {
      if (acceptor_.is_open()) Accept();
    });
  }
}

void CallbackServer::Impl::StopAccepting() {
  draining_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  absl::MutexLock lock(&mu_);
  for (const auto& session : sessions_) {
    net::post(session->stream_.get_executor(), [session] { session->CloseIfIdle(); });
  }
}

void CallbackServer::Impl::Stop() {
  for (auto& loop : loops_) loop->io.stop();
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  // The I/O threads are gone: close everything from here.
  beast::error_code ignored;
  acceptor_.close(ignored);
  absl::MutexLock lock(&mu_);
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
  for (auto& loop : impl->loops_) {
    loop->thread = std::thread([io = &loop->io] { io->run(); });
  }
  return std::unique_ptr<CallbackServer>(new CallbackServer(std::move(impl)));
}

CallbackServer::CallbackServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
CallbackServer::~CallbackServer() { impl_->Stop(); }

uint16_t CallbackServer::port() const { return impl_->port_; }

size_t CallbackServer::thread_count() const { return impl_->loops_.size(); }

void CallbackServer::StopAccepting() {
  net::post(impl_->acceptor_.get_executor(), [impl = impl_] { impl->StopAccepting(); });
}

bool CallbackServer::AwaitClosed(absl::Time deadline) {
  using Sessions = std::set<std::shared_ptr<Session>>;
  absl::MutexLock lock(&impl_->mu_);
  return impl_->mu_.AwaitWithDeadline(
      absl::Condition(
          +[](Sessions* sessions) { return sessions->empty(); }, &impl_->sessions_),
      deadline);
}

size_t CallbackServer::connection_count() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->sessions_.size();
}

}  // namespace wxgate
