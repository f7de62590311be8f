// Load on a running wxgate over plaintext gRPC: GetUserInfo (token + HTTPS upstream)
// and grpc.health.v1.Health/Check (no upstream), one at a time or closed-loop.
//
//   GatewayLoad load(stack.gateway_target(), /*channels=*/4);
//   LoadResult health = load.SerialHealth(2000);
//   LoadResult users = load.ClosedLoopUserInfo(16, std::chrono::seconds(5), deadline);
//
// A GetUserInfo answer counts as correct when it names the fake's openid.
#ifndef WXGATE_TESTS_BENCH_GATEWAY_LOAD_H_
#define WXGATE_TESTS_BENCH_GATEWAY_LOAD_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/bench/load_result.h"

namespace wxgate::bench {

class GatewayLoad {
 public:
  // `channels` separate HTTP/2 connections; closed-loop calls are spread over them.
  GatewayLoad(const std::string& target, int channels);

  // Waits until the gateway answers its health check.
  bool AwaitServing(std::chrono::seconds timeout);
  LoadResult SerialHealth(int calls);
  LoadResult SerialUserInfo(int calls);
  // `concurrency` calls always in flight (each completion starts the next) for
  // `duration`; then waits for the last ones. Each call has `deadline`.
  LoadResult ClosedLoopUserInfo(int concurrency, std::chrono::milliseconds duration,
                                std::chrono::milliseconds deadline);

 private:
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace wxgate::bench

#endif  // WXGATE_TESTS_BENCH_GATEWAY_LOAD_H_
