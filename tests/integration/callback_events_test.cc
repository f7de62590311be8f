// WeChat pushes (the fake's PushSender: signed, and encrypted for account B) -> the
// gateway's callback listener -> EventService -> real gRPC subscribers.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/integration/gateway_harness.h"
#include "tests/testing/pushes.h"
#include "wxgate/v1/event.grpc.pb.h"

namespace wxgate::testing {
namespace {

using wechat::mp::v1::Event;
using wechat::open::v1::ComponentEvent;
using wxgate::v1::EventService;
using wxgate::v1::SubscribeRequest;
using wxgate::v1::SubscribeResponse;

std::string Sample(const std::string& name) {
  return ReadTextFile(std::filesystem::path(WXGATE_PUSH_SAMPLES_DIR) / (name + ".xml"));
}

// A subscriber on its own thread, collecting what the stream delivers.
class Subscriber {
 public:
  Subscriber(std::shared_ptr<grpc::Channel> channel, SubscribeRequest request)
      : stub_(EventService::NewStub(channel)) {
    reader_ = stub_->Subscribe(&context_, request);
    thread_ = std::thread([this] {
      SubscribeResponse response;
      while (reader_->Read(&response)) {
        absl::MutexLock lock(&mu_);
        if (response.has_component_event()) {
          component_events_.push_back(response.component_event());
        } else {
          events_.push_back(response.event());
        }
      }
      reader_->Finish();  // cancelled by the destructor
    });
  }
  ~Subscriber() {
    context_.TryCancel();
    thread_.join();
  }

  // Waits until at least `count` events arrived.
  bool WaitForEvents(size_t count) {
    return WaitFor([&] { return events().size() >= count; });
  }
  std::vector<Event> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  std::vector<ComponentEvent> component_events() {
    absl::MutexLock lock(&mu_);
    return component_events_;
  }

 private:
  std::unique_ptr<EventService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<SubscribeResponse>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  std::vector<ComponentEvent> component_events_ ABSL_GUARDED_BY(mu_);
};

SubscribeRequest InGroup(const std::string& group) {
  SubscribeRequest request;
  request.set_group(group);
  return request;
}

class CallbackEventsTest : public ::testing::Test {
 protected:
  // Subscribers only count as such once the hub has them.
  void WaitForSubscribers(size_t count) {
    ASSERT_TRUE(WaitFor([&] { return harness_.gateway().events().subscriber_count() >= count; }));
  }
  absl::StatusOr<fake::PushAnswer> Push(const std::string& appid, const std::string& xml) {
    return fake::PushSender(harness_.PushTargetFor(appid)).Send(xml);
  }

  GatewayHarness harness_;
};

TEST_F(CallbackEventsTest, EveryPushReachesTheBroadcastAndOneMemberOfTheGroup) {
  Subscriber broadcast(harness_.channel(), SubscribeRequest());
  Subscriber member_1(harness_.channel(), InGroup("workers"));
  Subscriber member_2(harness_.channel(), InGroup("workers"));
  WaitForSubscribers(3);

  const std::vector<std::string> kinds = {"text",
                                          "image",
                                          "subscribe",
                                          "click",
                                          "scancode_push",
                                          "pic_sysphoto",
                                          "location_select",
                                          "mass_send_job_finish",
                                          "subscribe_msg_popup_event",
                                          "unknown_future_event"};
  for (size_t i = 0; i < kinds.size(); ++i) {
    // The first half to the plain account, the rest to the safe-mode one.
    absl::StatusOr<fake::PushAnswer> answer = Push(i < 5 ? kAppidA : kAppidB, Sample(kinds[i]));
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->http_status, 200) << kinds[i] << ": " << answer->body;
    EXPECT_EQ(answer->body, "success");
  }
  ASSERT_TRUE(broadcast.WaitForEvents(kinds.size()));
  ASSERT_TRUE(
      WaitFor([&] { return member_1.events().size() + member_2.events().size() >= kinds.size(); }));

