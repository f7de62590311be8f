#include "service/callback/callback_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace wxgate {
namespace {

// A connected socket to the server, with blocking reads bounded by a timeout.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    timeval timeout{.tv_sec = 60, .tv_usec = 0};  // generous: a loaded machine is slow
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RawClient() { close(fd_); }

  bool connected() const { return connected_; }
  void Send(const std::string& data) {
    ASSERT_EQ(write(fd_, data.data(), data.size()), ssize_t(data.size()));
  }
  // Reads until the server closes the connection (or the timeout).
  std::string ReadAll() {
    std::string out;
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd_, buffer, sizeof(buffer))) > 0) out.append(buffer, n);
    return out;
  }
  // Reads one answer: headers, then Content-Length bytes.
  std::string ReadAnswer() {
    std::string out;
    char c;
    while (!absl::EndsWith(out, "\r\n\r\n") && read(fd_, &c, 1) == 1) out.push_back(c);
    const size_t at = out.find("Content-Length: ");
    size_t length = at == std::string::npos ? 0 : std::stoul(out.substr(at + 16));
    while (length > 0 && read(fd_, &c, 1) == 1) {
      out.push_back(c);
      --length;
    }
    return out;
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::string Post(const std::string& target, const std::string& body, bool keep_alive = true) {
  return absl::StrCat("POST ", target, " HTTP/1.1\r\nHost: test\r\nContent-Length: ", body.size(),
                      keep_alive ? "" : "\r\nConnection: close", "\r\n\r\n", body);
}

// The HTTP plumbing's only partner: records each request and answers it at once
// with 202 "<method> <target>", or, while holding, keeps its Respond for the test.
class RecordingHandler : public HttpHandler {
 public:
  void Handle(const CallbackRequest& request, Respond respond) const override {
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      threads_.insert(std::this_thread::get_id());
      if (holding_) {
        held_.push_back(std::move(respond));
        return;
      }
    }
    respond(
        {202, "application/xml; charset=utf-8", absl::StrCat(request.method, " ", request.target)});
  }

  void Hold() {
    absl::MutexLock lock(&mu_);
    holding_ = true;
  }
  // The Respond of the first held request, once there is one (nullptr after 60 s).
  Respond WaitForHeld() {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(this, &RecordingHandler::HasHeld),
                              absl::Seconds(60))) {
      return nullptr;
    }
    return held_.front();
  }
  // Every held Respond, once there are `count` (empty after 60 s).
  std::vector<Respond> WaitForHeld(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, count]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_.size() >= count; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(60))) return {};
    return held_;
  }
  // The threads Handle was called on.
  size_t thread_count() const {
    absl::MutexLock lock(&mu_);
    return threads_.size();
  }
  std::vector<CallbackRequest> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  bool HasHeld() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !held_.empty(); }

  mutable absl::Mutex mu_;
  mutable std::vector<CallbackRequest> requests_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<Respond> held_ ABSL_GUARDED_BY(mu_);
  mutable absl::flat_hash_set<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
};

std::string RequestIdOf(const std::string& answer) {
  const size_t at = answer.find("X-Request-Id: ");
  if (at == std::string::npos) return "";
  return answer.substr(at + 14, answer.find("\r\n", at) - at - 14);
}

