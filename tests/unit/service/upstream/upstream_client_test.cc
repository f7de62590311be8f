// UpstreamClient against the fake WeChat over real HTTPS on loopback: round trips,
// answers passed through as they came, every transport failure mapped to its
// status and reason, cancellation, shutdown, concurrency and connection reuse.
#include "service/upstream/upstream_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/errors/error_info.h"
#include "service/upstream/request_not_sent.h"
#include "tests/fake_wechat/fake_wechat.h"

namespace wxgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kCertDir = FAKE_WECHAT_CERT_DIR;
// Sent in the query of the failure tests: no error message may repeat it.
constexpr char kToken[] = "TOKEN_4c6f6e67_must_not_leak";
// Far longer than any test waits for an answer: a transfer held this long is in flight.
constexpr absl::Duration kHold = absl::Seconds(60);
// How long a test waits for something that should take milliseconds.
constexpr absl::Duration kPatience = absl::Seconds(30);

// The outcome of one Send. Shared with the callback, so it outlives the client
// whatever order the test tears down in.
class Outcome {
 public:
  static UpstreamClient::Done Into(std::shared_ptr<Outcome> outcome) {
    return [outcome = std::move(outcome)](absl::StatusOr<HttpResponse> answer) {
      absl::MutexLock lock(&outcome->mu_);
      ++outcome->calls_;
      outcome->answer_ = std::move(answer);
    };
  }

  // The answer once `done` ran; a DEADLINE_EXCEEDED of the test itself otherwise.
  absl::StatusOr<HttpResponse> Wait() {
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return calls_ > 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), kPatience)) {
      return absl::DeadlineExceededError("test: `done` never ran");
    }
    return *answer_;
  }

  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<absl::StatusOr<HttpResponse>> answer_ ABSL_GUARDED_BY(mu_);
};

// Polls state the test cannot be notified of (the fake's counters).
bool Eventually(absl::FunctionRef<bool()> condition) {
  const absl::Time deadline = absl::Now() + kPatience;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "<no ErrorInfo>";
}

// A loopback port, held open for the test so no one else takes it. Not listening, it
// refuses connections; listening but never accepting, it completes TCP handshakes in
// the kernel and then never says a word (a TLS handshake stalls).
class LoopbackPort {
 public:
  enum Mode { kRefuse, kStall };
  explicit LoopbackPort(Mode mode) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        (mode == kRefuse || listen(fd_, 16) == 0) &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~LoopbackPort() {
    if (fd_ >= 0) close(fd_);
  }
  LoopbackPort(const LoopbackPort&) = delete;
  LoopbackPort& operator=(const LoopbackPort&) = delete;

  int port() const { return port_; }
  std::string Url() const {
    return absl::StrCat("https://127.0.0.1:", port_, "/cgi-bin/x?access_token=", kToken);
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class UpstreamClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<fake::FakeWeChat>(fake::FakeWeChatOptions{
        .cert_file = kCertDir + "/server.pem", .key_file = kCertDir + "/server.key", .threads = 2});
    ASSERT_TRUE(fake_->Start().ok());
  }

  static UpstreamOptions Options() { return {.ca_file = kCertDir + "/ca.pem"}; }

  std::string Url(absl::string_view path_and_query) const {
    return absl::StrCat(fake_->base_url(), path_and_query);
  }

  static HttpRequest Get(std::string url, absl::Duration timeout = absl::Seconds(20)) {
    return {.method = "GET", .url = std::move(url), .timeout = timeout};
  }

  // An echo request carrying kToken in its query, as real calls carry theirs.
  HttpRequest EchoWithToken(absl::Duration timeout = absl::Seconds(20)) const {
    return Get(Url(absl::StrCat("/fake/echo?access_token=", kToken, "&openid=o1")), timeout);
  }

  static absl::StatusOr<HttpResponse> SendAndWait(UpstreamClient& client, HttpRequest request) {
    auto outcome = std::make_shared<Outcome>();
    client.Send(std::move(request), Outcome::Into(outcome));
    return outcome->Wait();
  }

