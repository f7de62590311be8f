#include "service/callback/push_handler.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "auth/callback_signature.h"
#include "service/events/memory_event_store.h"
#include "service/events/xml_codec.h"
#include "service/observe/log.h"
#include "service/observe/trace_context.h"
#include "tests/testing/callback_outcome.h"
#include "tests/testing/pushes.h"
#include "tests/testing/test_clock.h"

namespace wxgate {
namespace {

using testing::CallbackOutcome;
using testing::TextPush;

constexpr char kPlain[] = "wx00000000000000aa";
constexpr char kSafe[] = "wx00000000000000bb";
constexpr char kCompatible[] = "wx00000000000000cc";
constexpr char kToken[] = "callback-token";
constexpr char kKey[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

constexpr char kSubscribePush[] =
    "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>";

// The gateway's own sink, unless told to fail as a shared store that is down does.
class FailingSink final : public PushSink {
 public:
  explicit FailingSink(PushSink& kept) : kept_(kept) {}
  void Keep(StreamEvent event, absl::Duration reply_window, Done done) override {
    if (failing) return std::move(done)(absl::UnavailableError("Redis at 127.0.0.1:1 is down"));
    kept_.Keep(std::move(event), reply_window, std::move(done));
  }
  bool failing = false;

 private:
  PushSink& kept_;
};

class PushHandlerTest : public ::testing::Test {
 protected:
  PushHandlerTest() {
    std::vector<CallbackAccount> accounts;
    accounts.push_back({.appid = kPlain, .token = kToken});
    accounts.push_back({.appid = kSafe,
                        .token = kToken,
                        .mode = config::v1::CALLBACK_MODE_SAFE,
                        .cipher = *MessageCipher::Create(kKey, kSafe)});
    accounts.push_back({.appid = kCompatible,
                        .token = kToken,
                        .mode = config::v1::CALLBACK_MODE_COMPATIBLE,
                        .cipher = *MessageCipher::Create(kKey, kCompatible)});
    handler_.emplace(
        std::move(accounts), sink_, broker_, freshness_,
        PushHandler::ReplyDeadlines{
            .schedule =
                [this](absl::Duration delay, std::function<void()> task) {
                  scheduled_.push_back({delay, std::move(task)});
                  return DelayedTasks::TaskId(absl::UnixEpoch(), scheduled_.size() - 1);
                },
            .cancel =
                [this](const DelayedTasks::TaskId& task) { cancelled_.push_back(task.second); }},
        [this] { return clock_.Now(); });
  }

  // Every request is answered at most once (pending ones may never be, here).
  void TearDown() override {
    for (const auto& outcome : outcomes_) EXPECT_LE(outcome->count(), 1);
  }

  // Handles one request; the answer if it came before Handle returned. A later
  // answer goes to last_outcome().
  std::optional<CallbackAnswer> Handle(const std::string& method, const std::string& target,
                                       const std::string& body = "",
                                       const std::string& traceparent = "") {
    outcomes_.push_back(std::make_shared<CallbackOutcome>());
    CallbackRequest request{method, target, body};
    if (!traceparent.empty()) request.headers["traceparent"] = traceparent;
    request.request_id = "req-1";
    handler_->Handle(request, outcomes_.back()->Respond());
    return outcomes_.back()->answer();
  }
  CallbackOutcome& last_outcome() { return *outcomes_.back(); }

  // Signed at `timestamp`; the test clock starts at 1700000000.
  static std::string SignedQuery(const std::string& appid,
                                 const std::string& timestamp = "1700000000") {
    return absl::StrCat("/wechat/callback/", appid, "?timestamp=", timestamp,
                        "&nonce=n1&signature=", CallbackSignature(kToken, timestamp, "n1"));
  }

  std::string EncryptedBody(const std::string& xml, std::string* query,
                            const std::string& appid = kSafe) {
    const std::string encrypt = MessageCipher::Create(kKey, appid)->Encrypt(xml);
    *query = absl::StrCat(SignedQuery(appid), "&encrypt_type=aes&msg_signature=",
                          MessageSignature(kToken, "1700000000", "n1", encrypt));
    return absl::StrCat("<xml><ToUserName>gh_1</ToUserName><Encrypt><![CDATA[", encrypt,
                        "]]></Encrypt></xml>");
  }

  std::vector<uint64_t> Published() {
    std::vector<uint64_t> cursors;
    while (true) {
      auto next = all_->Next();
      if (!next.ok() || *next == nullptr) return cursors;
      cursors.push_back(CursorOf(**next));
      last_published_ = *next;
      last_event_ = AccountPushOf(*next);
    }
  }

  EventHub hub_{std::make_unique<MemoryEventStore>(MemoryEventStore::Limits{}, 1),
                EventHub::Options{}};
  std::unique_ptr<EventHub::Subscription> all_ = *hub_.Subscribe(v1::SubscribeRequest(), [] {});
  EventHub::EventPtr last_published_;
  std::shared_ptr<const wechat::mp::v1::Event> last_event_;  // an account's push
  testing::TestClock clock_;
  PushFreshness freshness_{{.max_age = absl::Minutes(5), .max_ahead = absl::Minutes(1)}};
  PushDedup dedup_{freshness_.MinDedupWindow(), [this] { return clock_.Now(); }};
  LocalPushSink local_sink_{hub_, dedup_};
  FailingSink sink_{local_sink_};
  ReplyBroker broker_;
  std::vector<std::pair<absl::Duration, std::function<void()>>> scheduled_;
  std::vector<uint64_t> cancelled_;  // indexes into scheduled_
  std::vector<std::shared_ptr<CallbackOutcome>> outcomes_;
  std::optional<PushHandler> handler_;
};

TEST_F(PushHandlerTest, VerificationEchoesOnlyWithTheRightSignature) {
  auto answer = Handle("GET", SignedQuery(kPlain) + "&echostr=hello123");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "hello123");
  answer = Handle("GET", absl::StrCat("/wechat/callback/", kPlain,
                                      "?timestamp=1700000000&nonce=n1&signature=bad&echostr=x"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 403);
  EXPECT_EQ(answer->body.find('x'), std::string::npos);
}

TEST_F(PushHandlerTest, APlainPushIsPublishedAndAnsweredSuccess) {
  auto answer = Handle("POST", SignedQuery(kPlain), TextPush("hello", 1));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "success");
  ASSERT_EQ(Published().size(), 1u);
  EXPECT_EQ(last_event_->appid(), kPlain);
  EXPECT_EQ(last_event_->text().content(), "hello");
  EXPECT_EQ(last_event_->id().size(), 32u);
  EXPECT_TRUE(last_event_->has_received_time());
}

TEST_F(PushHandlerTest, RefusalsPublishNothing) {
  struct Case {
    std::string method, target, body;
    int status;
  };
  const std::string bad_signature =
      absl::StrCat("/wechat/callback/", kPlain, "?timestamp=1700000000&nonce=n1&signature=00");
  const Case cases[] = {
      {"POST", bad_signature, TextPush("x", 1), 403},
      {"POST", SignedQuery(kPlain), "<xml><Content>no header</Content>", 400},
      {"POST", SignedQuery(kPlain), "not xml", 400},
      {"POST", SignedQuery(kPlain), "<xml><ToUserName>gh</ToUserName></xml>", 400},
      {"POST", SignedQuery(kSafe), TextPush("clear push to a safe account", 2), 403},
      {"POST", SignedQuery("wx0000000000000000"), TextPush("x", 3), 404},
      {"POST", "/elsewhere", TextPush("x", 4), 404},
      {"PUT", SignedQuery(kPlain), TextPush("x", 5), 405},
      {"POST", SignedQuery(kPlain) + "&encrypt_type=aes&msg_signature=00", TextPush("x", 6), 400},
  };
  for (const Case& c : cases) {
    auto answer = Handle(c.method, c.target, c.body);
    ASSERT_TRUE(answer) << c.target;
    EXPECT_EQ(answer->status, c.status) << c.method << " " << c.target << " " << c.body;
    EXPECT_FALSE(answer->body.empty());
  }
  EXPECT_TRUE(Published().empty());
}

TEST_F(PushHandlerTest, AnEncryptedPushIsCheckedDecryptedAndPublished) {
  std::string query;
  const std::string body = EncryptedBody(TextPush("secret hello", 7), &query);
  auto answer = Handle("POST", query, body);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "success");
  ASSERT_EQ(Published().size(), 1u);
  EXPECT_EQ(last_event_->text().content(), "secret hello");

