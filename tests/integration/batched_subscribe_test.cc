// EventService.SubscribeBatched against a real gateway: events published into its
// hub reach real gRPC streams several to a message, each once, in order, with their
// cursors, filters and groups as Subscribe honours them; Subscribe beside it is
// unchanged (one event per message).
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/integration/gateway_harness.h"
#include "wxgate/v1/event.grpc.pb.h"

namespace wxgate::testing {
namespace {

using wechat::mp::v1::Event;
using wxgate::v1::EventService;
using wxgate::v1::SubscribeBatchedRequest;
using wxgate::v1::SubscribeBatchedResponse;
using wxgate::v1::SubscribeRequest;
using wxgate::v1::SubscribeResponse;

// A stream of either RPC read on its own thread: what each message held.
template <typename Response>
class Stream {
 public:
  template <typename Open>
  explicit Stream(const std::shared_ptr<grpc::Channel>& channel, Open open)
      : stub_(EventService::NewStub(channel)) {
    reader_ = open(*stub_, context_);
    thread_ = std::thread([this] {
      Response response;
      while (reader_->Read(&response)) {
        absl::MutexLock lock(&mu_);
        messages_.push_back(response);
      }
      grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
    });
  }
  ~Stream() {
    context_.TryCancel();
    thread_.join();
  }

  std::vector<Response> messages() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  std::optional<grpc::Status> status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  std::unique_ptr<EventService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<Response>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Response> messages_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> status_ ABSL_GUARDED_BY(mu_);
};

class Batched : public Stream<SubscribeBatchedResponse> {
 public:
  Batched(const std::shared_ptr<grpc::Channel>& channel, SubscribeBatchedRequest request)
      : Stream(channel, [&](EventService::Stub& stub, grpc::ClientContext& context) {
          return stub.SubscribeBatched(&context, request);
        }) {}

  // Every event received, in order.
  std::vector<Event> events() {
    std::vector<Event> events;
    for (const SubscribeBatchedResponse& batch : messages()) {
      for (const SubscribeResponse& response : batch.events()) events.push_back(response.event());
    }
    return events;
  }
  bool WaitForEvents(size_t count) {
    return WaitFor([&] { return events().size() >= count; });
  }
  std::vector<int> batch_sizes() {
    std::vector<int> sizes;
    for (const SubscribeBatchedResponse& batch : messages()) sizes.push_back(batch.events_size());
    return sizes;
  }
};

class Single : public Stream<SubscribeResponse> {
 public:
  Single(const std::shared_ptr<grpc::Channel>& channel, SubscribeRequest request)
      : Stream(channel, [&](EventService::Stub& stub, grpc::ClientContext& context) {
          return stub.Subscribe(&context, request);
        }) {}
  bool WaitForMessages(size_t count) {
    return WaitFor([&] { return messages().size() >= count; });
  }
};

SubscribeBatchedRequest BatchesOf(uint32_t max_batch, SubscribeRequest subscription = {}) {
  SubscribeBatchedRequest request;
  *request.mutable_subscription() = std::move(subscription);
  request.set_max_batch(max_batch);
  return request;
}

SubscribeRequest Replay() {
  SubscribeRequest request;
  request.set_after_cursor(0);
  return request;
}

class BatchedSubscribeTest : public ::testing::Test {
 protected:
  // Publishes `count` events straight into the gateway's hub: texts, or images when
  // `image` says so for an index; returns their cursors.
  std::vector<uint64_t> Publish(int count, const std::function<bool(int)>& image = nullptr) {
    std::vector<uint64_t> cursors;
    for (int i = 0; i < count; ++i) {
      Event event;
      event.set_appid(kAppidA);
      event.set_id(absl::StrCat("batch-", next_id_++));
      if (image && image(i)) {
        event.set_msg_type("image");
        event.mutable_image()->set_pic_url("https://example.com/p.png");
      } else {
        event.set_msg_type("text");
        event.mutable_text()->set_content(absl::StrCat("text ", i));
      }
      cursors.push_back(
          CursorOf(*harness_.gateway().events().Publish(StreamEventOf(std::move(event))).event));
    }
    return cursors;
  }
  void WaitForSubscribers(size_t count) {
    ASSERT_TRUE(WaitFor([&] { return harness_.gateway().events().subscriber_count() >= count; }));
  }

  static std::vector<uint64_t> CursorsOf(const std::vector<Event>& events) {
    std::vector<uint64_t> cursors;
    for (const Event& event : events) cursors.push_back(event.cursor());
    return cursors;
  }

