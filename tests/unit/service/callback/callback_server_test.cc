#include "service/callback/callback_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"

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

class CallbackServerTest : public ::testing::Test {
 protected:
  void Start(CallbackServer::Options options) {
    std::vector<CallbackAccount> accounts;
    accounts.push_back({.appid = "wx00000000000000aa", .token = "t"});
    handler_.emplace(std::move(accounts), hub_, dedup_, broker_,
                     [](absl::Duration, std::function<void()>) {});
    auto server = CallbackServer::Start(options, *handler_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  EventHub hub_{EventHub::Options{}};
  PushDedup dedup_{absl::Minutes(5)};
  ReplyBroker broker_;
  std::optional<PushHandler> handler_;
  std::unique_ptr<CallbackServer> server_;
};

TEST_F(CallbackServerTest, AnswersWithTheHandlersAnswerAndARequestId) {
  Start({});
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send(Post("/wechat/callback/wx0000000000000000", "<xml/>"));
  const std::string first = client.ReadAnswer();
  EXPECT_TRUE(absl::StartsWith(first, "HTTP/1.1 404")) << first;
  EXPECT_TRUE(absl::StrContains(first, "X-Request-Id: ")) << first;
  // Keep-alive: a second request on the same connection.
  client.Send(Post("/wechat/callback/wx00000000000000aa?signature=bad", "<xml/>"));
  EXPECT_TRUE(absl::StartsWith(client.ReadAnswer(), "HTTP/1.1 403"));
}

TEST_F(CallbackServerTest, ABodyOverTheLimitGets413) {
  Start({.max_body_bytes = 1000});
  RawClient client(server_->port());
  client.Send(Post("/wechat/callback/wx00000000000000aa", std::string(1001, 'x')));
  const std::string answer = client.ReadAll();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 413")) << answer;
}

TEST_F(CallbackServerTest, HeadersOverTheLimitGet431) {
  Start({.max_header_bytes = 1024});
  RawClient client(server_->port());
  client.Send(
      absl::StrCat("GET / HTTP/1.1\r\nHost: t\r\nX-Big: ", std::string(2000, 'a'), "\r\n\r\n"));
  const std::string answer = client.ReadAll();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 431")) << answer;
}

TEST_F(CallbackServerTest, MalformedHttpGets400) {
  Start({});
  RawClient client(server_->port());
  client.Send("NOT HTTP AT ALL\r\n\r\n");
  const std::string answer = client.ReadAll();
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 400")) << answer;
}

TEST_F(CallbackServerTest, ASlowClientIsDisconnected) {
  Start({.read_timeout = absl::Milliseconds(300)});
  RawClient client(server_->port());
  client.Send(
      "POST /wechat/callback/wx00000000000000aa HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc");
  // The rest of the body never comes: the server closes without an answer.
  EXPECT_EQ(client.ReadAll(), "");
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
  EXPECT_TRUE(absl::StartsWith(third.ReadAll(), "HTTP/1.1 404"));
}

TEST_F(CallbackServerTest, ReportsAnAddressInUse) {
  Start({});
  std::vector<CallbackAccount> none;
  PushHandler other(std::move(none), hub_, dedup_, broker_,
                    [](absl::Duration, std::function<void()>) {});
  auto clash =
      CallbackServer::Start({.listen = absl::StrCat("127.0.0.1:", server_->port())}, other);
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace wxgate