  // The same body under a wrong msg_signature, or a tampered ciphertext.
  std::string other_query;
  const std::string other = EncryptedBody(TextPush("x", 8), &other_query);
  EXPECT_EQ(Handle("POST", query, other)->status, 403);
  std::string tampered = body;
  tampered[tampered.find("CDATA[") + 10] ^= 1;
  EXPECT_EQ(Handle("POST", query, tampered)->status, 403);  // its msg_signature no longer matches
  EXPECT_TRUE(Published().empty());
}

TEST_F(PushHandlerTest, CompatibleModeTakesClearAndEncryptedPushes) {
  EXPECT_EQ(Handle("POST", SignedQuery(kCompatible), TextPush("in clear", 20))->body, "success");
  std::string query;
  const std::string body = EncryptedBody(TextPush("encrypted", 21), &query, kCompatible);
  EXPECT_EQ(Handle("POST", query, body)->body, "success");
  EXPECT_EQ(Published().size(), 2u);
  EXPECT_EQ(last_event_->text().content(), "encrypted");
}

TEST_F(PushHandlerTest, APushEncryptedForAnotherAccountIsRefused) {
  std::string query;
  // Encrypted for kCompatible's appid, delivered to kSafe's URL with a valid signature.
  const std::string body = EncryptedBody(TextPush("misrouted", 22), &query, kCompatible);
  const std::string misrouted = absl::StrReplaceAll(query, {{kCompatible, kSafe}});
  EXPECT_EQ(Handle("POST", misrouted, body)->status, 403);
  EXPECT_TRUE(Published().empty());
}

TEST_F(PushHandlerTest, RepeatsAreAnsweredButNotPublishedAgain) {
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain), TextPush("once", 9))->body, "success");
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain), TextPush("once", 9))->body, "success");
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain), kSubscribePush)->body, "success");
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain), kSubscribePush)->body, "success");
  EXPECT_EQ(Published().size(), 2u);
}