  // The broadcast subscriber got them all, in order, each typed.
  std::vector<Event> all = broadcast.events();
  ASSERT_EQ(all.size(), kinds.size());
  for (size_t i = 0; i < kinds.size(); ++i) {
    const auto* member = all[i].GetReflection()->GetOneofFieldDescriptor(
        all[i], Event::descriptor()->FindOneofByName("payload"));
    ASSERT_NE(member, nullptr);
    EXPECT_EQ(member->name(), kinds[i] == "unknown_future_event" ? "unknown" : kinds[i]);
    EXPECT_EQ(all[i].appid(), i < 5 ? kAppidA : kAppidB);
    if (i > 0) EXPECT_GT(all[i].cursor(), all[i - 1].cursor());
  }
  EXPECT_FALSE(all[2].subscribe().event_key().empty());

  // The group's members together got each event exactly once.
  std::multiset<std::string> group_ids;
  for (auto* member : {&member_1, &member_2}) {
    for (const Event& event : member->events()) group_ids.insert(event.id());
  }
  std::multiset<std::string> all_ids;
  for (const Event& event : all) all_ids.insert(event.id());
  EXPECT_EQ(group_ids, all_ids);
}

// Every sample push, to the plain account and encrypted to the safe-mode one: a
// subscriber that asks for raw_xml gets the push's XML byte for byte (the decrypted
// inner XML in safe mode); one that does not ask gets it only for unknown pushes.
TEST_F(CallbackEventsTest, RawXmlIsThePushByteForByteWhenAskedFor) {
  SubscribeRequest with_raw;
  with_raw.set_include_raw_xml(true);
  Subscriber raw(harness_.channel(), with_raw);
  Subscriber plain(harness_.channel(), SubscribeRequest());
  WaitForSubscribers(2);

  std::vector<std::string> sent;
  for (const auto& entry : std::filesystem::directory_iterator(WXGATE_PUSH_SAMPLES_DIR)) {
    const std::string xml = ReadTextFile(entry.path());
    for (const char* appid : {kAppidA, kAppidB}) {
      absl::StatusOr<fake::PushAnswer> answer = Push(appid, xml);
      ASSERT_TRUE(answer.ok()) << answer.status();
      ASSERT_EQ(answer->http_status, 200) << entry.path() << ": " << answer->body;
      sent.push_back(xml);
    }
  }
  ASSERT_GT(sent.size(), 100u);
  ASSERT_TRUE(raw.WaitForEvents(sent.size()));
  ASSERT_TRUE(plain.WaitForEvents(sent.size()));
  const std::vector<Event> with = raw.events();
  const std::vector<Event> without = plain.events();
  ASSERT_EQ(with.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(with[i].appid() + " " + with[i].msg_type() + "/" + with[i].event());
    EXPECT_EQ(with[i].raw_xml(), sent[i]);
    EXPECT_EQ(with[i].appid(), i % 2 == 0 ? kAppidA : kAppidB);
    EXPECT_EQ(without[i].raw_xml(), without[i].has_unknown() ? sent[i] : "");
  }
}

TEST_F(CallbackEventsTest, ARepliedPushCarriesTheReplyBackEncryptedInSafeMode) {
  SubscribeRequest request;
  request.set_replies(true);
  Subscriber replier(harness_.channel(), request);
  WaitForSubscribers(1);
  for (const char* appid : {kAppidA, kAppidB}) {
    SCOPED_TRACE(appid);
    const size_t before = replier.events().size();
    // WeChat waits for the answer while the subscriber replies.
    std::optional<absl::StatusOr<fake::PushAnswer>> answer;
    std::thread wechat([&] { answer = Push(appid, TextPush("what time is it?", 1000 + before)); });
    ASSERT_TRUE(replier.WaitForEvents(before + 1));
    const Event event = replier.events().back();
    EXPECT_EQ(event.text().content(), "what time is it?");
    EXPECT_TRUE(event.reply_allowed());

    auto stub = EventService::NewStub(harness_.channel());
    grpc::ClientContext context;
    v1::ReplyRequest reply;
    reply.set_event_id(event.id());
    reply.mutable_reply()->mutable_text()->set_content("noon");
    v1::ReplyResponse response;
    grpc::Status status = stub->Reply(&context, reply, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    wechat.join();
    ASSERT_TRUE(answer.has_value() && answer->ok()) << answer->status();
    // PushSender checked the signature and decrypted it for account B.
    EXPECT_NE((*answer)->body.find("<Content><![CDATA[noon]]></Content>"), std::string::npos)
        << (*answer)->body;
    EXPECT_NE((*answer)->body.find("<ToUserName><![CDATA[oUser]]></ToUserName>"),
              std::string::npos);
  }
}

TEST_F(CallbackEventsTest, ALateReplyIsRefusedWithAPointerToCustomerService) {
  SubscribeRequest request;
  request.set_replies(true);
  Subscriber replier(harness_.channel(), request);
  WaitForSubscribers(1);
  // Nobody replies: WeChat gets "success" when the window ends.
  absl::StatusOr<fake::PushAnswer> answer = Push(kAppidA, TextPush("hello?", 2000));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->body, "success");
  ASSERT_TRUE(replier.WaitForEvents(1));

  auto stub = EventService::NewStub(harness_.channel());
  grpc::ClientContext context;
  v1::ReplyRequest reply;
  reply.set_event_id(replier.events()[0].id());
  reply.mutable_reply()->mutable_text()->set_content("too late");
  v1::ReplyResponse response;
  grpc::Status status = stub->Reply(&context, reply, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ErrorInfoFrom(status).reason(), "REPLY_WINDOW_CLOSED");
  EXPECT_NE(status.error_message().find("KfService"), std::string::npos);
}

TEST_F(CallbackEventsTest, WeChatsRetriesAreDeliveredOnce) {
  Subscriber subscriber(harness_.channel(), SubscribeRequest());
  WaitForSubscribers(1);
  for (int attempt = 0; attempt < 4; ++attempt) {  // the push and WeChat's 3 retries
    absl::StatusOr<fake::PushAnswer> answer = Push(kAppidB, Sample("subscribe"));
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer->body, "success");
  }
  ASSERT_TRUE(Push(kAppidB, TextPush("after", 3000)).ok());
  ASSERT_TRUE(subscriber.WaitForEvents(2));
  std::vector<Event> events = subscriber.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].has_subscribe());
  EXPECT_TRUE(events[1].has_text());
}