  // A failure with the given code and reason whose message does not leak the query.
  static void ExpectFailure(const absl::StatusOr<HttpResponse>& answer, absl::StatusCode code,
                            absl::string_view reason) {
    ASSERT_FALSE(answer.ok()) << "HTTP " << answer->status << ": " << answer->body;
    EXPECT_EQ(answer.status().code(), code) << answer.status();
    EXPECT_EQ(ReasonOf(answer.status()), std::string(reason)) << answer.status();
    EXPECT_THAT(std::string(answer.status().message()), Not(HasSubstr(kToken)));
    EXPECT_THAT(std::string(answer.status().message()), Not(HasSubstr("access_token")));
  }

  std::unique_ptr<fake::FakeWeChat> fake_;
};

TEST_F(UpstreamClientTest, GetRoundTrip) {
  UpstreamClient client(Options());
  absl::StatusOr<HttpResponse> answer =
      SendAndWait(client, Get(Url("/fake/echo?openid=o%261&lang=zh_CN")));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 200);
  EXPECT_THAT(answer->content_type, StartsWith("application/json"));
  const nlohmann::json echo = nlohmann::json::parse(answer->body);
  EXPECT_EQ(echo["method"], "GET");
  EXPECT_EQ(echo["path"], "/fake/echo");
  EXPECT_EQ(echo["query"], nlohmann::json({{"openid", "o&1"}, {"lang", "zh_CN"}}));

  std::optional<fake::FakeWeChat::Request> seen = fake_->LastRequest("/fake/echo");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->method, "GET");
  EXPECT_TRUE(seen->body.empty());
  EXPECT_EQ(seen->headers["user-agent"], "wxgate/1");
  EXPECT_EQ(client.active_transfers(), 0);
}

TEST_F(UpstreamClientTest, PostRoundTripCarriesBodyAndContentType) {
  UpstreamClient client(Options());
  const std::string body = R"({"tag":{"name":"会员 vip"},"n":[1,2,3]})";
  absl::StatusOr<HttpResponse> answer =
      SendAndWait(client, {.method = "POST",
                           .url = Url("/fake/echo?x=1"),
                           .content_type = "application/json; charset=utf-8",
                           .body = body});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 200);
  const nlohmann::json echo = nlohmann::json::parse(answer->body);
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["query"], nlohmann::json({{"x", "1"}}));
  EXPECT_EQ(echo["body"], nlohmann::json::parse(body));

  std::optional<fake::FakeWeChat::Request> seen = fake_->LastRequest("/fake/echo");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->method, "POST");
  EXPECT_EQ(seen->body, body);  // byte for byte
  EXPECT_EQ(seen->headers["content-type"], "application/json; charset=utf-8");
  EXPECT_EQ(seen->headers.count("expect"), 0u);  // no 100-continue round trip
}

TEST_F(UpstreamClientTest, NonOkHttpStatusIsReturnedAsIs) {
  UpstreamClient client(Options());
  fake_->InjectFailure("/fake/echo", fake::Failure::HttpStatus(502));
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, Get(Url("/fake/echo")));
  ASSERT_TRUE(answer.ok()) << answer.status();  // judging it is the parser's job
  EXPECT_EQ(answer->status, 502);
  EXPECT_FALSE(answer->body.empty());

  answer = SendAndWait(client, Get(Url("/no/such/endpoint")));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 404);
  EXPECT_THAT(answer->body, HasSubstr("/no/such/endpoint"));
}

TEST_F(UpstreamClientTest, NotJsonAnswerIsReturnedAsIs) {
  UpstreamClient client(Options());
  fake_->InjectFailure("/fake/echo", fake::Failure::NotJson());
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, Get(Url("/fake/echo")));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 200);
  EXPECT_FALSE(nlohmann::json::accept(answer->body)) << answer->body;
  EXPECT_THAT(answer->content_type, Not(StartsWith("application/json")));
}