TEST_F(PushHandlerTest, ThePushsTraceGoesIntoTheEventAndEveryLine) {
  constexpr absl::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string traceparent = absl::StrCat("00-", kTrace, "-00f067aa0ba902b7-01");
  std::vector<std::string> log;
  const LogSink previous = SetLogSink([&log](const std::string& line) { log.push_back(line); });
  SetLogLevel(LogLevel::kDebug);
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain), kSubscribePush, traceparent)->body, "success");
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain), kSubscribePush, traceparent)->body, "success");
  SetLogLevel(LogLevel::kInfo);
  SetLogSink(previous);
  ASSERT_EQ(Published().size(), 1u);
  // The gateway's own span of the caller's trace.
  std::optional<TraceContext> trace = ParseTraceparent(last_event_->traceparent());
  ASSERT_TRUE(trace.has_value()) << last_event_->traceparent();
  EXPECT_EQ(trace->trace_id, kTrace);
  EXPECT_NE(trace->span_id, "00f067aa0ba902b7");
  // push (no subscriber replies), callback_repeat, push (repeat): each with the trace
  // and request id.
  ASSERT_EQ(log.size(), 3u);
  for (const std::string& line : log) {
    EXPECT_TRUE(absl::StrContains(line, absl::StrCat("trace_id=", kTrace))) << line;
    EXPECT_TRUE(absl::StrContains(line, "request_id=req-1")) << line;
  }
  EXPECT_TRUE(absl::StrContains(log[0], "DEBUG push ")) << log[0];
  EXPECT_TRUE(absl::StrContains(log[0], "result=no_reply")) << log[0];
  EXPECT_TRUE(absl::StrContains(log[1], "INFO callback_repeat ")) << log[1];
  EXPECT_TRUE(absl::StrContains(log[2], "result=repeat")) << log[2];
}

TEST_F(PushHandlerTest, APushWithoutATraceStartsOne) {
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain), kSubscribePush, "00-bad")->body, "success");
  ASSERT_EQ(Published().size(), 1u);
  std::optional<TraceContext> trace = ParseTraceparent(last_event_->traceparent());
  ASSERT_TRUE(trace.has_value()) << last_event_->traceparent();
}

