// The baseline of the unary benchmark: the same WeChat call the gateway makes, sent
// straight to the fake over HTTPS with libcurl and kept-alive connections.
//
//   DirectHttps direct(stack.fake_url(), stack.ca_file());
//   LoadResult serial = direct.Serial(2000);                     // one at a time
//   LoadResult c16 = direct.Concurrent(16, std::chrono::seconds(5));
//
// An answer counts as correct when it is HTTP 200 and names the fake's openid.
#ifndef WXGATE_TESTS_BENCH_DIRECT_HTTPS_H_
#define WXGATE_TESTS_BENCH_DIRECT_HTTPS_H_

#include <chrono>
#include <string>

#include "tests/bench/load_result.h"

namespace wxgate::bench {

class DirectHttps {
 public:
  // Fetches a stable_token from the fake (the one the gateway is also given).
  DirectHttps(std::string base_url, std::string ca_file);

  LoadResult Serial(int calls);
  // `concurrency` transfers always in flight on as many connections, for `duration`.
  LoadResult Concurrent(int concurrency, std::chrono::milliseconds duration);

 private:
  std::string user_info_url_;
  std::string ca_file_;
};

}  // namespace wxgate::bench

#endif  // WXGATE_TESTS_BENCH_DIRECT_HTTPS_H_