TEST_F(UpstreamClientTest, ConnectionRefusedIsUnreachable) {
  LoopbackPort refusing(LoopbackPort::kRefuse);
  ASSERT_NE(refusing.port(), 0);
  UpstreamClient client(Options());
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, Get(refusing.Url()));
  ExpectFailure(answer, absl::StatusCode::kUnavailable, "UPSTREAM_UNREACHABLE");
  EXPECT_THAT(std::string(answer.status().message()),
              HasSubstr(absl::StrCat("127.0.0.1:", refusing.port())));
  EXPECT_TRUE(WasNotSent(answer.status())) << "a refused connection carried no request";
}

TEST_F(UpstreamClientTest, UntrustedServerCertificateIsTls) {
  UpstreamOptions options = Options();
  options.ca_file = kCertDir + "/untrusted_ca.pem";  // did not sign the fake's certificate
  UpstreamClient client(options);
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, EchoWithToken());
  ExpectFailure(answer, absl::StatusCode::kUnavailable, "UPSTREAM_TLS");
  EXPECT_EQ(fake_->CallCount("/fake/echo"), 0);  // nothing was sent in clear
}

TEST_F(UpstreamClientTest, SlowAnswerIsTimeout) {
  UpstreamClient client(Options());
  fake_->SetLatency(kHold);
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, EchoWithToken(absl::Milliseconds(300)));
  ExpectFailure(answer, absl::StatusCode::kDeadlineExceeded, "UPSTREAM_TIMEOUT");
  EXPECT_THAT(std::string(answer.status().message()), HasSubstr("300ms"));
  EXPECT_FALSE(WasNotSent(answer.status())) << "the request reached the server";
  EXPECT_EQ(client.active_transfers(), 0);
}

TEST_F(UpstreamClientTest, StalledTlsHandshakeIsTimeout) {
  LoopbackPort stalling(LoopbackPort::kStall);
  ASSERT_NE(stalling.port(), 0);
  UpstreamOptions options = Options();
  options.connect_timeout = absl::Milliseconds(300);
  UpstreamClient client(options);
  // Ends after the connect timeout, not the transfer's (longer than the test waits).
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, Get(stalling.Url(), absl::Seconds(60)));
  ExpectFailure(answer, absl::StatusCode::kDeadlineExceeded, "UPSTREAM_TIMEOUT");
  EXPECT_TRUE(WasNotSent(answer.status())) << "no TLS session, no request";
}

// A connect (or TLS handshake) timeout names the connect timeout, not the transfer's.
TEST_F(UpstreamClientTest, ConnectTimeoutMessageNamesTheConnectTimeout) {
  LoopbackPort stalling(LoopbackPort::kStall);
  ASSERT_NE(stalling.port(), 0);
  UpstreamOptions options = Options();
  options.connect_timeout = absl::Milliseconds(300);
  UpstreamClient client(options);
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, Get(stalling.Url(), absl::Minutes(1)));
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(std::string(answer.status().message()), HasSubstr("300ms")) << answer.status();
  EXPECT_THAT(std::string(answer.status().message()), Not(HasSubstr("1m"))) << answer.status();
}

// curl reads a 0 ms timeout as none: less than 1 ms left must still be a limit.
TEST_F(UpstreamClientTest, SubMillisecondTimeoutStillTimesOut) {
  UpstreamClient client(Options());
  fake_->SetLatency(kHold);
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, EchoWithToken(absl::Microseconds(500)));
  // Sent and timed out, or expired before the loop could send it: a deadline either way.
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kDeadlineExceeded) << answer.status();
  EXPECT_THAT(ReasonOf(answer.status()),
              ::testing::AnyOf("UPSTREAM_TIMEOUT", "DEADLINE_BEFORE_UPSTREAM"));
}

TEST_F(UpstreamClientTest, TruncatedAnswerIsTruncated) {
  UpstreamClient client(Options());
  fake_->InjectFailure("/fake/echo", fake::Failure::Truncated());
  ExpectFailure(SendAndWait(client, EchoWithToken()), absl::StatusCode::kUnavailable,
                "UPSTREAM_TRUNCATED");
}

