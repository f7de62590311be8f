// Every way the upstream can fail maps to a clear status, and the gateway keeps serving.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "absl/synchronization/notification.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/basic.grpc.pb.h"

namespace wxgate::testing {
namespace {

using wechat::mp::v1::BasicService;
using wechat::mp::v1::GetCallbackIpRequest;
using wechat::mp::v1::GetCallbackIpResponse;

constexpr char kPath[] = "/cgi-bin/getcallbackip";

grpc::Status CallOnce(GatewayHarness& h) {
  GetCallbackIpResponse response;
  return BasicService::NewStub(h.channel())
      ->GetCallbackIp(ContextFor("").get(), GetCallbackIpRequest(), &response);
}

// A loopback port with nothing listening: bound, then closed.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

void ExpectFailure(const grpc::Status& status, grpc::StatusCode code, const std::string& reason) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_EQ(ErrorInfoFrom(status).reason(), reason) << status.error_message();
  EXPECT_EQ(ErrorInfoFrom(status).domain(), "wxgate");
}

TEST(UpstreamFailuresTest, ConnectionRefused) {
  GatewayHarness h({.base_url_override = "https://127.0.0.1:" + std::to_string(ClosedPort())});
  grpc::Status status = CallOnce(h);
  ExpectFailure(status, grpc::StatusCode::UNAVAILABLE, "UPSTREAM_UNREACHABLE");
  EXPECT_NE(status.error_message().find("upstream.base_url"), std::string::npos);
}

TEST(UpstreamFailuresTest, UntrustedCertificateFailsTls) {
  GatewayHarness h({.untrusted_fake = true});
  grpc::Status status = CallOnce(h);
  ExpectFailure(status, grpc::StatusCode::UNAVAILABLE, "UPSTREAM_TLS");
  EXPECT_NE(status.error_message().find("upstream.ca_file"), std::string::npos);
  EXPECT_EQ(h.fake().CallCount("/cgi-bin/stable_token"), 0) << "no request crossed the failed TLS";
}

TEST(UpstreamFailuresTest, SlowUpstreamTimesOut) {
  GatewayHarness h({.upstream_timeout = absl::Milliseconds(300)});
  ASSERT_TRUE(CallOnce(h).ok());  // token cached
  h.fake().SetLatency(absl::Seconds(20));
  ExpectFailure(CallOnce(h), grpc::StatusCode::DEADLINE_EXCEEDED, "UPSTREAM_TIMEOUT");
}

// With every connection busy and the queue full, a call is refused at once with
// RESOURCE_EXHAUSTED UPSTREAM_QUEUE_FULL and a RetryInfo; it never reaches WeChat.
TEST(UpstreamFailuresTest, FullUpstreamQueueRefusesAtOnceWithRetryInfo) {
  GatewayHarness h({.max_connections = 1, .max_queued_calls = 1});
  ASSERT_TRUE(CallOnce(h).ok());  // token cached
  h.fake().SetLatency(absl::Seconds(60));
  struct Held {
    std::unique_ptr<grpc::ClientContext> context = ContextFor("");
    GetCallbackIpRequest request;
    GetCallbackIpResponse response;
    absl::Notification done;
  };
  auto stub = BasicService::NewStub(h.channel());
  std::vector<std::unique_ptr<Held>> held;
  for (int i = 0; i < 2; ++i) {  // one sent, one waiting
    held.push_back(std::make_unique<Held>());
    Held& call = *held.back();
    stub->async()->GetCallbackIp(call.context.get(), &call.request, &call.response,
                                 [&call](grpc::Status) { call.done.Notify(); });
  }
  ASSERT_TRUE(WaitFor([&] {
    return h.gateway().upstream().active_transfers() == 2 && h.fake().CallCount(kPath) == 2;
  }));

  grpc::Status refused = CallOnce(h);
  ExpectFailure(refused, grpc::StatusCode::RESOURCE_EXHAUSTED, "UPSTREAM_QUEUE_FULL");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(refused.error_details()));
  bool has_retry_info = false;
  for (const auto& detail : details.details()) {
    google::rpc::RetryInfo retry;
    if (detail.UnpackTo(&retry)) has_retry_info = retry.retry_delay().seconds() > 0;
  }
  EXPECT_TRUE(has_retry_info) << details.DebugString();

  // The waiting call first: cancelling the sent one first would let it go out.
  for (int i : {1, 0}) {
    held[i]->context->TryCancel();
    held[i]->done.WaitForNotification();
  }
  EXPECT_EQ(h.fake().CallCount(kPath), 2);  // the first call and the one sent
}

class InjectedFailureTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(CallOnce(h_).ok()); }
  GatewayHarness h_;
};

TEST_F(InjectedFailureTest, Non200) {
  h_.fake().InjectFailure(kPath, fake::Failure::HttpStatus(502));
  grpc::Status status = CallOnce(h_);
  ExpectFailure(status, grpc::StatusCode::UNAVAILABLE, "UPSTREAM_HTTP_STATUS");
  EXPECT_EQ(ErrorInfoFrom(status).metadata().at("http_status"), "502");
  EXPECT_TRUE(CallOnce(h_).ok()) << "the next call goes through";
}

TEST_F(InjectedFailureTest, NotJson) {
  h_.fake().InjectFailure(kPath, fake::Failure::NotJson());
  ExpectFailure(CallOnce(h_), grpc::StatusCode::INTERNAL, "UPSTREAM_NOT_JSON");
}

TEST_F(InjectedFailureTest, Truncated) {
  h_.fake().InjectFailure(kPath, fake::Failure::Truncated());
  ExpectFailure(CallOnce(h_), grpc::StatusCode::UNAVAILABLE, "UPSTREAM_TRUNCATED");
}

TEST_F(InjectedFailureTest, ClosedWithoutAnswer) {
  // libcurl resends once when a reused keep-alive connection closes before any
  // answer (the server may have timed it out); a second close is an error.
  h_.fake().InjectFailure(kPath, fake::Failure::CloseWithoutAnswer(), 2);
  ExpectFailure(CallOnce(h_), grpc::StatusCode::UNAVAILABLE, "UPSTREAM_TRUNCATED");
  EXPECT_EQ(h_.fake().CallCount(kPath), 3);
}

}  // namespace
}  // namespace wxgate::testing
