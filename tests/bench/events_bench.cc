// Pushes through the whole event pipeline: WeChat's HTTP POST in (a keep-alive
// client, signed as WeChat signs) -> the gateway's callback listener -> EventHub ->
// EventService -> real gRPC subscribers in this process.
//
//   BM_Push/subscribers:N/safe:S/redis:R  one push at a time, each iteration until
//                                 every subscriber holds it; counters: pushes/s and
//                                 the p50/p99 of push sent -> HTTP answer, in µs
//
// Side by side: 100 subscribers against 1 (the fan-out's cost), safe mode
// (AES + signature both ways) against plain, and the event log on a local
// redis-server (as a replica among several: stored in Redis before the answer,
// read back by the replica's tail) against the memory store.
//
//   BM_FanOut/subscribers:N/max_lag:L/rate:R/batch:B  the fan-out alone: each iteration
//                                 publishes kFanOutBurst events straight into the
//                                 gateway's EventHub, R a second (0: as fast as it
//                                 takes them), and waits until
//                                 every subscriber (a real gRPC Subscribe stream over
//                                 loopback, not asking for raw_xml) has them all or was
//                                 ended; counters: deliveries/s, subscribers ended
//                                 (too slow), publisher µs per event (pacing
//                                 excluded), events per stream message.
//                                 L = 0: the default events.max_lag. B = -1:
//                                 Subscribe, one event per message; else
//                                 SubscribeBatched with max_batch B (0: its default).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "service/events/stream_event.h"
#include "tests/integration/gateway_harness.h"
#include "tests/testing/redis_server.h"
#include "wxgate/v1/event.grpc.pb.h"

namespace wxgate {
namespace {

using testing::GatewayHarness;

// Events received by all subscribers together; the benchmark waits on it without
// spinning (spinning would steal one of the two cores from the pipeline).
struct Tally {
  absl::Mutex mu;
  int64_t received ABSL_GUARDED_BY(mu) = 0;
  int64_t goal ABSL_GUARDED_BY(mu) = 0;

  bool Reached() const ABSL_SHARED_LOCKS_REQUIRED(mu) { return received >= goal; }
  void WaitFor(int64_t count) {
    absl::MutexLock lock(&mu);
    goal = count;
    mu.Await(absl::Condition(this, &Tally::Reached));
  }
};

// Adds each event its stream delivers to the tally.
class CountingSubscriber {
 public:
  CountingSubscriber(const std::shared_ptr<grpc::Channel>& channel, Tally& tally)
      : stub_(v1::EventService::NewStub(channel)),
        reader_(stub_->Subscribe(&context_, v1::SubscribeRequest())) {
    thread_ = std::thread([this, &tally] {
      v1::SubscribeResponse response;
      while (reader_->Read(&response)) {
        absl::MutexLock lock(&tally.mu);
        ++tally.received;
      }
      reader_->Finish();
    });
  }
  ~CountingSubscriber() {
    context_.TryCancel();
    thread_.join();
  }

