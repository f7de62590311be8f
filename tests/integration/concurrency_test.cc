// No gRPC thread waits on the network: many slow upstream calls run at once, the
// caller's deadline bounds the upstream transfer, and a cancel aborts it.
#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "tests/integration/gateway_harness.h"
#include "wechat/mp/v1/user.grpc.pb.h"

namespace wxgate::testing {
namespace {

using namespace wechat::mp::v1;  // NOLINT

constexpr char kPath[] = "/cgi-bin/user/info";

GetUserInfoRequest UserRequest() {
  GetUserInfoRequest request;
  request.set_openid("o6_bmjrPTlm6_2sgVt7hMZOPfL2M");
  return request;
}

// Starts `n` calls at once and waits for all; returns how many succeeded.
int ConcurrentCalls(UserService::Stub& stub, int n) {
  absl::Mutex mu;
  int done = 0, ok = 0;
  auto all_done = [&done, n] { return done == n; };
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<GetUserInfoResponse> responses(n);
  const GetUserInfoRequest request = UserRequest();
  for (int i = 0; i < n; ++i) {
    contexts.push_back(ContextFor(""));
    stub.async()->GetUserInfo(contexts.back().get(), &request, &responses[i],
                              [&](grpc::Status status) {
                                absl::MutexLock lock(&mu);
                                ++done;
                                if (status.ok()) ++ok;
                              });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(&all_done));
  return ok;
}

TEST(ConcurrencyTest, TwoHundredSlowCallsOverlap) {
  GatewayHarness h;
  auto stub = UserService::NewStub(h.channel());
  ASSERT_EQ(ConcurrentCalls(*stub, 1), 1);  // warm: token fetched
  h.fake().SetLatency(absl::Milliseconds(500));
  const absl::Time start = absl::Now();
  ASSERT_EQ(ConcurrentCalls(*stub, 200), 200);
  const absl::Duration elapsed = absl::Now() - start;
  // One after another they would take 100 s; the bound leaves room for a loaded machine.
  EXPECT_LT(elapsed, absl::Seconds(20)) << "200 calls of 500 ms each must overlap";
  EXPECT_EQ(h.fake().CallCount(kPath), 201);

  // A second wave reuses the connections of the first.
  const int64_t connections = h.fake().ConnectionCount();
  ASSERT_EQ(ConcurrentCalls(*stub, 200), 200);
  EXPECT_EQ(h.fake().ConnectionCount(), connections);
}

TEST(ConcurrencyTest, CallersDeadlineBoundsTheUpstreamTransfer) {
  GatewayHarness h;
  auto stub = UserService::NewStub(h.channel());
  ASSERT_EQ(ConcurrentCalls(*stub, 1), 1);
  h.fake().SetLatency(absl::Seconds(60));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  GetUserInfoResponse response;
  grpc::Status status = stub->GetUserInfo(&context, UserRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  // The upstream transfer ends too, long before the fake would answer.
  EXPECT_TRUE(WaitFor([&] { return h.gateway().upstream().active_transfers() == 0; }));
}

TEST(ConcurrencyTest, CallersCancelAbortsTheUpstreamTransfer) {
  GatewayHarness h;
  auto stub = UserService::NewStub(h.channel());
  ASSERT_EQ(ConcurrentCalls(*stub, 1), 1);
  h.fake().SetLatency(absl::Seconds(60));
  grpc::ClientContext context;
  GetUserInfoResponse response;
  absl::Mutex mu;
  std::optional<grpc::Status> outcome;
  const GetUserInfoRequest request = UserRequest();
  stub->async()->GetUserInfo(&context, &request, &response, [&](grpc::Status status) {
    absl::MutexLock lock(&mu);
    outcome = status;
  });
  ASSERT_TRUE(WaitFor([&] { return h.fake().CallCount(kPath) == 2; }))
      << "request reached upstream";
  EXPECT_EQ(h.gateway().upstream().active_transfers(), 1);
  context.TryCancel();
  EXPECT_TRUE(WaitFor([&] { return h.gateway().upstream().active_transfers() == 0; }));
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](std::optional<grpc::Status>* o) { return o->has_value(); }, &outcome));
  EXPECT_EQ(outcome->error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace wxgate::testing