TEST_F(PushHandlerTest, APushThatCannotBeKeptIsRefusedSoThatWeChatRetries) {
  std::vector<std::string> log;
  const LogSink previous = SetLogSink([&log](const std::string& line) { log.push_back(line); });
  v1::SubscribeRequest replier;
  replier.set_replies(true);
  auto replying = *hub_.Subscribe(replier, [] {});
  sink_.failing = true;
  std::optional<CallbackAnswer> answer = Handle("POST", SignedQuery(kPlain), TextPush("lost?", 12));
  SetLogSink(previous);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 503);
  EXPECT_EQ(answer->body, "the push could not be stored; WeChat retries it");
  EXPECT_TRUE(scheduled_.empty()) << "nothing waits for a reply to a push not kept";
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("callback_not_kept"), std::string::npos) << log[0];
  EXPECT_NE(log[0].find("127.0.0.1:1 is down"), std::string::npos) << log[0];
  // WeChat's retry, once the store is back, is kept: the failure was not remembered.
  sink_.failing = false;
  EXPECT_FALSE(Handle("POST", SignedQuery(kPlain), TextPush("lost?", 12)));  // awaits a reply
  EXPECT_EQ(Published().size(), 1u);
}

// A captured push replayed after the dedup window forgot it is refused for its
// age: the window outlasts max_age + max_ahead, so a replay is caught either way.
TEST_F(PushHandlerTest, AReplayAfterTheDedupWindowIsRefusedForItsAge) {
  std::vector<std::string> log;
  const LogSink previous = SetLogSink([&log](const std::string& line) { log.push_back(line); });
  const std::string query = SignedQuery(kPlain);
  EXPECT_EQ(Handle("POST", query, TextPush("pay me", 30))->body, "success");
  clock_.Advance(absl::Minutes(2));
  EXPECT_EQ(Handle("POST", query, TextPush("pay me", 30))->body, "success");  // a repeat
  EXPECT_EQ(Published().size(), 1u);

  clock_.Advance(freshness_.MinDedupWindow());  // the dedup window has passed
  auto answer = Handle("POST", query, TextPush("pay me", 30));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 403);
  EXPECT_NE(answer->body.find("stale push"), std::string::npos) << answer->body;
  EXPECT_NE(answer->body.find("events.max_push_age"), std::string::npos) << answer->body;
  EXPECT_TRUE(Published().empty());
  SetLogSink(previous);
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("callback_refused"), std::string::npos) << log.back();
  EXPECT_NE(log.back().find("stale push"), std::string::npos) << log.back();
  EXPECT_NE(log.back().find(kPlain), std::string::npos) << log.back();
}

TEST_F(PushHandlerTest, APushFromBeyondTheToleratedFutureIsRefused) {
  std::vector<std::string> log;
  const LogSink previous = SetLogSink([&log](const std::string& line) { log.push_back(line); });
  auto answer = Handle("POST", SignedQuery(kPlain, "1700000061"), TextPush("early", 31));
  SetLogSink(previous);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 403);
  EXPECT_NE(answer->body.find("events.max_push_ahead"), std::string::npos) << answer->body;
  EXPECT_TRUE(Published().empty());
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("push from the future"), std::string::npos) << log.back();

  // Encrypted pushes are held to the same rule.
  std::string query;
  const std::string body = EncryptedBody(TextPush("old secret", 32), &query);
  clock_.Advance(absl::Hours(24 * 365));
  EXPECT_EQ(Handle("POST", query, body)->status, 403);
  EXPECT_TRUE(Published().empty());
}

TEST_F(PushHandlerTest, APushWithAFewSecondsOfSkewIsAccepted) {
  // WeChat's clock 5 s behind the gateway's, then 5 s ahead of it.
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain, "1699999995"), TextPush("behind", 33))->body,
            "success");
  EXPECT_EQ(Handle("POST", SignedQuery(kPlain, "1700000005"), TextPush("ahead", 34))->body,
            "success");
  EXPECT_EQ(Published().size(), 2u);
}

TEST_F(PushHandlerTest, AMalformedTimestampIsRefusedAsMalformed) {
  for (const char* timestamp :
       {"", "17e8", "-1700000000", "1700000000.5", " 1700000000", "99999999999999999999"}) {
    SCOPED_TRACE(timestamp);
    auto answer = Handle("POST", SignedQuery(kPlain, timestamp), TextPush("x", 35));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 400);
    EXPECT_NE(answer->body.find("timestamp"), std::string::npos) << answer->body;
  }
  EXPECT_TRUE(Published().empty());
}