 private:
  std::unique_ptr<v1::EventService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader_;
  std::thread thread_;
};

std::string TextPush(int64_t msg_id) {
  return absl::StrCat(
      "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[oBench]]>"
      "</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
      "<Content><![CDATA[benchmark message]]></Content><MsgId>",
      msg_id, "</MsgId></xml>");
}

void BM_Push(benchmark::State& state) {
  const int subscriber_count = static_cast<int>(state.range(0));
  const bool safe = state.range(1) != 0;
  std::optional<testing::RedisServer> redis;
  // All subscribers are one (anonymous) caller: lift its cap on live streams.
  testing::HarnessOptions options;
  options.max_subscriptions_per_caller = static_cast<uint32_t>(subscriber_count);
  if (state.range(2) != 0) options.redis_port = redis.emplace().port();
  GatewayHarness harness(options);
  Tally tally;
  std::vector<std::unique_ptr<CountingSubscriber>> subscribers;
  for (int i = 0; i < subscriber_count; ++i) {
    subscribers.push_back(std::make_unique<CountingSubscriber>(harness.channel(), tally));
  }
  testing::WaitFor([&] {
    return harness.gateway().events().subscriber_count() >= static_cast<size_t>(subscriber_count);
  });
  fake::PushSender sender(harness.PushTargetFor(safe ? testing::kAppidB : testing::kAppidA));
  static std::atomic<int64_t> next_msg_id{1};
  std::vector<double> answer_micros;
  int64_t pushed = 0;
  for (auto _ : state) {
    const absl::Time sent = absl::Now();
    absl::StatusOr<fake::PushAnswer> answer = sender.Send(TextPush(next_msg_id.fetch_add(1)));
    answer_micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - sent));
    if (!answer.ok() || answer->http_status != 200) {
      state.SkipWithError("push refused");
      break;
    }
    ++pushed;
    tally.WaitFor(pushed * subscriber_count);
  }
  std::sort(answer_micros.begin(), answer_micros.end());
  if (!answer_micros.empty()) {
    state.counters["answer_p50_us"] = answer_micros[answer_micros.size() / 2];
    state.counters["answer_p99_us"] = answer_micros[answer_micros.size() * 99 / 100];
  }
  state.counters["pushes_per_s"] =
      benchmark::Counter(static_cast<double>(pushed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Push)
    ->ArgNames({"subscribers", "safe", "redis"})
    ->Args({1, 0, 0})
    ->Args({1, 0, 1})
    ->Args({100, 0, 0})
    ->Args({100, 0, 1})
    ->Args({1, 1, 0})
    ->Args({100, 1, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

constexpr int64_t kFanOutBurst = 2000;

// What the fan-out's subscribers report to the benchmark.
struct FanOutDone {
  absl::Mutex mu;
  int reached ABSL_GUARDED_BY(mu) = 0;  // subscribers that held a round's events
  int ended ABSL_GUARDED_BY(mu) = 0;    // streams the gateway ended
  std::atomic<int64_t> delivered{0};    // events read, by every subscriber
  std::atomic<int64_t> messages{0};     // stream messages they came in
};

// One round: complete when each subscriber either reached its goal since
// `reached_before` was read or was ended (now or in an earlier round).
struct FanOutRound {
  FanOutDone* done;
  int reached_before;
  int subscribers;
  bool Complete() const ABSL_NO_THREAD_SAFETY_ANALYSIS {  // under done->mu
    return done->reached - reached_before + done->ended >= subscribers;
  }
};

int EventsIn(const v1::SubscribeResponse&) { return 1; }
int EventsIn(const v1::SubscribeBatchedResponse& batch) { return batch.events_size(); }

// Counts what its stream delivers; reports to `done` once it holds the events of
// the round or its stream ended. No lock per event: the benchmark waits on `done`.
// gRPC's callback API, not a thread per stream: a hundred reading threads would
// take the shared cores from the gateway being measured. Response says which RPC:
// Subscribe (SubscribeResponse) or SubscribeBatched (SubscribeBatchedResponse).
template <typename Response>
class FanOutSubscriber : public grpc::ClientReadReactor<Response> {
 public:
  // max_batch is SubscribeBatched's; Subscribe has none.
  FanOutSubscriber(const std::shared_ptr<grpc::Channel>& channel, FanOutDone& done,
                   uint32_t max_batch)
      : stub_(v1::EventService::NewStub(channel)), done_(done) {
    if constexpr (std::is_same_v<Response, v1::SubscribeResponse>) {
      stub_->async()->Subscribe(&context_, &request_.subscription(), this);
    } else {
      request_.set_max_batch(max_batch);
      stub_->async()->SubscribeBatched(&context_, &request_, this);
    }
    this->StartRead(&response_);
    this->StartCall();
  }
  ~FanOutSubscriber() override {
    cancelled_ = true;
    context_.TryCancel();
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&finished_));
  }
  // The count at which it reports next; set before the round's events are published.
  void ExpectTotal(int64_t total) { goal_ = total; }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    const int events = EventsIn(response_);
    done_.delivered.fetch_add(events, std::memory_order_relaxed);
    done_.messages.fetch_add(1, std::memory_order_relaxed);
    const int64_t before = received_;
    received_ += events;
    const int64_t goal = goal_.load();
    if (before < goal && received_ >= goal) {
      absl::MutexLock lock(&done_.mu);
      ++done_.reached;
    }
    this->StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    if (!cancelled_.load()) {
      absl::MutexLock lock(&done_.mu);
      ++done_.ended;
    }
    absl::MutexLock lock(&mu_);
    finished_ = true;
  }

 private:
  std::unique_ptr<v1::EventService::Stub> stub_;
  FanOutDone& done_;
  grpc::ClientContext context_;
  v1::SubscribeBatchedRequest request_;  // Subscribe sends its `subscription`
  Response response_;
  int64_t received_ = 0;  // on gRPC's callback threads, one read at a time
  std::atomic<int64_t> goal_{0};
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// A subscriber of either RPC, as the benchmark drives it.
class FanOutClient {
 public:
  virtual ~FanOutClient() = default;
  virtual void ExpectTotal(int64_t total) = 0;
};

template <typename Response>
class FanOutClientOf : public FanOutClient {
 public:
  FanOutClientOf(const std::shared_ptr<grpc::Channel>& channel, FanOutDone& done,
                 uint32_t max_batch)
      : subscriber_(channel, done, max_batch) {}
  void ExpectTotal(int64_t total) override { subscriber_.ExpectTotal(total); }

 private:
  FanOutSubscriber<Response> subscriber_;
};

StreamEvent FanOutEvent(int64_t n) {
  wechat::mp::v1::Event event;
  event.set_appid(testing::kAppidA);
  event.set_id(absl::StrCat("bench-", n));
  event.set_from_user_name("oBenchUser0123456789abcdefgh");
  event.set_raw_xml(TextPush(n));  // sent to nobody here: no one asks for it
  event.mutable_text()->set_content("benchmark message");
  event.mutable_text()->set_msg_id(n);
  return StreamEventOf(std::move(event));
}

void BM_FanOut(benchmark::State& state) {
  const int subscriber_count = static_cast<int>(state.range(0));
  testing::HarnessOptions options;
  options.max_subscriptions_per_caller = static_cast<uint32_t>(subscriber_count);
  options.max_lag = static_cast<uint32_t>(state.range(1));
  const int64_t rate = state.range(2);   // events/s; 0: as fast as the hub takes them
  const int64_t batch = state.range(3);  // SubscribeBatched's max_batch; -1: Subscribe
  GatewayHarness harness(options);
  FanOutDone done;
  std::vector<std::unique_ptr<FanOutClient>> subscribers;
  for (int i = 0; i < subscriber_count; ++i) {
    // A connection each, as separate clients have.
    auto channel = harness.ChannelWith(grpc::InsecureChannelCredentials());
    if (batch < 0) {
      subscribers.push_back(
          std::make_unique<FanOutClientOf<v1::SubscribeResponse>>(channel, done, 0));
    } else {
      subscribers.push_back(std::make_unique<FanOutClientOf<v1::SubscribeBatchedResponse>>(
          channel, done, static_cast<uint32_t>(batch)));
    }
  }
  testing::WaitFor([&] {
    return harness.gateway().events().subscriber_count() >= static_cast<size_t>(subscriber_count);
  });
  EventHub& hub = harness.gateway().events();
  int64_t published = 0;
  absl::Duration publishing;
  for (auto _ : state) {
    for (auto& subscriber : subscribers) subscriber->ExpectTotal(published + kFanOutBurst);
    int reached_before;
    {
      absl::MutexLock lock(&done.mu);
      reached_before = done.reached;
    }
    const absl::Time start = absl::Now();
    absl::Duration paced;
    for (int64_t i = 0; i < kFanOutBurst; ++i) {
      if (rate > 0) {  // on schedule: sleep while ahead of it, then publish
        const absl::Time due = start + absl::Seconds(1) * i / rate;
        const absl::Time before = absl::Now();
        if (before < due) {
          absl::SleepFor(due - before);
          paced += absl::Now() - before;
        }
      }
      hub.Publish(FanOutEvent(published + i));
    }
    publishing += absl::Now() - start - paced;
    published += kFanOutBurst;
    // Each live subscriber reports once a round; an ended one stays counted in `ended`.
    absl::MutexLock lock(&done.mu);
    const FanOutRound round{&done, reached_before, subscriber_count};
    done.mu.Await(absl::Condition(&round, &FanOutRound::Complete));
  }
  absl::MutexLock lock(&done.mu);
  state.counters["deliveries_per_s"] =
      benchmark::Counter(static_cast<double>(done.delivered.load()), benchmark::Counter::kIsRate);
  state.counters["ended"] = done.ended;
  state.counters["events_per_message"] =
      done.messages.load() > 0
          ? static_cast<double>(done.delivered.load()) / static_cast<double>(done.messages.load())
          : 0;
  state.counters["publish_us_per_event"] =
      published > 0 ? absl::ToDoubleMicroseconds(publishing) / static_cast<double>(published) : 0;
}
BENCHMARK(BM_FanOut)
    ->ArgNames({"subscribers", "max_lag", "rate", "batch"})
    ->Args({100, 0, 0, -1})
    ->Args({100, 1000000, 0, -1})
    ->Args({1, 0, 15000, -1})
    ->Args({100, 0, 5000, -1})
    ->Args({100, 0, 0, 0})
    ->Args({100, 0, 0, 16})
    ->Args({100, 0, 0, 1000})
    ->Args({100, 0, 5000, 0})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wxgate

BENCHMARK_MAIN();