TEST_F(UpstreamClientTest, ClosedWithoutAnswerIsTruncated) {
  UpstreamClient client(Options());
  fake_->InjectFailure("/fake/echo", fake::Failure::CloseWithoutAnswer());
  absl::StatusOr<HttpResponse> answer = SendAndWait(client, EchoWithToken());
  ExpectFailure(answer, absl::StatusCode::kUnavailable, "UPSTREAM_TRUNCATED");
  EXPECT_FALSE(WasNotSent(answer.status())) << "the request reached the server";
}

TEST_F(UpstreamClientTest, AnswerLargerThanTheLimitIsTooLarge) {
  const HttpRequest request = EchoWithToken();
  size_t size = 0;
  {
    UpstreamClient unlimited(Options());
    absl::StatusOr<HttpResponse> answer = SendAndWait(unlimited, request);
    ASSERT_TRUE(answer.ok()) << answer.status();
    size = answer->body.size();
    ASSERT_GT(size, 10u);
  }
  UpstreamOptions options = Options();
  options.max_answer_bytes = size;  // exactly the answer: still fine
  {
    UpstreamClient client(options);
    absl::StatusOr<HttpResponse> answer = SendAndWait(client, request);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->body.size(), size);
  }
  options.max_answer_bytes = size - 1;
  UpstreamClient client(options);
  ExpectFailure(SendAndWait(client, request), absl::StatusCode::kResourceExhausted,
                "UPSTREAM_TOO_LARGE");
  EXPECT_EQ(client.active_transfers(), 0);
}

TEST_F(UpstreamClientTest, CancelRunsDoneOnceWithCancelled) {
  auto outcome = std::make_shared<Outcome>();
  {
    UpstreamClient client(Options());
    fake_->SetLatency(kHold);
    UpstreamClient::TransferId id = client.Send(EchoWithToken(kHold), Outcome::Into(outcome));
    EXPECT_EQ(client.active_transfers(), 1);
    ASSERT_TRUE(Eventually([&] { return fake_->CallCount("/fake/echo") == 1; }));
    client.Cancel(id);
    absl::StatusOr<HttpResponse> answer = outcome->Wait();
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kCancelled) << answer.status();
    EXPECT_EQ(client.active_transfers(), 0);

    client.Cancel(id);  // again: nothing left to cancel
    fake_->SetLatency(absl::ZeroDuration());
    absl::StatusOr<HttpResponse> next = SendAndWait(client, Get(Url("/fake/echo")));
    ASSERT_TRUE(next.ok()) << next.status();  // the client still works
    EXPECT_EQ(next->status, 200);
  }
  EXPECT_EQ(outcome->calls(), 1);  // the client's thread is gone: no late second call
}

TEST_F(UpstreamClientTest, CancelRightAfterSendCancels) {
  auto outcome = std::make_shared<Outcome>();
  {
    UpstreamClient client(Options());
    fake_->SetLatency(kHold);
    client.Cancel(client.Send(EchoWithToken(kHold), Outcome::Into(outcome)));
    absl::StatusOr<HttpResponse> answer = outcome->Wait();
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kCancelled) << answer.status();
    EXPECT_EQ(client.active_transfers(), 0);
  }
  EXPECT_EQ(outcome->calls(), 1);
}

TEST_F(UpstreamClientTest, CancelOfAFinishedTransferIsANoOp) {
  auto first = std::make_shared<Outcome>();
  {
    UpstreamClient client(Options());
    UpstreamClient::TransferId id = client.Send(Get(Url("/fake/echo")), Outcome::Into(first));
    absl::StatusOr<HttpResponse> answer = first->Wait();
    ASSERT_TRUE(answer.ok()) << answer.status();
    client.Cancel(id);
    client.Cancel(id + 1000);  // never issued
    // The loop handles the cancels before this transfer (same queue), which must
    // neither fail nor be cancelled by them.
    absl::StatusOr<HttpResponse> second = SendAndWait(client, Get(Url("/fake/echo")));
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->status, 200);
    EXPECT_EQ(client.active_transfers(), 0);
  }
  EXPECT_EQ(first->calls(), 1);
}