TEST_F(PushHandlerTest, AReplyWithinTheWindowIsTheAnswer) {
  v1::SubscribeRequest replier;
  replier.set_replies(true);
  auto replying = *hub_.Subscribe(replier, [] {});
  EXPECT_FALSE(Handle("POST", SignedQuery(kPlain), TextPush("question", 10)));  // pending
  ASSERT_EQ(scheduled_.size(), 1u);
  EXPECT_EQ(scheduled_[0].first, absl::Seconds(3));
  auto event = replying->Next();
  ASSERT_TRUE(event.ok() && *event);
  wechat::mp::v1::Reply reply;
  reply.mutable_text()->set_content("answer");
  ASSERT_TRUE(broker_.Reply(IdOf(**event), reply).ok());
  const std::optional<CallbackAnswer> answer = last_outcome().WaitForAnswer();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->content_type, "application/xml; charset=utf-8");
  EXPECT_NE(answer->body.find("<Content><![CDATA[answer]]></Content>"), std::string::npos);
  // Answered: the window's end is cancelled, not kept for 3 s.
  EXPECT_EQ(cancelled_, std::vector<uint64_t>{0});
  scheduled_[0].second();  // and changes nothing if it runs all the same
  EXPECT_EQ(last_outcome().count(), 1);
}

TEST_F(PushHandlerTest, WithoutAReplyTheWindowsEndAnswersSuccess) {
  v1::SubscribeRequest replier;
  replier.set_replies(true);
  auto replying = *hub_.Subscribe(replier, [] {});
  EXPECT_FALSE(Handle("POST", SignedQuery(kPlain), TextPush("question", 11)));
  ASSERT_EQ(scheduled_.size(), 1u);
  scheduled_[0].second();
  const std::optional<CallbackAnswer> answer = last_outcome().WaitForAnswer();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "success");
  EXPECT_EQ(last_outcome().count(), 1);
}

TEST_F(PushHandlerTest, ASafeModeReplyIsEncryptedAndSigned) {
  v1::SubscribeRequest replier;
  replier.set_replies(true);
  auto replying = *hub_.Subscribe(replier, [] {});
  std::string query;
  const std::string body = EncryptedBody(TextPush("question", 12), &query);
  EXPECT_FALSE(Handle("POST", query, body));
  auto event = replying->Next();
  ASSERT_TRUE(event.ok() && *event);
  wechat::mp::v1::Reply reply;
  reply.mutable_text()->set_content("secret answer");
  ASSERT_TRUE(broker_.Reply(IdOf(**event), reply).ok());
  const std::optional<CallbackAnswer> answer = last_outcome().WaitForAnswer();
  ASSERT_TRUE(answer);

  pugi::xml_document document;
  ASSERT_TRUE(ParseUntrustedXml(answer->body, document).ok());
  const pugi::xml_node root = document.document_element();
  const std::string encrypt = root.child("Encrypt").text().get();
  EXPECT_EQ(root.child("MsgSignature").text().get(),
            MessageSignature(kToken, root.child("TimeStamp").text().get(),
                             root.child("Nonce").text().get(), encrypt));
  absl::StatusOr<std::string> plain = MessageCipher::Create(kKey, kSafe)->Decrypt(encrypt);
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(plain->find("secret answer"), std::string::npos);
  EXPECT_EQ(answer->body.find("secret answer"), std::string::npos);
}

TEST_F(PushHandlerTest, PushesThatTakeNoReplyAreAnsweredAtOnce) {
  v1::SubscribeRequest replier;
  replier.set_replies(true);
  auto replying = *hub_.Subscribe(replier, [] {});
  const std::string unsubscribe =
      "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>"
      "<CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>unsubscribe</Event></xml>";
  auto answer = Handle("POST", SignedQuery(kPlain), unsubscribe);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "success");
  EXPECT_TRUE(scheduled_.empty());
}

}  // namespace
}  // namespace wxgate

namespace wxgate {
namespace {

// --- A third-party platform's authorization events ----------------------------

constexpr char kComponent[] = "wx00000000000000dd";
constexpr char kTicketPush[] =
    "<xml><AppId><![CDATA[wx00000000000000dd]]></AppId><CreateTime>1700000000</CreateTime>"
    "<InfoType><![CDATA[component_verify_ticket]]></InfoType>"
    "<ComponentVerifyTicket><![CDATA[ticket@@@abc]]></ComponentVerifyTicket></xml>";

constexpr char kComponentPath[] = "/wechat/component/wx00000000000000dd";
// The message-and-event URL of an account that authorized the component.
constexpr char kAuthorizer[] = "wx00000000000000aa";
constexpr char kAuthorizerPath[] =
    "/wechat/component/wx00000000000000dd/callback/wx00000000000000aa";

class ComponentPushTest : public PushHandlerTest {
 protected:
  ComponentPushTest() {
    EXPECT_TRUE(
        handler_
            ->ServeComponents(
                {{.component_appid = kComponent, .token = kToken, .encoding_aes_key = kKey}},
                [this](const std::string& appid, std::string ticket,
                       std::function<void(absl::Status)> done) {
                  tickets_.emplace_back(appid, std::move(ticket));
                  done(store_result_);
                },
                [this](const wechat::open::v1::ComponentEvent& event,
                       std::function<void(absl::Status)> done) {
                  authorizations_.push_back(event);
                  done(authorization_result_);
                })
            .ok());
  }

