// Upstream failover across WeChat's domains, end to end: the gateway configured with
// two fake WeChats (sharing tokens, as WeChat's domains do) as upstream.base_url and
// upstream.fallback_base_urls. Reads survive the primary's death mid-load, writes
// are never received twice, a write moves only when it was never sent, and calls
// return to the primary once a probe finds it healthy.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/tag.grpc.pb.h"
#include "wechat/mp/v1/user.grpc.pb.h"

namespace wxgate::testing {
namespace {

using wechat::mp::v1::CreateTagRequest;
using wechat::mp::v1::CreateTagResponse;
using wechat::mp::v1::GetUserInfoRequest;
using wechat::mp::v1::GetUserInfoResponse;
using wechat::mp::v1::TagService;
using wechat::mp::v1::UserService;

constexpr char kReadPath[] = "/cgi-bin/user/info";
constexpr char kWritePath[] = "/cgi-bin/tags/create";

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = ContextFor(kAppidA);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

grpc::Status Read(GatewayHarness& h) {
  GetUserInfoRequest request;
  request.set_openid("o1");
  GetUserInfoResponse response;
  return UserService::NewStub(h.channel())->GetUserInfo(Context().get(), request, &response);
}

// Creates a tag named `name`: a write whose body names it, so that the fakes can
// tell whether one arrived twice.
grpc::Status Write(GatewayHarness& h, const std::string& name) {
  CreateTagRequest request;
  request.mutable_tag()->set_name(name);
  CreateTagResponse response;
  return TagService::NewStub(h.channel())->CreateTag(Context().get(), request, &response);
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

TEST(FailoverTest, KillingThePrimaryMidLoadFailsNoReadAndRepeatsNoWrite) {
  GatewayHarness h({.fallback_fake = true, .probe_interval = absl::Hours(1)});
  for (fake::FakeWeChat* fake : {&h.fake(), &h.fallback()}) fake->CountBodiesOf(kWritePath);
  ASSERT_TRUE(Read(h).ok());  // the token is cached

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, writes{0}, writes_after_kill{0};
  std::atomic<bool> killed{false};
  std::mutex mu;
  std::vector<std::string> read_failures;  // guarded by mu
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        grpc::Status read = Read(h);
        if (read.ok()) {
          ++reads;
        } else {
          std::lock_guard lock(mu);
          read_failures.push_back(absl::StrCat(read.error_code(), " ", read.error_message()));
        }
        const bool after_kill = killed.load();
        // A write may fail when the primary dies with it in flight; it is never repeated.
        if (Write(h, absl::StrCat("tag-", t, "-", i)).ok()) {
          ++writes;
          if (after_kill) ++writes_after_kill;
        }
      }
    });
  }
  EXPECT_TRUE(WaitFor([&] { return reads.load() >= 100; }));
  h.fake().Stop();  // the primary dies with calls in flight
  killed = true;
  const int reads_at_kill = reads.load();
  EXPECT_TRUE(WaitFor([&] { return reads.load() >= reads_at_kill + 200; }));
  EXPECT_TRUE(WaitFor([&] { return writes_after_kill.load() >= 20; }));
  stop = true;
  for (std::thread& thread : load) thread.join();

  EXPECT_TRUE(read_failures.empty())
      << read_failures.size() << " reads failed, first: " << read_failures.front();
  EXPECT_EQ(h.gateway().upstream_domains().current(), h.fallback().base_url());
  EXPECT_GT(h.fallback().CallCount(kReadPath), 0);
  // No tag name reached the fakes twice, on one domain or across both.
  std::map<std::string, int64_t> received = h.fake().BodyCounts(kWritePath);
  for (const auto& [body, count] : h.fallback().BodyCounts(kWritePath)) received[body] += count;
  ASSERT_FALSE(received.empty());
  for (const auto& [body, count] : received) EXPECT_EQ(count, 1) << body;
  EXPECT_GE(static_cast<int64_t>(received.size()), writes.load());
}

TEST(FailoverTest, AWriteMovesOnlyWhenItWasNeverSent) {
  GatewayHarness h({.base_url_override = absl::StrCat("https://127.0.0.1:", ClosedPort()),
                    .fallback_fake = true,
                    .probe_interval = absl::Hours(1)});
  // Refused by the primary before a byte was sent: the write goes to the fallback.
  grpc::Status written = Write(h, "moved");
  ASSERT_TRUE(written.ok()) << written.error_message();
  EXPECT_EQ(h.fallback().CallCount(kWritePath), 1);
}

TEST(FailoverTest, A5xxFailsAWriteButMovesAReadThenAProbeBringsCallsBack) {
  GatewayHarness h({.fallback_fake = true, .probe_interval = absl::Milliseconds(200)});
  ASSERT_TRUE(Read(h).ok());  // the token is cached

  // A write answered 503 may have been processed: it fails, and is not repeated.
  h.fake().InjectFailure(kWritePath, fake::Failure::HttpStatus(503));
  grpc::Status write = Write(h, "once");
  EXPECT_EQ(write.error_code(), grpc::StatusCode::UNAVAILABLE) << write.error_message();
  EXPECT_EQ(h.fake().CallCount(kWritePath), 1);
  EXPECT_EQ(h.fallback().CallCount(kWritePath), 0);
  // That 503 moved later calls to the fallback.
  EXPECT_EQ(h.gateway().upstream_domains().current(), h.fallback().base_url());

  // The primary recovers; a read after the probe interval finds it, and calls return.
  EXPECT_TRUE(WaitFor([&] {
    EXPECT_TRUE(Read(h).ok());
    return h.gateway().upstream_domains().current() == h.fake().base_url();
  }));
  h.fake().ResetCounters();
  h.fallback().ResetCounters();
  ASSERT_TRUE(Write(h, "back").ok());
  EXPECT_EQ(h.fake().CallCount(kWritePath), 1);
  EXPECT_EQ(h.fallback().CallCount(kWritePath), 0);

  // A read answered 503 goes again to the fallback, and the caller never sees it.
  h.fake().InjectFailure(kReadPath, fake::Failure::HttpStatus(503));
  grpc::Status read = Read(h);
  EXPECT_TRUE(read.ok()) << read.error_message();
  EXPECT_EQ(h.fake().CallCount(kReadPath), 1);
  EXPECT_EQ(h.fallback().CallCount(kReadPath), 1);
}

}  // namespace
}  // namespace wxgate::testing