TEST_F(CallbackEventsTest, ASubscriberResumesFromItsCursorWithoutLoss) {
  std::optional<Subscriber> first(std::in_place, harness_.channel(), SubscribeRequest());
  WaitForSubscribers(1);
  ASSERT_TRUE(Push(kAppidA, TextPush("one", 4001)).ok());
  ASSERT_TRUE(first->WaitForEvents(1));
  const uint64_t cursor = first->events()[0].cursor();
  first.reset();  // disconnected
  ASSERT_TRUE(WaitFor([&] { return harness_.gateway().events().subscriber_count() == 0; }));
  ASSERT_TRUE(Push(kAppidA, TextPush("two", 4002)).ok());  // while nobody listens
  ASSERT_TRUE(Push(kAppidA, TextPush("three", 4003)).ok());

  SubscribeRequest resume;
  resume.set_after_cursor(cursor);
  Subscriber second(harness_.channel(), resume);
  ASSERT_TRUE(second.WaitForEvents(2));
  std::vector<Event> events = second.events();
  EXPECT_EQ(events[0].text().content(), "two");
  EXPECT_EQ(events[1].text().content(), "three");
}

TEST_F(CallbackEventsTest, BadPushesAreRefusedAndReachNoSubscriber) {
  Subscriber subscriber(harness_.channel(), SubscribeRequest());
  WaitForSubscribers(1);
  fake::PushTarget wrong_token = harness_.PushTargetFor(kAppidA);
  wrong_token.token = "not-the-token";
  absl::StatusOr<fake::PushAnswer> forged = fake::PushSender(wrong_token).Send(TextPush("x", 1));
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(forged->http_status, 403);
  fake::PushTarget wrong_key = harness_.PushTargetFor(kAppidB);
  wrong_key.encoding_aes_key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg";
  absl::StatusOr<fake::PushAnswer> undecryptable =
      fake::PushSender(wrong_key).Send(TextPush("x", 2));
  ASSERT_TRUE(undecryptable.ok());
  EXPECT_EQ(undecryptable->http_status, 400);
  absl::StatusOr<fake::PushAnswer> malformed = Push(kAppidA, "<xml><MsgType>text");
  ASSERT_TRUE(malformed.ok());
  EXPECT_EQ(malformed->http_status, 400);
  // A good push afterwards is the only event.
  ASSERT_TRUE(Push(kAppidA, TextPush("good", 5000)).ok());
  ASSERT_TRUE(subscriber.WaitForEvents(1));
  EXPECT_EQ(subscriber.events().size(), 1u);
  EXPECT_EQ(subscriber.events()[0].text().content(), "good");
}