  // The push encrypted for `encrypted_for` and signed with `token`, as WeChat sends
  // it to /wechat/component/<kComponent>.
  std::optional<CallbackAnswer> Push(const std::string& xml,
                                     const std::string& encrypted_for = kComponent,
                                     const std::string& token = kToken,
                                     const std::string& timestamp = "1700000000",
                                     const std::string& path = kComponentPath) {
    const std::string encrypt = MessageCipher::Create(kKey, encrypted_for)->Encrypt(xml);
    const std::string target = absl::StrCat(
        path, "?timestamp=", timestamp,
        "&nonce=n1&signature=", CallbackSignature(token, timestamp, "n1"),
        "&encrypt_type=aes&msg_signature=", MessageSignature(token, timestamp, "n1", encrypt));
    return Handle("POST", target,
                  absl::StrCat("<xml><AppId><![CDATA[", kComponent, "]]></AppId><Encrypt><![CDATA[",
                               encrypt, "]]></Encrypt></xml>"));
  }

  std::vector<std::pair<std::string, std::string>> tickets_;
  absl::Status store_result_;
  std::vector<wechat::open::v1::ComponentEvent> authorizations_;  // as the sink got them
  absl::Status authorization_result_;
};

TEST_F(ComponentPushTest, ATicketPushIsStoredAndAnsweredSuccess) {
  auto answer = Push(kTicketPush);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "success");
  ASSERT_EQ(tickets_.size(), 1u);
  EXPECT_EQ(tickets_[0].first, kComponent);
  EXPECT_EQ(tickets_[0].second, "ticket@@@abc");
  // Subscribers see that it came, never the ticket.
  ASSERT_EQ(Published().size(), 1u);
  const wechat::open::v1::ComponentEvent& event = last_published_->component_event();
  EXPECT_EQ(event.info_type(), "component_verify_ticket");
  EXPECT_EQ(event.component_appid(), kComponent);
  EXPECT_TRUE(event.has_component_verify_ticket());
  EXPECT_EQ(event.component_verify_ticket().component_verify_ticket(), "");
  EXPECT_EQ(event.raw_xml(), "");
  EXPECT_EQ(last_published_->DebugString().find("ticket@@@abc"), std::string::npos);
}

TEST_F(ComponentPushTest, ATicketThatCouldNotBeStoredGets503) {
  store_result_ = absl::UnavailableError("Redis is down");
  auto answer = Push(kTicketPush);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 503);
  EXPECT_TRUE(Published().empty()) << "published only once stored";
}

constexpr char kAuthorizedPush[] =
    "<xml><AppId>wx00000000000000dd</AppId><CreateTime>1700000000</CreateTime>"
    "<InfoType>authorized</InfoType><AuthorizerAppid>wx00000000000000ee</AuthorizerAppid>"
    "<AuthorizationCode>code</AuthorizationCode></xml>";

TEST_F(ComponentPushTest, AnAuthorizationIsHeldThenPublishedWithoutItsCode) {
  auto answer = Push(kAuthorizedPush);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "success");
  EXPECT_TRUE(tickets_.empty());
  ASSERT_EQ(authorizations_.size(), 1u);
  EXPECT_EQ(authorizations_[0].authorized().authorization_code(), "code");
  ASSERT_EQ(Published().size(), 1u);
  EXPECT_EQ(last_event_, nullptr) << "not an account's push";
  const wechat::open::v1::ComponentEvent& event = last_published_->component_event();
  EXPECT_EQ(event.component_appid(), kComponent);
  EXPECT_EQ(event.info_type(), "authorized");
  EXPECT_EQ(event.authorized().authorizer_appid(), "wx00000000000000ee");
  // The code is the gateway's to spend: subscribers see neither it nor the XML.
  EXPECT_EQ(event.authorized().authorization_code(), "");
  EXPECT_EQ(event.raw_xml(), "");
  EXPECT_EQ(last_published_->DebugString().find("<AuthorizationCode>"), std::string::npos);
  EXPECT_EQ(event.id().size(), 32u);
  EXPECT_TRUE(event.has_received_time());
  EXPECT_TRUE(ParseTraceparent(event.traceparent()).has_value()) << event.traceparent();
}