TEST_F(UpstreamClientTest, DestructorCancelsTransfersInFlight) {
  std::vector<std::shared_ptr<Outcome>> outcomes;
  {
    UpstreamClient client(Options());
    fake_->SetLatency(kHold);
    for (int i = 0; i < 3; ++i) {
      outcomes.push_back(std::make_shared<Outcome>());
      client.Send(EchoWithToken(kHold), Outcome::Into(outcomes.back()));
    }
    ASSERT_TRUE(Eventually([&] { return fake_->CallCount("/fake/echo") == 3; }));
    // One more that may not even have started yet.
    outcomes.push_back(std::make_shared<Outcome>());
    client.Send(EchoWithToken(kHold), Outcome::Into(outcomes.back()));
    EXPECT_EQ(client.active_transfers(), 4);
  }
  for (const auto& outcome : outcomes) {
    EXPECT_EQ(outcome->calls(), 1);
    absl::StatusOr<HttpResponse> answer = outcome->Wait();
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kCancelled) << answer.status();
  }
}

TEST_F(UpstreamClientTest, DoneRunsExactlyOncePerSendUnderConcurrency) {
  constexpr int kSends = 100;
  struct Tally {
    absl::Mutex mu;
    int finished ABSL_GUARDED_BY(mu) = 0;
    std::vector<int> calls ABSL_GUARDED_BY(mu) = std::vector<int>(kSends, 0);
    std::vector<std::string> errors ABSL_GUARDED_BY(mu);
  };
  auto tally = std::make_shared<Tally>();
  {
    UpstreamOptions options = Options();
    // 100 TLS handshakes at once on a loaded machine: the 3 s default is not the subject.
    options.connect_timeout = absl::Seconds(20);
    UpstreamClient client(options);
    for (int i = 0; i < kSends; ++i) {
      client.Send(Get(Url(absl::StrCat("/fake/echo?i=", i))),
                  [tally, i](absl::StatusOr<HttpResponse> answer) {
                    std::string error;
                    if (!answer.ok()) {
                      error = answer.status().ToString();
                    } else if (answer->status != 200) {
                      error = absl::StrCat("HTTP ", answer->status);
                    } else if (nlohmann::json::parse(answer->body, nullptr, false)["query"]["i"] !=
                               std::to_string(i)) {
                      error = absl::StrCat("send ", i, " got another's answer: ", answer->body);
                    }
                    absl::MutexLock lock(&tally->mu);
                    ++tally->calls[i];
                    ++tally->finished;
                    if (!error.empty()) tally->errors.push_back(error);
                  });
    }
    absl::MutexLock lock(&tally->mu);
    auto all_done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(tally->mu) {
      return tally->finished >= kSends;
    };
    ASSERT_TRUE(tally->mu.AwaitWithTimeout(absl::Condition(&all_done), kPatience));
  }
  // The client is gone, so no callback can still come.
  absl::MutexLock lock(&tally->mu);
  EXPECT_EQ(tally->finished, kSends);
  for (int i = 0; i < kSends; ++i) EXPECT_EQ(tally->calls[i], 1) << "send " << i;
  EXPECT_THAT(tally->errors, ::testing::IsEmpty());
  EXPECT_EQ(fake_->CallCount("/fake/echo"), kSends);
}

TEST_F(UpstreamClientTest, SequentialSendsReuseOneConnection) {
  UpstreamClient client(Options());
  for (int i = 0; i < 5; ++i) {
    HttpRequest request = Get(Url(absl::StrCat("/fake/echo?i=", i)));
    if (i % 2 == 1) {
      request.method = "POST";
      request.content_type = "application/json";
      request.body = "{}";
    }
    absl::StatusOr<HttpResponse> answer = SendAndWait(client, std::move(request));
    ASSERT_TRUE(answer.ok()) << answer.status();
    ASSERT_EQ(answer->status, 200);
    // Easy handles are reused: a GET after a POST must not inherit its method or body.
    const nlohmann::json echo = nlohmann::json::parse(answer->body);
    EXPECT_EQ(echo["method"], i % 2 == 1 ? "POST" : "GET") << i;
    EXPECT_EQ(echo["query"]["i"], std::to_string(i));
  }
  EXPECT_EQ(fake_->CallCount("/fake/echo"), 5);
  EXPECT_EQ(fake_->ConnectionCount(), 1);
}