class CallbackServerTest : public ::testing::Test {
 protected:
  void Start(CallbackServer::Options options) {
    auto server = CallbackServer::Start(options, handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  RecordingHandler handler_;
  std::unique_ptr<CallbackServer> server_;
};

TEST_F(CallbackServerTest, HandsTheRequestOverAndWritesTheAnswerWithARequestId) {
  Start({});
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send(Post("/wechat/callback/wx1?signature=ab&nonce=1%2B2", "<xml>body</xml>"));
  const std::string first = client.ReadAnswer();
  EXPECT_TRUE(absl::StartsWith(first, "HTTP/1.1 202")) << first;
  EXPECT_TRUE(absl::StrContains(first, "Content-Type: application/xml; charset=utf-8")) << first;
  EXPECT_TRUE(absl::EndsWith(first, "\r\n\r\nPOST /wechat/callback/wx1?signature=ab&nonce=1%2B2"))
      << first;
  // The target comes as written, undecoded; the body whole.
  ASSERT_EQ(handler_.requests().size(), 1u);
  EXPECT_EQ(handler_.requests()[0].method, "POST");
  EXPECT_EQ(handler_.requests()[0].target, "/wechat/callback/wx1?signature=ab&nonce=1%2B2");
  EXPECT_EQ(handler_.requests()[0].body, "<xml>body</xml>");

  // Keep-alive: a second request on the same connection, with a request id of its own.
  client.Send("GET /wechat/callback/wx1?echostr=e HTTP/1.1\r\nHost: test\r\n\r\n");
  const std::string second = client.ReadAnswer();
  EXPECT_TRUE(absl::StartsWith(second, "HTTP/1.1 202")) << second;
  EXPECT_FALSE(RequestIdOf(first).empty()) << first;
  EXPECT_NE(RequestIdOf(first), RequestIdOf(second));
  ASSERT_EQ(handler_.requests().size(), 2u);
  EXPECT_EQ(handler_.requests()[1].method, "GET");
  EXPECT_EQ(handler_.requests()[1].body, "");
}

TEST_F(CallbackServerTest, AnAnswerFromAnotherThreadLaterIsWritten) {
  handler_.Hold();
  Start({});
  RawClient client(server_->port());
  client.Send(Post("/wechat/callback/wx1", "<xml/>"));
  HttpHandler::Respond respond = handler_.WaitForHeld();
  ASSERT_NE(respond, nullptr);
  std::thread replier([&] { respond({200, "application/xml; charset=utf-8", "<xml>late</xml>"}); });
  const std::string answer = client.ReadAnswer();
  replier.join();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200")) << answer;
  EXPECT_TRUE(absl::EndsWith(answer, "<xml>late</xml>")) << answer;
}

TEST_F(CallbackServerTest, HandsHeadersOverByLowerCaseNameAndWritesTheAnswersHeaders) {
  handler_.Hold();
  Start({});
  RawClient client(server_->port());
  client.Send(
      "GET /status.json HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer k1\r\n"
      "X-Forwarded-Client-Cert: URI=spiffe://test/shop\r\n\r\n");
  HttpHandler::Respond respond = handler_.WaitForHeld();
  ASSERT_NE(respond, nullptr);
  ASSERT_EQ(handler_.requests().size(), 1u);
  const CallbackRequest request = handler_.requests()[0];
  EXPECT_EQ(request.Header("authorization"), "Bearer k1");
  EXPECT_EQ(request.Header("x-forwarded-client-cert"), "URI=spiffe://test/shop");
  EXPECT_EQ(request.Header("cookie"), "");

  respond({429, "text/plain", "later", {{"Retry-After", "3"}, {"Cache-Control", "no-store"}}});
  const std::string answer = client.ReadAnswer();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 429")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "Retry-After: 3\r\n")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "Cache-Control: no-store\r\n")) << answer;
}

TEST_F(CallbackServerTest, DrainingClosesIdleConnectionsAndAnswersTheRequestInProgress) {
  handler_.Hold();
  Start({});
  RawClient busy(server_->port());
  busy.Send(Post("/wechat/callback/wx1", "<xml/>"));
  HttpHandler::Respond respond = handler_.WaitForHeld();
  ASSERT_NE(respond, nullptr);
  RawClient idle(server_->port());
  ASSERT_TRUE(idle.connected());

  server_->StopAccepting();
  EXPECT_EQ(idle.ReadAll(), "");  // closed (or reset) without an answer
  RawClient late(server_->port());
  EXPECT_FALSE(late.connected());                   // the listener is closed
  EXPECT_FALSE(server_->AwaitClosed(absl::Now()));  // `busy` still waits for its answer

  respond({200, "text/plain", "success"});
  const std::string answer = busy.ReadAll();  // the answer, then the close
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200")) << answer;
  EXPECT_TRUE(absl::StrContains(answer, "Connection: close")) << answer;
  EXPECT_TRUE(absl::EndsWith(answer, "success")) << answer;
  EXPECT_TRUE(server_->AwaitClosed(absl::Now() + absl::Seconds(60)));
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(CallbackServerTest, ConnectionsAreServedOnSeveralThreads) {
  handler_.Hold();
  Start({.threads = 3});
  EXPECT_EQ(server_->thread_count(), 3u);
  // Connections go to the threads in turn: three connections, three threads, each
  // holding its request at the same time.
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawClient>(server_->port()));
    clients.back()->Send(Post(absl::StrCat("/wechat/callback/wx", i), "<xml/>"));
  }
  std::vector<HttpHandler::Respond> held = handler_.WaitForHeld(3);
  ASSERT_EQ(held.size(), 3u);
  EXPECT_EQ(handler_.thread_count(), 3u);
  // Answered from this thread, each answer reaches its own connection.
  for (int i = 0; i < 3; ++i) held[i]({200, "text/plain", absl::StrCat("answer ", i)});
  for (int i = 0; i < 3; ++i) {
    const std::string answer = clients[i]->ReadAnswer();
    EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200")) << answer;
  }
  // Draining reaches the connections of every thread.
  server_->StopAccepting();
  for (auto& client : clients) EXPECT_EQ(client->ReadAll(), "");
  EXPECT_TRUE(server_->AwaitClosed(absl::Now() + absl::Seconds(60)));
}

TEST_F(CallbackServerTest, ZeroThreadsMeansOnePerCore) {
  Start({.threads = 0});
  EXPECT_EQ(server_->thread_count(), std::max(1u, std::thread::hardware_concurrency()));
}

TEST_F(CallbackServerTest, ABodyOverTheLimitGets413) {
  Start({.max_body_bytes = 1000});
  RawClient client(server_->port());
  client.Send(Post("/wechat/callback/wx00000000000000aa", std::string(1001, 'x')));
  const std::string answer = client.ReadAll();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 413")) << answer;
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(CallbackServerTest, HeadersOverTheLimitGet431) {
  Start({.max_header_bytes = 1024});
  RawClient client(server_->port());
  client.Send(
      absl::StrCat("GET / HTTP/1.1\r\nHost: t\r\nX-Big: ", std::string(2000, 'a'), "\r\n\r\n"));
  const std::string answer = client.ReadAll();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 431")) << answer;
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(CallbackServerTest, MalformedHttpGets400) {
  Start({});
  RawClient client(server_->port());
  client.Send("NOT HTTP AT ALL\r\n\r\n");
  const std::string answer = client.ReadAll();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(CallbackServerTest, ASlowClientIsDisconnected) {
  Start({.read_timeout = absl::Milliseconds(300)});
  RawClient client(server_->port());
  client.Send(
      "POST /wechat/callback/wx00000000000000aa HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc");
  // The rest of the body never comes: the server closes without an answer.
  EXPECT_EQ(client.ReadAll(), "");
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(CallbackServerTest, AcceptsNoMoreThanMaxConnectionsAtOnce) {
  Start({.max_connections = 2});
  RawClient first(server_->port()), second(server_->port());
  // Both are served (proved by an answer), so both count.
  first.Send(Post("/x", ""));
  second.Send(Post("/x", ""));
  EXPECT_FALSE(first.ReadAnswer().empty());
  EXPECT_FALSE(second.ReadAnswer().empty());
  EXPECT_EQ(server_->connection_count(), 2u);
  // A third connects (the kernel's backlog) but is not served until one closes.
  RawClient third(server_->port());
  third.Send(Post("/x", "", /*keep_alive=*/false));
  first.Send(Post("/x", "", /*keep_alive=*/false));
  EXPECT_FALSE(first.ReadAll().empty());
  EXPECT_TRUE(absl::StartsWith(third.ReadAll(), "HTTP/1.1 202"));
}

TEST_F(CallbackServerTest, ReportsAnAddressInUse) {
  Start({});
  RecordingHandler other;
  auto clash =
      CallbackServer::Start({.listen = absl::StrCat("127.0.0.1:", server_->port())}, other);
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace wxgate