TEST_F(ComponentPushTest, AnAuthorizationTheGatewayCouldNotHoldGets503) {
  authorization_result_ = absl::UnavailableError("WeChat is down");
  EXPECT_EQ(Push(kAuthorizedPush)->status, 503);
  EXPECT_TRUE(Published().empty()) << "published only once held";
  authorization_result_ = absl::OkStatus();
  EXPECT_EQ(Push(kAuthorizedPush, kComponent, kToken, "1700000001")->status, 200)
      << "WeChat's retry is held and kept";
  EXPECT_EQ(authorizations_.size(), 2u);
  EXPECT_EQ(Published().size(), 1u);
}

TEST_F(ComponentPushTest, AnUnauthorizationIsHeldThenPublishedWithItsXml) {
  constexpr char kUnauthorizedPush[] =
      "<xml><AppId>wx00000000000000dd</AppId><CreateTime>1700000000</CreateTime>"
      "<InfoType>unauthorized</InfoType><AuthorizerAppid>wx00000000000000ee</AuthorizerAppid>"
      "</xml>";
  EXPECT_EQ(Push(kUnauthorizedPush)->body, "success");
  ASSERT_EQ(authorizations_.size(), 1u);
  EXPECT_TRUE(authorizations_[0].has_unauthorized());
  ASSERT_EQ(Published().size(), 1u);
  const wechat::open::v1::ComponentEvent& event = last_published_->component_event();
  EXPECT_EQ(event.unauthorized().authorizer_appid(), "wx00000000000000ee");
  EXPECT_EQ(event.raw_xml(), kUnauthorizedPush);
}

TEST_F(ComponentPushTest, OtherInfoTypesArePublishedAsTheyCame) {
  constexpr char kRegistered[] =
      "<xml><AppId>wx00000000000000dd</AppId><CreateTime>1700000000</CreateTime>"
      "<InfoType>notify_third_fasteregister</InfoType><appid>wx00000000000000ee</appid>"
      "<status>0</status><auth_code>xxx</auth_code><msg>OK</msg></xml>";
  EXPECT_EQ(Push(kRegistered)->body, "success");
  EXPECT_TRUE(authorizations_.empty());
  ASSERT_EQ(Published().size(), 1u);
  EXPECT_EQ(last_published_->component_event().info_type(), "notify_third_fasteregister");
  EXPECT_EQ(last_published_->component_event().raw_xml(), kRegistered);
}

TEST_F(ComponentPushTest, ARetriedPushIsPublishedOnce) {
  EXPECT_EQ(Push(kAuthorizedPush)->body, "success");
  // WeChat's retry: the same XML, sealed again with another nonce and time.
  EXPECT_EQ(Push(kAuthorizedPush, kComponent, kToken, "1700000001")->body, "success");
  EXPECT_EQ(Published().size(), 1u);
}

TEST_F(ComponentPushTest, APushThatCouldNotBeKeptGets503) {
  sink_.failing = true;
  EXPECT_EQ(Push(kAuthorizedPush)->status, 503);
  sink_.failing = false;
  EXPECT_EQ(Push(kAuthorizedPush)->status, 200) << "WeChat's retry is kept";
  EXPECT_EQ(Published().size(), 1u);
}

TEST_F(ComponentPushTest, AnAuthorizersMessageIsItsEventAndRepliedWithTheComponentsKey) {
  v1::SubscribeRequest replier;
  replier.set_replies(true);
  auto replying = *hub_.Subscribe(replier, [] {});
  EXPECT_FALSE(Push(TextPush("question", 40), kComponent, kToken, "1700000000", kAuthorizerPath))
      << "held for a reply";
  auto event = replying->Next();
  ASSERT_TRUE(event.ok() && *event);
  ASSERT_TRUE((*event)->has_event());
  EXPECT_EQ((*event)->event().appid(), kAuthorizer);
  EXPECT_EQ((*event)->event().text().content(), "question");
  ASSERT_EQ(scheduled_.size(), 1u);
  EXPECT_EQ(scheduled_[0].first, absl::Seconds(3)) << "the component's reply window";

  wechat::mp::v1::Reply reply;
  reply.mutable_text()->set_content("secret answer");
  ASSERT_TRUE(broker_.Reply(IdOf(**event), reply).ok());
  const std::optional<CallbackAnswer> answer = last_outcome().WaitForAnswer();
  ASSERT_TRUE(answer);
  pugi::xml_document document;
  ASSERT_TRUE(ParseUntrustedXml(answer->body, document).ok());
  const std::string encrypt = document.document_element().child("Encrypt").text().get();
  absl::StatusOr<std::string> plain = MessageCipher::Create(kKey, kComponent)->Decrypt(encrypt);
  ASSERT_TRUE(plain.ok()) << "sealed for the component";
  EXPECT_NE(plain->find("secret answer"), std::string::npos);
}