// With every connection busy, later calls wait in the client and go out in the order
// they came (libcurl's own queue would not keep it).
TEST_F(UpstreamClientTest, WaitingCallsAreSentFirstComeFirstServed) {
  UpstreamOptions options = Options();
  options.max_connections_per_host = 1;
  UpstreamClient client(options);
  struct Order {
    absl::Mutex mu;
    std::vector<int> answered ABSL_GUARDED_BY(mu);
  };
  auto order = std::make_shared<Order>();
  constexpr int kSends = 20;
  for (int i = 0; i < kSends; ++i) {
    client.Send(Get(Url(absl::StrCat("/fake/echo?i=", i))),
                [order, i](absl::StatusOr<HttpResponse> answer) {
                  absl::MutexLock lock(&order->mu);
                  order->answered.push_back(answer.ok() && answer->status == 200 ? i : -1);
                });
  }
  absl::MutexLock lock(&order->mu);
  auto all = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(order->mu) {
    return order->answered.size() == kSends;
  };
  ASSERT_TRUE(order->mu.AwaitWithTimeout(absl::Condition(&all), kPatience));
  for (int i = 0; i < kSends; ++i) EXPECT_EQ(order->answered[i], i);
  EXPECT_EQ(fake_->ConnectionCount(), 1);
}

// The fake answers so fast that curl often has the whole answer before it returns
// from sending; the connection that frees must go to the next waiting call at once,
// not when the loop next wakes by itself (a second later). With a 3 s timeout each,
// the later calls of a queue that moved one a second would expire unsent.
TEST_F(UpstreamClientTest, AnAnswerReadWhileSendingFreesItsConnectionAtOnce) {
  UpstreamOptions options = Options();
  options.max_connections_per_host = 1;
  UpstreamClient client(options);
  constexpr int kSends = 10;
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < kSends; ++i) {
    outcomes.push_back(std::make_shared<Outcome>());
    client.Send(Get(Url(absl::StrCat("/fake/echo?i=", i)), absl::Seconds(3)),
                Outcome::Into(outcomes.back()));
  }
  for (int i = 0; i < kSends; ++i) {
    absl::StatusOr<HttpResponse> answer = outcomes[i]->Wait();
    ASSERT_TRUE(answer.ok()) << i << ": " << answer.status();
    EXPECT_EQ(answer->status, 200) << i;
  }
}

// Past max_queued waiting calls, Send refuses at once, inside Send, with a RetryInfo;
// nothing of it reaches WeChat.
TEST_F(UpstreamClientTest, CallsPastTheQueueLimitAreRefusedAtOnce) {
  UpstreamOptions options = Options();
  options.max_connections_per_host = 1;
  options.max_queued = 2;
  options.queue_full_retry_delay = absl::Milliseconds(750);
  fake_->SetLatency(kHold);
  std::vector<std::shared_ptr<Outcome>> held;
  {
    UpstreamClient client(options);
    for (int i = 0; i < 3; ++i) {  // one sent, two waiting
      held.push_back(std::make_shared<Outcome>());
      client.Send(EchoWithToken(kHold), Outcome::Into(held.back()));
    }
    auto refused = std::make_shared<Outcome>();
    client.Send(EchoWithToken(kHold), Outcome::Into(refused));
    ASSERT_EQ(refused->calls(), 1);  // `done` ran inside Send
    absl::StatusOr<HttpResponse> answer = refused->Wait();
    ExpectFailure(answer, absl::StatusCode::kResourceExhausted, "UPSTREAM_QUEUE_FULL");
    std::optional<google::rpc::RetryInfo> retry = RetryInfoOf(answer.status());
    ASSERT_TRUE(retry.has_value());
    EXPECT_EQ(retry->retry_delay().nanos(), 750'000'000);
    EXPECT_THAT(std::string(answer.status().message()), HasSubstr("127.0.0.1"));
    EXPECT_EQ(client.active_transfers(), 3);
    ASSERT_TRUE(Eventually([&] { return fake_->CallCount("/fake/echo") == 1; }));
  }
  for (const auto& outcome : held) {
    EXPECT_EQ(outcome->Wait().status().code(), absl::StatusCode::kCancelled);
  }
  EXPECT_EQ(fake_->CallCount("/fake/echo"), 1);  // the waiting ones were never sent
}