  GatewayHarness harness_{[] {
    HarnessOptions options;
    options.max_subscriptions_per_caller = 3;
    return options;
  }()};
  int next_id_ = 0;
};

TEST_F(BatchedSubscribeTest, DeliversEveryEventOnceInOrderSeveralToAMessage) {
  std::vector<uint64_t> published = Publish(25);
  Batched batched(harness_.channel(), BatchesOf(10, Replay()));
  ASSERT_TRUE(batched.WaitForEvents(25));
  // Behind by 25 from the start: full batches, then the rest.
  EXPECT_EQ(batched.batch_sizes(), (std::vector<int>{10, 10, 5}));
  // Then live, as they come.
  for (uint64_t cursor : Publish(3)) published.push_back(cursor);
  ASSERT_TRUE(batched.WaitForEvents(28));
  EXPECT_EQ(CursorsOf(batched.events()), published);
  EXPECT_EQ(batched.events()[24].text().content(), "text 24");
}

TEST_F(BatchedSubscribeTest, ASubscriberOfTheOldRpcBesideItGetsOneEventPerMessage) {
  Publish(12);
  Batched batched(harness_.channel(), BatchesOf(5, Replay()));
  Single single(harness_.channel(), Replay());
  ASSERT_TRUE(batched.WaitForEvents(12));
  ASSERT_TRUE(single.WaitForMessages(12));
  const std::vector<Event> events = batched.events();
  const std::vector<SubscribeResponse> messages = single.messages();
  ASSERT_EQ(messages.size(), 12u);
  for (size_t i = 0; i < messages.size(); ++i) {
    // The same event, byte for byte, as a batch carries it.
    EXPECT_EQ(messages[i].event().SerializeAsString(), events[i].SerializeAsString()) << i;
  }
}

TEST_F(BatchedSubscribeTest, HonoursTheFilterAndResumesAfterACursor) {
  const std::vector<uint64_t> cursors = Publish(20, [](int i) { return i % 3 == 0; });
  std::vector<uint64_t> texts;
  for (int i = 0; i < 20; ++i) {
    if (i % 3 != 0) texts.push_back(cursors[i]);
  }
  SubscribeRequest only_texts = Replay();
  only_texts.mutable_filter()->add_msg_types("text");
  Batched filtered(harness_.channel(), BatchesOf(4, only_texts));
  ASSERT_TRUE(filtered.WaitForEvents(texts.size()));
  EXPECT_EQ(CursorsOf(filtered.events()), texts);

  SubscribeRequest resume;
  resume.set_after_cursor(cursors[9]);
  Batched resumed(harness_.channel(), BatchesOf(0, resume));  // 0: the default size
  ASSERT_TRUE(resumed.WaitForEvents(10));
  EXPECT_EQ(CursorsOf(resumed.events()),
            std::vector<uint64_t>(cursors.begin() + 10, cursors.end()));
  EXPECT_EQ(resumed.batch_sizes(), std::vector<int>{10});
}

TEST_F(BatchedSubscribeTest, AGroupGivesEachEventToOneMember) {
  SubscribeRequest group;
  group.set_group("workers");
  Batched first(harness_.channel(), BatchesOf(8, group));
  Batched second(harness_.channel(), BatchesOf(8, group));
  WaitForSubscribers(2);
  const std::vector<uint64_t> published = Publish(40);
  ASSERT_TRUE(WaitFor([&] { return first.events().size() + second.events().size() >= 40; }));
  std::vector<uint64_t> seen = CursorsOf(first.events());
  for (uint64_t cursor : CursorsOf(second.events())) seen.push_back(cursor);
  EXPECT_EQ(std::set<uint64_t>(seen.begin(), seen.end()),
            std::set<uint64_t>(published.begin(), published.end()));
  EXPECT_EQ(seen.size(), 40u);
}

TEST_F(BatchedSubscribeTest, BothRpcsShareTheCallersQuotaAndTheSubscriberList) {
  Single single(harness_.channel(), SubscribeRequest());
  Batched batched(harness_.channel(), BatchesOf(10));
  Batched another(harness_.channel(), BatchesOf(10));
  WaitForSubscribers(3);
  EXPECT_EQ(harness_.gateway().events().Subscribers().size(), 3u);
  Batched refused(harness_.channel(), BatchesOf(10));  // the quota is 3
  ASSERT_TRUE(WaitFor([&] { return refused.status().has_value(); }));
  EXPECT_EQ(refused.status()->error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ErrorInfoFrom(*refused.status()).reason(), "TOO_MANY_SUBSCRIPTIONS");
}

TEST_F(BatchedSubscribeTest, ACursorBeyondTheNewestIsRefusedAsBySubscribe) {
  const uint64_t newest = Publish(1).back();
  SubscribeRequest future;
  future.set_after_cursor(newest + 1'000'000'000'000);
  Batched refused(harness_.channel(), BatchesOf(10, future));
  ASSERT_TRUE(WaitFor([&] { return refused.status().has_value(); }));
  EXPECT_EQ(refused.status()->error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorInfoFrom(*refused.status()).reason(), "UNKNOWN_CURSOR");
}

}  // namespace
}  // namespace wxgate::testing