// A third-party platform's pushes through the same listener and stream.
class ComponentEventsTest : public ::testing::Test {
 protected:
  static constexpr char kAuthorizer[] = "wx4444444444444444";

  absl::StatusOr<fake::PushAnswer> PushToComponent(const std::string& path_tail,
                                                   const std::string& xml) {
    return fake::PushSender(
               {.url = absl::StrCat("http://127.0.0.1:", harness_.gateway().callback_port(),
                                    "/wechat/component/", kComponentAppid, path_tail),
                .appid = kComponentAppid,
                .token = kCallbackToken,
                .encoding_aes_key = kAesKeyB})
        .Send(xml);
  }

  GatewayHarness harness_{{.component = true}};
};

TEST_F(ComponentEventsTest, AuthorizationEventsReachTheComponentsSubscribersOnly) {
  SubscribeRequest of_component;
  of_component.mutable_filter()->add_component_appids(kComponentAppid);
  Subscriber component(harness_.channel(), of_component);
  SubscribeRequest of_account;
  of_account.mutable_filter()->add_appids(kAppidA);
  Subscriber account(harness_.channel(), of_account);
  ASSERT_TRUE(WaitFor([&] { return harness_.gateway().events().subscriber_count() >= 2; }));

  absl::StatusOr<fake::PushAnswer> answer = PushToComponent(
      "", absl::StrCat("<xml><AppId>", kComponentAppid, "</AppId><CreateTime>",
                       absl::ToUnixSeconds(absl::Now()),
                       "</CreateTime><InfoType>unauthorized</InfoType><AuthorizerAppid>",
                       kAuthorizer, "</AuthorizerAppid></xml>"));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->body, "success");
  ASSERT_TRUE(WaitFor([&] { return component.component_events().size() == 1; }));
  const ComponentEvent event = component.component_events()[0];
  EXPECT_EQ(event.component_appid(), kComponentAppid);
  EXPECT_EQ(event.unauthorized().authorizer_appid(), kAuthorizer);

  // The account's subscriber gets its own push next, and never the component's.
  ASSERT_TRUE(fake::PushSender(harness_.PushTargetFor(kAppidA)).Send(TextPush("hi", 77)).ok());
  ASSERT_TRUE(account.WaitForEvents(1));
  EXPECT_TRUE(account.component_events().empty());
  EXPECT_TRUE(component.events().empty());
}

TEST_F(ComponentEventsTest, AnAuthorizersMessageIsRepliedSealedForTheComponent) {
  SubscribeRequest request;
  request.set_replies(true);
  request.mutable_filter()->add_appids(kAuthorizer);
  Subscriber replier(harness_.channel(), request);
  ASSERT_TRUE(WaitFor([&] { return harness_.gateway().events().subscriber_count() >= 1; }));
  std::optional<absl::StatusOr<fake::PushAnswer>> answer;
  std::thread wechat([&] {
    answer = PushToComponent(absl::StrCat("/callback/", kAuthorizer), TextPush("hello", 78));
  });
  ASSERT_TRUE(replier.WaitForEvents(1));
  const Event event = replier.events()[0];
  EXPECT_EQ(event.appid(), kAuthorizer);
  EXPECT_EQ(event.text().content(), "hello");

  auto stub = EventService::NewStub(harness_.channel());
  grpc::ClientContext context;
  v1::ReplyRequest reply;
  reply.set_event_id(event.id());
  reply.mutable_reply()->mutable_text()->set_content("hi from the platform");
  v1::ReplyResponse response;
  const grpc::Status status = stub->Reply(&context, reply, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  wechat.join();
  ASSERT_TRUE(answer.has_value() && answer->ok()) << answer->status();
  // PushSender checked the signature and decrypted the reply with the component's key.
  EXPECT_NE((*answer)->body.find("hi from the platform"), std::string::npos) << (*answer)->body;
}

}  // namespace
}  // namespace wxgate::testing
