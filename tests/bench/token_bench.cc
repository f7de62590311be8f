// What a cached token costs a call, and whether a refresh in flight slows callers.
//
//   BM_CachedToken/threads:N               Get() with a valid cached token
//   BM_CachedTokenDuringRefresh/threads:N  the same while a refresh waits on WeChat
//
// Run side by side in one process: the second should match the first (callers never
// wait for a refresh while a valid token exists). The fake WeChat runs in-process
// over real HTTPS.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>

#include "absl/synchronization/notification.h"
#include "service/token/memory_token_store.h"
#include "service/token/token_manager.h"
#include "service/upstream/upstream_client.h"
#include "tests/fake_wechat/fake_wechat.h"

namespace wxgate {
namespace {

const std::string kCertDir = FAKE_WECHAT_CERT_DIR;

// One fake WeChat, client and manager per benchmark, primed with a token.
class Fixture {
 public:
  explicit Fixture(bool refresh_in_flight) {
    fake_ = std::make_unique<fake::FakeWeChat>(fake::FakeWeChatOptions{
        .cert_file = kCertDir + "/server.pem", .key_file = kCertDir + "/server.key"});
    fake_->AddAccount(account_.appid, account_.secret);
    if (absl::Status started = fake_->Start(); !started.ok()) {
      std::fprintf(stderr, "fake WeChat: %s\n", started.ToString().c_str());
      std::abort();
    }
    upstream_ = std::make_unique<UpstreamClient>(UpstreamOptions{.ca_file = kCertDir + "/ca.pem"});
    fetcher_ =
        std::make_unique<TokenFetcher>(upstream_.get(), fake_->base_url(), absl::Seconds(60));
    manager_ = std::make_unique<TokenManager>(
        fetcher_.get(), &store_, TokenManagerOptions{.now = [this] { return now_.load(); }});
    absl::Notification primed;
    manager_->Get(account_, TokenKind::kAccessToken,
                  [&](absl::StatusOr<std::string>) { primed.Notify(); });
    primed.WaitForNotification();
    if (refresh_in_flight) {
      now_ = now_.load() + absl::Minutes(110);  // past 80% ± 5% of 7200 s, before expiry
      fake_->SetLatency(absl::Hours(1));        // the refresh stays in flight
      if (manager_->RefreshDue() != 1) std::abort();
    }
  }
  ~Fixture() {
    manager_.reset();
    upstream_.reset();
    fake_->Stop();
  }
  TokenManager& manager() { return *manager_; }
  const Account& account() const { return account_; }

 private:
  Account account_{.appid = "wx1111111111111111", .secret = "bench-secret"};
  std::atomic<absl::Time> now_{absl::Now()};
  std::unique_ptr<fake::FakeWeChat> fake_;
  std::unique_ptr<UpstreamClient> upstream_;
  std::unique_ptr<TokenFetcher> fetcher_;
  MemoryTokenStore store_;
  std::unique_ptr<TokenManager> manager_;
};

void RunGets(benchmark::State& state, bool refresh_in_flight) {
  static Fixture* fixture = nullptr;
  if (state.thread_index() == 0) fixture = new Fixture(refresh_in_flight);
  // benchmark synchronizes threads before and after the timed loop.
  for (auto _ : state) {
    bool got = false;
    fixture->manager().Get(fixture->account(), TokenKind::kAccessToken,
                           [&](absl::StatusOr<std::string> token) { got = token.ok(); });
    if (!got) state.SkipWithError("no cached token");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete fixture;
    fixture = nullptr;
  }
}

void BM_CachedToken(benchmark::State& state) { RunGets(state, false); }
void BM_CachedTokenDuringRefresh(benchmark::State& state) { RunGets(state, true); }

BENCHMARK(BM_CachedToken)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_CachedTokenDuringRefresh)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace wxgate

BENCHMARK_MAIN();