// A call whose time runs out while it waits for a connection fails without being sent.
TEST_F(UpstreamClientTest, AWaitingCallPastItsDeadlineFailsUnsent) {
  UpstreamOptions options = Options();
  options.max_connections_per_host = 1;
  fake_->SetLatency(kHold);
  UpstreamClient client(options);
  auto running = std::make_shared<Outcome>();
  const UpstreamClient::TransferId first =
      client.Send(EchoWithToken(kHold), Outcome::Into(running));
  absl::StatusOr<HttpResponse> waited = SendAndWait(client, EchoWithToken(absl::Milliseconds(200)));
  ExpectFailure(waited, absl::StatusCode::kDeadlineExceeded, "DEADLINE_BEFORE_UPSTREAM");
  EXPECT_THAT(std::string(waited.status().message()), HasSubstr("not sent"));
  EXPECT_EQ(client.active_transfers(), 1);
  client.Cancel(first);
  EXPECT_EQ(running->Wait().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(fake_->CallCount("/fake/echo"), 1);
}

// A waiting call can be cancelled; it is never sent and the queue goes on.
TEST_F(UpstreamClientTest, CancelOfAWaitingCallNeverSendsIt) {
  UpstreamOptions options = Options();
  options.max_connections_per_host = 1;
  fake_->SetLatency(kHold);
  UpstreamClient client(options);
  auto running = std::make_shared<Outcome>();
  auto waiting = std::make_shared<Outcome>();
  const UpstreamClient::TransferId first =
      client.Send(EchoWithToken(kHold), Outcome::Into(running));
  ASSERT_TRUE(Eventually([&] { return fake_->CallCount("/fake/echo") == 1; }));
  client.Cancel(client.Send(EchoWithToken(kHold), Outcome::Into(waiting)));
  EXPECT_EQ(waiting->Wait().status().code(), absl::StatusCode::kCancelled);
  client.Cancel(first);
  EXPECT_EQ(running->Wait().status().code(), absl::StatusCode::kCancelled);
  fake_->SetLatency(absl::ZeroDuration());
  absl::StatusOr<HttpResponse> next = SendAndWait(client, Get(Url("/fake/echo")));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(fake_->CallCount("/fake/echo"), 2);  // the first and the last
}

// With a handshake allowed at a time, a burst still gets every answer, over one
// connection per call in flight.
TEST_F(UpstreamClientTest, ConnectLimitRampsThePoolWithoutLosingCalls) {
  UpstreamOptions options = Options();
  options.max_connections_per_host = 8;
  options.max_connecting = 1;
  options.connect_timeout = absl::Seconds(20);
  fake_->SetLatency(absl::Milliseconds(50));
  UpstreamClient client(options);
  constexpr int kSends = 24;
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < kSends; ++i) {
    outcomes.push_back(std::make_shared<Outcome>());
    client.Send(Get(Url(absl::StrCat("/fake/echo?i=", i))), Outcome::Into(outcomes.back()));
  }
  for (int i = 0; i < kSends; ++i) {
    absl::StatusOr<HttpResponse> answer = outcomes[i]->Wait();
    ASSERT_TRUE(answer.ok()) << i << ": " << answer.status();
    EXPECT_EQ(answer->status, 200);
  }
  EXPECT_LE(fake_->ConnectionCount(), 8);
  EXPECT_EQ(client.active_transfers(), 0);
}

}  // namespace
}  // namespace wxgate