TEST_F(ComponentPushTest, AManagedMiniProgramsEventIsAComponentEvent) {
  auto answer = Push(
      "<xml><ToUserName>gh_mini</ToUserName><FromUserName>o_wechat</FromUserName>"
      "<CreateTime>1700000000</CreateTime><MsgType>event</MsgType>"
      "<Event>weapp_audit_success</Event><SuccTime>1700000000</SuccTime></xml>",
      kComponent, kToken, "1700000000", kAuthorizerPath);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "success");
  ASSERT_EQ(Published().size(), 1u);
  ASSERT_TRUE(last_published_->has_component_event());
  const wechat::open::v1::ComponentEvent& event = last_published_->component_event();
  EXPECT_EQ(event.component_appid(), kComponent);
  EXPECT_EQ(event.authorizer_appid(), kAuthorizer);
  EXPECT_EQ(event.event(), "weapp_audit_success");
  EXPECT_TRUE(event.untyped().empty()) << event.DebugString();
  EXPECT_EQ(event.id().size(), 32u);
}

TEST_F(ComponentPushTest, OtherPathsUnderAComponentAreNotFound) {
  for (const std::string path : {"/wechat/component/wx00000000000000dd/callback/",
                                 "/wechat/component/wx00000000000000dd/x/y",
                                 "/wechat/component/wx00000000000000dd/callback/wxa/more",
                                 "/wechat/component/wx00000000000000ff/callback/wxa"}) {
    SCOPED_TRACE(path);
    auto answer = Push(TextPush("x", 41), kComponent, kToken, "1700000000", path);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 404);
  }
  // An authorizer's push sealed for another component is refused.
  auto answer =
      Push(TextPush("x", 42), "wx00000000000000ee", kToken, "1700000000", kAuthorizerPath);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 403);
  EXPECT_TRUE(Published().empty());
}

TEST_F(ComponentPushTest, ForgedStaleClearAndMalformedPushesAreRefused) {
  EXPECT_EQ(Push(kTicketPush, kComponent, "forged-token")->status, 403);
  EXPECT_EQ(Push(kTicketPush, kSafe)->status, 403) << "encrypted for another appid";
  EXPECT_EQ(Push(kTicketPush, kComponent, kToken, "1699990000")->status, 403) << "stale";
  EXPECT_EQ(Push("<xml><AppId>wx00000000000000dd</AppId></xml>")->status, 400) << "no InfoType";
  EXPECT_EQ(Push("<xml><AppId>wx00000000000000ee</AppId><InfoType>component_verify_ticket"
                 "</InfoType><ComponentVerifyTicket>t</ComponentVerifyTicket></xml>")
                ->status,
            400)
      << "another component's AppId";
  // In clear, signed with the right token: refused, components are always encrypted.
  auto clear = Handle(
      "POST",
      absl::StrCat("/wechat/component/", kComponent, "?timestamp=1700000000&nonce=n1&signature=",
                   CallbackSignature(kToken, "1700000000", "n1")),
      kTicketPush);
  ASSERT_TRUE(clear);
  EXPECT_NE(clear->status, 200);
  EXPECT_EQ(Handle("POST", "/wechat/component/wx00000000000000ff?timestamp=1")->status, 404);
  EXPECT_TRUE(tickets_.empty());
}

TEST_F(ComponentPushTest, VerificationEchoesWithTheComponentsToken) {
  auto answer =
      Handle("GET", absl::StrCat("/wechat/component/", kComponent,
                                 "?timestamp=1700000000&nonce=n1&signature=",
                                 CallbackSignature(kToken, "1700000000", "n1"), "&echostr=hello"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "hello");
}

}  // namespace
}  // namespace wxgate
